"""Money and percentages as a reader sees them, in every report, alert and notification.

Amounts arrive full-precision (analysis never rounds); rounding to cents happens here only, when
text is produced, so totals are not sums of rounded figures.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

_CENT = Decimal("0.01")
_TENTH = Decimal("0.1")


def _cents(value: Decimal) -> Decimal:
    q = value.quantize(_CENT, rounding=ROUND_HALF_UP)
    return abs(q) if q == 0 else q  # no "-$0.00"


def format_money(value: Decimal, currency: str = "USD") -> str:
    """$1,234.56 / -$12.00 for USD; 1,234.56 EUR for any other currency."""
    q = _cents(value)
    digits = f"{abs(q):,.2f}"
    sign = "-" if q < 0 else ""
    if currency == "USD":
        return f"{sign}${digits}"
    return f"{sign}{digits} {currency}"


def format_signed_money(value: Decimal, currency: str = "USD") -> str:
    """A change: +$12.00 / -$12.00 / $0.00."""
    text = format_money(value, currency)
    return f"+{text}" if _cents(value) > 0 else text


def format_pct(value: Decimal | None) -> str:
    """+12.3% / -4.0% / 0.0%; `new` when there is no base to compare with."""
    if value is None:
        return "new"
    q = value.quantize(_TENTH, rounding=ROUND_HALF_UP)
    if q == 0:
        return "0.0%"
    return f"{'+' if q > 0 else '-'}{abs(q):,.1f}%"


def format_share(value: Decimal) -> str:
    """A share or a budget use, unsigned: 12.3%."""
    return f"{value.quantize(_TENTH, rounding=ROUND_HALF_UP):,.1f}%"

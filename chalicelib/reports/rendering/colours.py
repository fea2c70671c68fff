"""The colour of a change: cost going up is bad news (red), going down is good (green)."""

from __future__ import annotations

from decimal import Decimal

RED, GREEN, GREY, AMBER = "#b91c1c", "#15803d", "#6b7280", "#b45309"


_HALF_CENT = Decimal("0.005")
_HALF_TENTH = Decimal("0.05")


def change_colour(value: Decimal, pct: Decimal | None = None) -> str:
    """A move that reads "$0.00" or "0.0%" is grey, not red or green: nothing a reader can see moved."""
    if abs(value) < _HALF_CENT or (pct is not None and abs(pct) < _HALF_TENTH):
        return GREY
    if value > 0:
        return RED
    if value < 0:
        return GREEN
    return GREY

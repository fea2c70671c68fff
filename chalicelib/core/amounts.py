"""Amounts as they are stored: never refused for their precision, quantized where they are kept.

Cost Explorer answers amounts as strings with up to 10 decimals ("12.3456789012"); a source with
more (a hand-made cost file, a sum of many lines) is valid too. Computation keeps full precision;
displays round to cents (core/formatting.py); a stored or queued amount (a metric
event, a day bucket) is quantized here, to Cost Explorer's own 10 decimals, within the 38
significant digits a DynamoDB number holds. Only a non-finite value (NaN, Infinity) is refused.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation, localcontext
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

STORED_PLACES = 10  # Cost Explorer's precision: "40.3527508453"
DYNAMODB_DIGITS = 38  # significant digits a DynamoDB number keeps


def stored_amount(value: Any) -> Decimal:
    """`value` (a Decimal, int, or a decimal string) rounded half-even to STORED_PLACES decimals, with
    fewer decimals only where the integer part leaves less than DYNAMODB_DIGITS digits for them."""
    if isinstance(value, float):
        value = repr(value)  # the shortest text that reads back as this float, never its binary expansion
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValueError(f"not a decimal number: {str(value)[:60]!r}") from None
    if not amount.is_finite():
        raise ValueError(f"an amount must be a finite number, got {amount}")
    with localcontext() as context:
        context.prec = DYNAMODB_DIGITS
        context.rounding = ROUND_HALF_EVEN
        integer_digits = max(amount.adjusted() + 1, 1)
        places = min(STORED_PLACES, DYNAMODB_DIGITS - integer_digits)
        if places < 0:
            result = +amount  # an integer part beyond 38 digits: 38 significant digits, as DynamoDB would
        else:
            result = amount.quantize(Decimal(1).scaleb(-places))
    return result if result != 0 else Decimal(0)  # no "-0E-10"


# A model field for an amount that is stored or queued: any finite precision in, quantized out.
StoredAmount = Annotated[Decimal, BeforeValidator(stored_amount), Field(allow_inf_nan=False)]

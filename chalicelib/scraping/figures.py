"""The one rule for a figure read from a source (a price, a NAV, a fair value, a cost, a provision, an amount).

A figure is a JSON number: an int or a float, finite. Not a bool (JSON `true` is not a price), not a string
(`"18.50"`: the sources send numbers, a string means the answer is not what we parse), not null, not NaN
or an infinity (Python's json module reads the literals `NaN` and `Infinity`). Prices, NAVs, fair values,
costs and deal amounts must also be above zero: a close of 0 would read as a 100% discount.

A figure that breaks the rule is a DataValidationError naming what it is and the value, so the item is
recorded as failed with that reason and nothing is computed from it. The same rules check an outcome's
figures before it is stored and again when the job aggregates what is stored (each scraper's
`figure_rules`).
"""

from __future__ import annotations

import math
from typing import Any, Callable

from ..core.errors import DataValidationError

FigureRule = Callable[[Any, str], Any]  # (value, what it is) -> the value, or DataValidationError


def number_problem(value: Any) -> str | None:
    """Why `value` is not a finite JSON number, or None when it is one."""
    if value is None:
        return "missing (null)"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"not a number ({type(value).__name__})"
    if not math.isfinite(value):
        return "not a finite number"
    return None


def finite(value: Any, what: str) -> float:
    """A finite number of any sign (a provision can be a release)."""
    problem = number_problem(value)
    if problem:
        raise DataValidationError(f"{what} is {value!r}: {problem}")
    return float(value)


def positive(value: Any, what: str) -> float:
    """A finite number above zero (a price, a NAV, a fair value, a cost, an amount)."""
    number = finite(value, what)
    if number <= 0:
        raise DataValidationError(f"{what} is {value!r}: must be above 0")
    return number


def finite_or_none(value: Any, what: str) -> float | None:
    """A finite number, or None where the figure is legitimately not measurable (a change from zero)."""
    return None if value is None else finite(value, what)


def checked(data: dict[str, Any], rules: dict[str, FigureRule], what: str) -> str | None:
    """The first figure of `data` that breaks its rule, as a reason; None when all hold."""
    for field, rule in rules.items():
        try:
            rule(data.get(field), f"{what} {field}")
        except DataValidationError as exc:
            return str(exc)
    return None

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
from collections.abc import Callable
from typing import Any

from chalicelib.core.errors import DataValidationError
from chalicelib.scraping.contracts import ItemOutcome

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


def vetted(outcome: ItemOutcome, rules: dict[str, FigureRule], rejected: str) -> ItemOutcome:
    """The outcome if its figures meet the scraper's rules. An "ok" outcome with a bad figure becomes a failed
    one, with the reason and without its figures, so no headline or alert is computed from it; a failed or
    skipped outcome only loses the bad figures."""
    if outcome.status == "ok":
        problem = checked(outcome.data, rules, outcome.key)
        if problem is None:
            return outcome
        data = {k: v for k, v in outcome.data.items() if k not in rules}
        return ItemOutcome(key=outcome.key, status="failed", reason=f"{rejected}: {problem}"[:1000], data=data)
    bad = {k for k in rules if k in outcome.data and checked(outcome.data, {k: rules[k]}, outcome.key)}
    if not bad:
        return outcome
    return outcome.model_copy(update={"data": {k: v for k, v in outcome.data.items() if k not in bad}})

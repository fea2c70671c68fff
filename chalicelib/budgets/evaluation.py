"""Threshold evaluation. Pure: no I/O, no AWS.

A threshold is crossed when the spend it watches reaches `percent` of the budget: `actual` is the
spend of the period so far, `forecast` is that plus Cost Explorer's forecast for the rest of the
period. Which crossings are new (not alerted before) is decided by the ledger, not here.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from chalicelib.core.models import Budget, BudgetThreshold
from chalicelib.core.periods import Period, period_containing

HUNDRED = Decimal(100)
CHECKED_PERIODS = ("weekly", "monthly", "quarterly", "yearly")  # a daily budget only feeds the daily report


def checked_budgets(budgets: list[Budget]) -> list[Budget]:
    return [budget for budget in budgets if budget.period in CHECKED_PERIODS]


def check_period(budget: Budget, as_of: date) -> Period:
    """The period whose spend is checked on `as_of`: the one holding the last complete day."""
    return period_containing(budget.period, as_of - timedelta(days=1))


def watched_amount(threshold: BudgetThreshold, actual: Decimal, forecast_total: Decimal | None) -> Decimal | None:
    return actual if threshold.on == "actual" else forecast_total


def crossed_thresholds(budget: Budget, actual: Decimal, forecast_total: Decimal | None) -> list[BudgetThreshold]:
    """The budget's thresholds reached by this spend, in the order configured. A forecast threshold
    is not evaluated when no forecast is available (never guessed)."""
    crossed = []
    for threshold in budget.thresholds:
        value = watched_amount(threshold, actual, forecast_total)
        if value is not None and value * HUNDRED >= budget.amount * threshold.percent:
            crossed.append(threshold)
    return crossed


def used_pct(amount: Decimal, budget: Decimal) -> Decimal:
    return (amount / budget * HUNDRED).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def describe_threshold(threshold: BudgetThreshold) -> str:
    what = "actual spend" if threshold.on == "actual" else "forecast spend"
    return f"{threshold.percent.normalize():f}% of budget ({what})"

"""Budget config, period math, threshold evaluation and the local GetCostForecast (pure parts)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from pydantic import ValidationError

from chalicelib.budgets.evaluation import check_period, checked_budgets, crossed_thresholds
from chalicelib.core.models import Budget, ClientConfig
from chalicelib.core.periods import period_containing as budget_period
from tests.factories import client_config as client


def _config(**extra):
    return ClientConfig.model_validate(client("acme", ["111111111111"], **extra))


def test_older_mapping_form_reads_as_the_list_with_default_thresholds():
    config = _config(budgets={"monthly": 5000, "weekly": "1200.50"})
    assert [(b.period, b.amount) for b in config.budgets] == [("monthly", D(5000)), ("weekly", D("1200.50"))]
    monthly = config.budgets[0]
    assert [(t.percent, t.on) for t in monthly.thresholds] == [(D(80), "actual"), (D(100), "forecast")]
    assert config.budget_for("weekly") == D("1200.50") and config.budget_for("daily") is None


def test_list_form_with_custom_thresholds():
    config = _config(budgets=[{"amount": 90000, "period": "quarterly",
                               "thresholds": [{"percent": 50, "on": "actual"}, {"percent": 90, "on": "forecast"}]}])
    (budget,) = config.budgets
    assert budget.period == "quarterly" and [t.key for t in budget.thresholds] == ["actual-50", "forecast-90"]


@pytest.mark.parametrize("budgets, where", [
    ([{"amount": 0}], "budgets[0].amount"),
    ([{"amount": 10, "period": "hourly"}], "budgets[0].period"),
    ([{"amount": 10, "thresholds": []}], "budgets[0].thresholds"),
    ([{"amount": 10, "thresholds": [{"percent": 80}, {"percent": "80.0"}]}], "budgets[0].thresholds"),
    ([{"amount": 10}, {"amount": "10.00"}], "budgets"),
])
def test_bad_budget_is_refused_naming_the_field(budgets, where):
    with pytest.raises(ValidationError) as caught:
        _config(budgets=budgets)
    from chalicelib.core.models import describe_validation_error

    assert describe_validation_error(caught.value).startswith(where)


@pytest.mark.parametrize("period, day, start, end", [
    ("weekly", date(2026, 11, 22), date(2026, 11, 16), date(2026, 11, 23)),
    ("monthly", date(2026, 2, 28), date(2026, 2, 1), date(2026, 3, 1)),
    ("monthly", date(2026, 12, 31), date(2026, 12, 1), date(2027, 1, 1)),
    ("quarterly", date(2026, 11, 21), date(2026, 10, 1), date(2027, 1, 1)),
    ("quarterly", date(2026, 5, 1), date(2026, 4, 1), date(2026, 7, 1)),
    ("yearly", date(2026, 11, 21), date(2026, 1, 1), date(2027, 1, 1)),
])
def test_budget_period(period, day, start, end):
    assert (budget_period(period, day).start, budget_period(period, day).end) == (start, end)


def test_check_period_is_the_period_of_the_last_complete_day():
    budget = Budget(amount=D(100))
    assert check_period(budget, date(2026, 12, 1)).start == date(2026, 11, 1)  # final check of November
    assert check_period(budget, date(2026, 12, 2)).start == date(2026, 12, 1)
    assert checked_budgets([Budget(amount=D(1), period="daily"), budget]) == [budget]


def test_crossed_thresholds():
    budget = Budget(amount=D(1000))

    def keys(crossed):
        return [t.key for t in crossed]

    assert keys(crossed_thresholds(budget, D("799.99"), D("999.99"))) == []
    assert keys(crossed_thresholds(budget, D(800), D(999))) == ["actual-80"]
    assert keys(crossed_thresholds(budget, D(500), D(1000))) == ["forecast-100"]
    assert keys(crossed_thresholds(budget, D(850), D(1200))) == ["actual-80", "forecast-100"]
    assert keys(crossed_thresholds(budget, D(850), None)) == ["actual-80"]  # no forecast: never guessed

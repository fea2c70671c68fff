"""spend: a client's spend to date (GetCostAndUsage, MONTHLY) and forecast to the period's end
(GetCostForecast), once per distinct budget period; or why there is no cost data to check against."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from chalicelib.budgets.contracts import BudgetSpend, BudgetTask, ClientSpend
from chalicelib.budgets.evaluation import check_period, checked_budgets
from chalicelib.core.clients import load_checked
from chalicelib.core.models import ClientConfig
from chalicelib.core.periods import Period
from chalicelib.reports.costs.explorer import ce_client_for, fetch_forecast, forecast_query, spend_between

# No row at all in the budgets' periods is checked further back before it is called a problem: on the
# first days of a period Cost Explorer may have no row yet for a client that has spend.
NO_DATA_LOOKBACK_DAYS = 31


def spend(event: BudgetTask) -> ClientSpend:
    config = load_checked(event.client_id, event.fingerprint)
    ce = ce_client_for(config)
    as_of = event.run.as_of
    periods: dict[tuple[date, date], Period] = {}
    for budget in checked_budgets(config.budgets):
        period = check_period(budget, as_of)
        periods.setdefault((period.start, period.end), period)
    # The period holds the last complete day (check_period): [start, as_of) is its spend so far.
    actuals = {key: spend_between(ce, config, period.start, min(as_of, period.end)) for key, period in periods.items()}
    requests = sum(actual.requests for actual in actuals.values())
    if actuals and not any(actual.accounts_with_data for actual in actuals.values()):
        why, more_requests = _no_cost_data(ce, config, as_of, min(start for start, _ in actuals))
        requests += more_requests
        if why:
            return ClientSpend(client_id=config.client_id, budgets=[], ce_requests=requests, no_cost_data=why)
    forecasts: dict[tuple[date, date], tuple[Decimal | None, str]] = {}
    for (start, end), actual in actuals.items():
        forecast_total: Decimal | None = actual.total  # the period is over: its total is known
        note = ""
        if as_of < end:
            # The same request and answer handling as the report's forecast, one MONTHLY total.
            forecast, why_none = fetch_forecast(ce, forecast_query(config, as_of, end, "MONTHLY"))
            requests += 1
            note = why_none or ""
            forecast_total = actual.total + forecast.total if forecast is not None else None
        forecasts[(start, end)] = (forecast_total, note)
    figures = []
    for budget in checked_budgets(config.budgets):
        period = check_period(budget, as_of)
        actual = actuals[(period.start, period.end)]
        forecast_total, note = forecasts[(period.start, period.end)]
        figures.append(BudgetSpend(budget_key=budget.key, period=period, actual=actual.total, forecast_total=forecast_total,
                                   forecast_note=note[:300], currency=actual.currency))
    return ClientSpend(client_id=config.client_id, budgets=figures, ce_requests=requests)


def _no_cost_data(ce: Any, config: ClientConfig, as_of: date, checked_from: date) -> tuple[str | None, int]:
    """Why the client's budgets cannot be checked: Cost Explorer has no row for any of its accounts
    from `checked_from`, nor in the NO_DATA_LOOKBACK_DAYS before `as_of` (None: rows there, the
    period has simply no spend yet); and the requests it took to know."""
    start, requests = checked_from, 0
    lookback_start = as_of - timedelta(days=NO_DATA_LOOKBACK_DAYS)
    if lookback_start < checked_from:
        wider = spend_between(ce, config, lookback_start, as_of)
        requests = wider.requests
        if wider.accounts_with_data:
            return None, requests
        start = lookback_start
    last_day = as_of - timedelta(days=1)
    return (f"no cost data for {', '.join(config.accounts)} from {start.isoformat()} to {last_day.isoformat()}: "
            f"check the account ids or the payer role (budgets are not checked without cost data)"), requests

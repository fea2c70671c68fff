"""spend: a client's spend to date and its forecast to each budget period's end, all from one cost
dataset (chalicelib/costs: account detail, every budget period so far and the forecast's history);
or why there is no cost data to check against.

The spend is net, of the categories the client's config counts, as the report's month to date is;
the forecast is of usage, from the dataset's own daily history (or Cost Explorer's, for a client that
opted in), as the report's is: a report and a budget check of the same day cannot disagree."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from chalicelib.budgets.contracts import BudgetSpend, BudgetTask, ClientSpend
from chalicelib.budgets.evaluation import check_period, checked_budgets
from chalicelib.core.clients import load_checked
from chalicelib.core.periods import Period
from chalicelib.costs.categories import counted_categories
from chalicelib.costs.contracts import CostWindowRequest
from chalicelib.costs.source import credentials_for, forecast_usage, read_costs
from chalicelib.costs.windows import NO_DATA_LOOKBACK_DAYS, budget_window


def spend(event: BudgetTask) -> ClientSpend:
    config = load_checked(event.client_id, event.fingerprint)
    as_of = event.run.as_of
    periods: dict[tuple[date, date], Period] = {}
    for budget in checked_budgets(config.budgets):
        period = check_period(budget, as_of)
        periods.setdefault((period.start, period.end), period)
    if not periods:
        return ClientSpend(client_id=config.client_id, budgets=[], ce_requests=0)
    credentials = credentials_for(config)
    window = budget_window(periods.values(), as_of)
    # An export client reads its slice of the check's one export query (its plan step planned it).
    costs = read_costs(config, CostWindowRequest(client_id=config.client_id, window=window, detail="account"),
                       run_id=event.run.run_id, credentials=credentials)
    requests = costs.usage.ce_requests
    # No row at all from the earliest budget period (or the look-back, if earlier) to as_of: no data.
    checked_from = min(min(start for start, _ in periods), as_of - timedelta(days=NO_DATA_LOOKBACK_DAYS))
    if not any(checked_from <= row.day < as_of for row in costs.rows):
        return ClientSpend(
            client_id=config.client_id, budgets=[], ce_requests=requests,
            no_cost_data=(f"no cost data for {', '.join(config.accounts)} from {checked_from.isoformat()} to "
                          f"{(as_of - timedelta(days=1)).isoformat()}: check the account ids or the payer role "
                          f"(budgets are not checked without cost data)"))
    counted = counted_categories(config)
    # The period holds the last complete day (check_period): [start, as_of) is its spend so far.
    actuals = {key: costs.total(period.start, min(as_of, period.end), counted) for key, period in periods.items()}
    forecasts: dict[tuple[date, date], tuple[Decimal | None, str]] = {}
    for (start, end), actual in actuals.items():
        forecast_total: Decimal | None = actual  # the period is over: its total is known
        note = ""
        if as_of < end:
            forecast, why_none, more = forecast_usage(config, costs, Period(start=as_of, end=end), granularity="MONTHLY",
                                                      credentials=credentials)
            requests += more
            note = why_none or ""
            forecast_total = actual + forecast.total if forecast is not None else None
        forecasts[(start, end)] = (forecast_total, note)
    figures = []
    for budget in checked_budgets(config.budgets):
        period = check_period(budget, as_of)
        forecast_total, note = forecasts[(period.start, period.end)]
        figures.append(BudgetSpend(budget_key=budget.key, period=period, actual=actuals[(period.start, period.end)],
                                   forecast_total=forecast_total, forecast_note=note[:300], currency=costs.currency))
    return ClientSpend(client_id=config.client_id, budgets=figures, ce_requests=requests)

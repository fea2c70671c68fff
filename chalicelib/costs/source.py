"""read_costs: the one way reports and budgets read a client's costs, and what they derive from them
that needs the source (the why-line's usage types, a forecast).

An export client of a scheduled run or a budget check reads its slice under the run (the export
split wrote it); an export client outside a run (the on-demand report) runs its own query; a Cost
Explorer client asks Cost Explorer (chalicelib/costs/explorer). Whatever the source, the dataset is
checked before any figure is computed from it: the client's own, its own accounts only, the window
asked for.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from chalicelib.core.errors import CostReportError, DataValidationError
from chalicelib.core.models import ClientConfig
from chalicelib.core.periods import Period
from chalicelib.costs.categories import USAGE
from chalicelib.costs.contracts import ClientCosts, CostWindowRequest, SpendForecast
from chalicelib.costs.sources import reads_export

if TYPE_CHECKING:
    from chalicelib.costs.explorer import ServiceDetail

EXPLORER_FORECAST = "cost_explorer"


def read_costs(config: ClientConfig, request: CostWindowRequest, *, run_id: str | None = None,
               services_in: Period | None = None, credentials: dict[str, str] | None = None,
               ce: Any = None) -> ClientCosts:
    """The client's dataset over `request.window`: its slice under `run_id` for an export client of a
    run, its own export query without one, Cost Explorer otherwise (usage by service in `services_in`)."""
    if request.client_id != config.client_id:
        raise ValueError(f"a request for {request.client_id!r} read with the config of {config.client_id!r}")
    if reads_export(config):
        if run_id is not None:
            from chalicelib.costs.store import get_slice

            costs = get_slice(run_id, config.client_id)
        else:
            from chalicelib.costs.export import read_client_costs  # the export source, loaded only here

            costs = read_client_costs(config, request)
    else:
        from chalicelib.costs.explorer import read_window

        costs = read_window(config, request, services_in, credentials, ce)
    return checked(config, request, costs)


def credentials_for(config: ClientConfig) -> dict[str, str] | None:
    """The payer role's credentials (None without a role): one AssumeRole serves every Cost Explorer
    request of the client's check or report, and the payer organization's account names. For an
    export client the names are all the role is for: a role that cannot be assumed then means no
    names (spaced ids), not a failed report."""
    from chalicelib.costs.explorer import payer_credentials

    if not reads_export(config):
        return payer_credentials(config)
    try:
        return payer_credentials(config)
    except CostReportError:
        return None


def checked(config: ClientConfig, request: CostWindowRequest, costs: ClientCosts) -> ClientCosts:
    """`costs` as the figures may read them: another client's dataset, a row of an account that is
    not the client's, or a window that does not hold the one asked for is refused, never rendered."""
    if costs.client_id != config.client_id:
        raise DataValidationError(f"the cost dataset of {costs.client_id!r} was read for client {config.client_id!r}")
    allowed = set(config.accounts)
    stranger = next((r for r in costs.rows if r.account_id not in allowed), None)
    if stranger is not None:
        # Tenant isolation: another client's costs must never reach this client's figures.
        raise DataValidationError(f"the cost dataset of {config.client_id!r} holds account {stranger.account_id!r}, "
                                  f"which is not one of the client's accounts")
    if costs.granularity != request.granularity:
        raise DataValidationError(f"the cost dataset of {config.client_id!r} is {costs.granularity}, "
                                  f"{request.granularity} was asked for")
    if not (costs.window.start <= request.window.start and request.window.end <= costs.window.end):
        raise DataValidationError(f"the cost dataset of {config.client_id!r} covers {costs.window.label()}, "
                                  f"not all of {request.window.label()}")
    if costs.window != request.window:
        rows = [r for r in costs.rows if request.window.start <= r.day < request.window.end]
        costs = costs.model_copy(update={"window": request.window, "rows": rows})
    return costs


def service_detail(config: ClientConfig, costs: ClientCosts, service: str, within: Period,
                   credentials: dict[str, str] | None = None, ce: Any = None) -> ServiceDetail:
    """`service`'s usage in `within` by usage type and region (the why-line): from the dataset's
    own rows when they carry usage types (an export), else one Cost Explorer request checked to add
    up to the dataset's usage of the service."""
    from chalicelib.costs.explorer import DetailRow, ServiceDetail, read_service_detail

    if costs.detail_services is None or service in costs.detail_services:
        sums: dict[tuple[date, str, str], Decimal] = defaultdict(Decimal)
        for row in costs.rows:
            if row.service == service and row.category == USAGE and within.start <= row.day < within.end:
                sums[(row.day, row.usage_type, row.region)] += row.amount
        return ServiceDetail(service=service, rows=[DetailRow(day=d, usage_type=u, region=r, amount=a)
                                                    for (d, u, r), a in sorted(sums.items())])
    return read_service_detail(config, costs, service, within, credentials, ce)


def daily_totals(costs: ClientCosts, categories: Iterable[str] | None, window: Period) -> list[tuple[date, Decimal]]:
    """(bucket, sum) over `window`, oldest first, of the given categories (every one when None)."""
    wanted = None if categories is None else set(categories)
    sums: dict[date, Decimal] = defaultdict(Decimal)
    for row in costs.rows:
        if window.start <= row.day < window.end and (wanted is None or row.category in wanted):
            sums[row.day] += row.amount
    return sorted(sums.items())


def forecast_usage(config: ClientConfig, costs: ClientCosts, window: Period, *, granularity: str = "DAILY",
                   credentials: dict[str, str] | None = None, ce: Any = None) -> tuple[SpendForecast | None, str | None, int]:
    """The client's usage over `window` forecast from the dataset's daily usage before it (no request),
    or by Cost Explorer for a client that opted in (`forecast: cost_explorer`): (forecast, why there is
    none, Cost Explorer requests made)."""
    if config.forecast == EXPLORER_FORECAST:
        from chalicelib.costs.explorer import explorer_forecast

        figures, note = explorer_forecast(config, window, granularity, credentials, ce)
        if figures is None:
            return None, note, 1
        return figures, None, 1
    from chalicelib.costs.forecast import NoForecast, forecast_daily
    from chalicelib.costs.windows import forecast_history

    if costs.granularity != "DAILY":
        return None, "the forecast needs daily costs", 0
    history_window = forecast_history(window.start)
    if costs.window.start > history_window.start or costs.window.end < window.start:
        missing = Period(start=history_window.start, end=window.start)
        raise DataValidationError(f"the cost dataset covers {costs.window.label()}, not the forecast's history "
                                  f"{missing.label()}")
    # From the first day with a row: a new account's history is short, not weeks of zeros.
    history = daily_totals(costs, (USAGE,), history_window)
    result = forecast_daily(history, window.start, window.end)
    if isinstance(result, NoForecast):
        return None, result.reason, 0
    return SpendForecast(start=result.start, end=result.end, total=result.total, lower=result.lower,
                         upper=result.upper, daily=[(d.day, d.amount) for d in result.days],
                         method=result.method), None, 0

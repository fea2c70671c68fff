"""The Cost Explorer source: a client's rows over one window in as few billed requests as the
answer allows (each request, each page, is $0.01).

Cost Explorer groups by two dimensions at most, so a row's detail depends on the client:
- one account: ONE request grouped by SERVICE and RECORD_TYPE over the whole window gives every row
  with its service and category;
- several accounts: one request grouped by LINKED_ACCOUNT and RECORD_TYPE over the whole window
  (every day's spend by account and category: the trend, month to date, the forecast's history,
  credits and monthly charges), and one grouped by LINKED_ACCOUNT and SERVICE over the two
  report periods only, for usage: those rows replace the periods' usage rows, checked to sum to
  them to the cent per day and account (a mismatch is an error, never a second figure);
- a budget check (account detail): one request grouped by LINKED_ACCOUNT and RECORD_TYPE.
The why-line's usage types are one more request, made only when the report explains a move
(`read_service_detail`); Cost Explorer's own forecast only for a client that opted in
(`explorer_forecast`).
Every row is checked to be one of the client's accounts, whatever Cost Explorer answers.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import Field

from chalicelib.core.errors import DataValidationError, aws_error_code, classify_aws_error
from chalicelib.core.models import ClientConfig, StrictModel
from chalicelib.core.periods import Period
from chalicelib.costs.categories import SEPARATED_RECORD_TYPES, USAGE, category_of
from chalicelib.costs.contracts import ClientCosts, CostRow, CostWindowRequest, SourceUsage, SpendForecast
from chalicelib.costs.explorer.client import amount_of, ce_client_for, pages

CENT = Decimal("0.01")
# GetCostForecast names its metrics differently from GetCostAndUsage.
FORECAST_METRIC = {
    "UnblendedCost": "UNBLENDED_COST",
    "AmortizedCost": "AMORTIZED_COST",
    "NetAmortizedCost": "NET_AMORTIZED_COST",
    "BlendedCost": "BLENDED_COST",
}


class DetailRow(StrictModel):
    """One bucket of one usage type and region of the service a report explains."""

    day: date
    usage_type: str
    region: str
    amount: Decimal


class ServiceDetail(StrictModel):
    service: str
    rows: list[DetailRow] = Field(default_factory=list)
    partial: bool = False  # the source's answer was cut short: the rows are what it gave
    ce_requests: int = 0


def client_filter(config: ClientConfig, also_left_out: tuple[str, ...] = ()) -> dict[str, Any]:
    """The client's accounts, without the record types it excludes (and `also_left_out`)."""
    accounts_filter = {"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": list(config.accounts)}}
    left_out = list(dict.fromkeys([*config.record_types_excluded(), *also_left_out]))
    if left_out:
        return {"And": [accounts_filter, {"Not": {"Dimensions": {"Key": "RECORD_TYPE", "Values": left_out}}}]}
    return accounts_filter


def usage_filter(config: ClientConfig) -> dict[str, Any]:
    """Usage only: what the services' figures, the change and the forecast are about."""
    return client_filter(config, SEPARATED_RECORD_TYPES)


def window_request(config: ClientConfig, request: CostWindowRequest, group_by: tuple[str, str],
                   window: Period | None = None, cost_filter: dict[str, Any] | None = None) -> dict[str, Any]:
    window = window or request.window
    return {"TimePeriod": {"Start": window.start.isoformat(), "End": window.end.isoformat()},
            "Granularity": request.granularity, "Metrics": [config.cost_metric],
            "GroupBy": [{"Type": "DIMENSION", "Key": key} for key in group_by],
            "Filter": cost_filter or client_filter(config)}


def _one_account(config: ClientConfig) -> bool:
    return len(config.accounts) == 1


def planned_requests(config: ClientConfig, request: CostWindowRequest, services_in: Period | None) -> list[dict[str, Any]]:
    """The GetCostAndUsage requests that read the window (before paging)."""
    if request.detail == "account":
        return [window_request(config, request, ("LINKED_ACCOUNT", "RECORD_TYPE"))]
    if _one_account(config):
        return [window_request(config, request, ("SERVICE", "RECORD_TYPE"))]
    planned = [window_request(config, request, ("LINKED_ACCOUNT", "RECORD_TYPE"))]
    if services_in is not None:
        planned.append(window_request(config, request, ("LINKED_ACCOUNT", "SERVICE"), services_in, usage_filter(config)))
    return planned


@dataclass
class _Answer:
    rows: list[CostRow] = field(default_factory=list)
    currencies: set[str] = field(default_factory=set)
    requests: int = 0


def _read(ce: Any, config: ClientConfig, request: dict[str, Any]) -> _Answer:
    """Rows of every page of one request."""
    answer = _Answer()
    for page in pages(ce, request):
        _add_page(config, request, page, answer)
    return answer


def _add_page(config: ClientConfig, request: dict[str, Any], page: dict[str, Any], answer: _Answer) -> None:
    """One page's rows, each group's keys read by their GroupBy keys; only the client's accounts."""
    keys = [g["Key"] for g in request["GroupBy"]]
    allowed = set(config.accounts)
    answer.requests += 1
    for bucket in page.get("ResultsByTime", []):
        day = date.fromisoformat(bucket["TimePeriod"]["Start"])
        estimated = bool(bucket.get("Estimated"))
        for group in bucket.get("Groups", []):
            found = dict(zip(keys, group["Keys"], strict=False))
            account = found.get("LINKED_ACCOUNT", config.accounts[0] if _one_account(config) else "")
            if account not in allowed:
                # Tenant isolation: never let another client's account into this dataset.
                raise DataValidationError(f"Cost Explorer returned account {account} outside the client's accounts")
            amount, unit = amount_of(group["Metrics"], config.cost_metric,
                                     lambda found=found, account=account, day=day: _group_place(found, account, day))
            record_type = found.get("RECORD_TYPE", "")
            answer.currencies.add(unit)
            answer.rows.append(CostRow(
                day=day, account_id=account, service=found.get("SERVICE", ""),
                category=category_of(record_type) if "RECORD_TYPE" in found else USAGE,
                charge_type=record_type, usage_type=found.get("USAGE_TYPE", ""), region=found.get("REGION", ""),
                amount=amount, estimated=estimated))


def _group_place(found: dict[str, str], account: str, day: date) -> str:
    """Where a group is, for an error message: "for linked account 1234..., service X on 2026-11-02"."""
    where = "for " + ", ".join(f"{k.lower().replace('_', ' ')} {v}" for k, v in found.items()) + f" on {day.isoformat()}"
    if "LINKED_ACCOUNT" not in found:
        where = f"for account {account}, " + where[len("for "):]
    return where


def read_window(config: ClientConfig, request: CostWindowRequest, services_in: Period | None = None,
                credentials: dict[str, str] | None = None, ce: Any = None) -> ClientCosts:
    """The client's rows over `request.window` from Cost Explorer; usage by service in `services_in`
    (the report's two periods) at least; by account only for `detail="account"`."""
    ce = ce or ce_client_for(config, credentials)
    planned = planned_requests(config, request, services_in)
    answers = [_read(ce, config, r) for r in planned]
    currencies = set().union(*(a.currencies for a in answers))
    if len(currencies) > 1:
        raise DataValidationError(f"costs are in several currencies ({', '.join(sorted(currencies))})")
    rows = answers[0].rows
    if len(answers) > 1 and services_in is not None:
        rows = replace_rows(rows, answers[1].rows, services_in, lambda r: r.category == USAGE,
                            f"usage by service from {services_in.label()}")
    return ClientCosts(client_id=config.client_id, source="cost_explorer", metric=config.cost_metric,
                       currency=currencies.pop() if currencies else "USD", granularity=request.granularity,
                       detail=request.detail, window=request.window, rows=rows,
                       detail_services=[],  # usage types only on request (read_service_detail)
                       usage=SourceUsage(ce_requests=sum(a.requests for a in answers)))


def replace_rows(rows: list[CostRow], finer: list[CostRow], within: Period, replaced: Any, what: str) -> list[CostRow]:
    """`rows` with those `replaced` in `within` swapped for `finer`, which must sum to them to the
    cent per day and account: two answers of one source that disagree are an error, not two figures."""
    def sums(chosen: list[CostRow]) -> dict[tuple[date, str], Decimal]:
        totals: dict[tuple[date, str], Decimal] = defaultdict(Decimal)
        for row in chosen:
            totals[(row.day, row.account_id)] += row.amount
        return totals

    old = [r for r in rows if within.start <= r.day < within.end and replaced(r)]
    coarse, fine = sums(old), sums(finer)
    for key in sorted(set(coarse) | set(fine)):
        if abs(coarse.get(key, Decimal(0)) - fine.get(key, Decimal(0))) >= CENT:
            day, account = key
            raise DataValidationError(
                f"Cost Explorer's {what} does not add up to its total for account {account} on {day.isoformat()} "
                f"({fine.get(key, Decimal(0))} against {coarse.get(key, Decimal(0))}): the figures would disagree")
    kept = [r for r in rows if not (within.start <= r.day < within.end and replaced(r))]
    return sorted([*kept, *finer], key=lambda r: (r.day, r.account_id, r.service, r.category, r.charge_type, r.usage_type))


def detail_request(config: ClientConfig, service: str, within: Period, granularity: str) -> dict[str, Any]:
    """The service's usage by usage type and region (the client's accounts together)."""
    cost_filter = {"And": [usage_filter(config), {"Dimensions": {"Key": "SERVICE", "Values": [service]}}]}
    request = CostWindowRequest(client_id=config.client_id, window=within, granularity=granularity)
    return window_request(config, request, ("USAGE_TYPE", "REGION"), within, cost_filter)


def read_service_detail(config: ClientConfig, costs: ClientCosts, service: str, within: Period,
                        credentials: dict[str, str] | None = None, ce: Any = None) -> ServiceDetail:
    """`service`'s usage in `within` by usage type and region: one request, one page (the why-line is
    worth one cent, not a loop). Cost Explorer cannot group by account, usage type and region at
    once, so the rows are the client's accounts together, checked per day to sum to the dataset's
    usage of the service to the cent (a partial answer, more pages than read, is not checked)."""
    ce = ce or ce_client_for(config, credentials)
    request = detail_request(config, service, within, costs.granularity)
    try:
        page = ce.get_cost_and_usage(**request)
    except Exception as exc:
        raise classify_aws_error(exc, "Cost Explorer GetCostAndUsage (usage types)") from exc
    rows: list[DetailRow] = []
    currencies: set[str] = set()
    for bucket in page.get("ResultsByTime", []):
        day = date.fromisoformat(bucket["TimePeriod"]["Start"])
        for group in bucket.get("Groups", []):
            usage_type, region = (list(group["Keys"]) + ["", ""])[:2]
            amount, unit = amount_of(group["Metrics"], config.cost_metric, f"for {service}, {usage_type} on {day}")
            currencies.add(unit)
            rows.append(DetailRow(day=day, usage_type=usage_type, region=region, amount=amount))
    if currencies - {costs.currency}:
        raise DataValidationError(f"costs are in several currencies ({', '.join(sorted(currencies | {costs.currency}))})")
    partial = bool(page.get("NextPageToken"))
    if not partial:
        expected: dict[date, Decimal] = defaultdict(Decimal)
        for row in costs.rows:
            if row.service == service and row.category == USAGE and within.start <= row.day < within.end:
                expected[row.day] += row.amount
        found: dict[date, Decimal] = defaultdict(Decimal)
        for detail in rows:
            found[detail.day] += detail.amount
        for day in sorted(set(expected) | set(found)):
            if abs(expected.get(day, Decimal(0)) - found.get(day, Decimal(0))) >= CENT:
                raise DataValidationError(
                    f"Cost Explorer's usage types of {service} on {day.isoformat()} add up to {found.get(day, Decimal(0))}, "
                    f"not to its usage {expected.get(day, Decimal(0))}: the figures would disagree")
    return ServiceDetail(service=service, rows=rows, partial=partial, ce_requests=1)


# Cost Explorer answers these when it cannot forecast (new accounts, a start before today): the
# report says so instead of failing.
_NO_FORECAST = {"DataUnavailableException": "Cost Explorer has too little history to forecast yet",
                "ValidationException": "Cost Explorer forecasts only from today on"}


def forecast_request(config: ClientConfig, window: Period, granularity: str = "DAILY") -> dict[str, Any]:
    return {"TimePeriod": {"Start": window.start.isoformat(), "End": window.end.isoformat()},
            "Metric": FORECAST_METRIC[config.cost_metric], "Granularity": granularity,
            "Filter": usage_filter(config), "PredictionIntervalLevel": 80}


def explorer_forecast(config: ClientConfig, window: Period, granularity: str = "DAILY",
                      credentials: dict[str, str] | None = None, ce: Any = None) -> tuple[SpendForecast | None, str | None]:
    """Cost Explorer's own forecast of the client's usage in `window` (a client's opt-in: one more request)."""
    ce = ce or ce_client_for(config, credentials)
    request = forecast_request(config, window, granularity)
    try:
        answer = ce.get_cost_forecast(**request)
    except Exception as exc:
        code = aws_error_code(exc)
        if code not in _NO_FORECAST:
            raise classify_aws_error(exc, "Cost Explorer GetCostForecast") from exc
        return None, f"{_NO_FORECAST[code]} ({code})"
    results = answer.get("ForecastResultsByTime", [])
    try:
        total = Decimal(str(answer.get("Total", {}).get("Amount")))
        daily = [(date.fromisoformat(r["TimePeriod"]["Start"]), Decimal(str(r["MeanValue"]))) for r in results]
        lower = sum((Decimal(str(r["PredictionIntervalLowerBound"])) for r in results
                     if r.get("PredictionIntervalLowerBound") is not None), Decimal(0)) if results else None
        upper = sum((Decimal(str(r["PredictionIntervalUpperBound"])) for r in results
                     if r.get("PredictionIntervalUpperBound") is not None), Decimal(0)) if results else None
    except Exception as exc:
        raise DataValidationError(f"Cost Explorer GetCostForecast answered without usable amounts: {exc}") from exc
    if not total.is_finite() or abs(total) >= Decimal("1e15"):
        raise DataValidationError(f"Cost Explorer GetCostForecast answered without a usable Total amount: {total}")
    return SpendForecast(start=window.start, end=window.end, total=total, lower=lower, upper=upper, daily=daily,
                         method="cost_explorer"), None

"""Cost Explorer queries: both periods in one request, every page followed, only the client's accounts;
a period's spend and a forecast, as the budget check reads them too.

Cost Explorer is billed per request ($0.01, every page counts), so one GetCostAndUsage covers the
comparison and current periods together and is split by bucket date afterwards. Credits, refunds
and the charges posted monthly (record_types.py) are fetched apart, by account and record type, in
a second request made only when they can matter: the two periods include a 1st of a month, or the
client includes credits or refunds. Otherwise the one request covers everything, as before.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from pydantic import Field

from chalicelib.core import aws
from chalicelib.core.constants import CE_REGION, ROLE_SESSION_PREFIX
from chalicelib.core.errors import AuthorizationError, DataValidationError, aws_error_code, classify_aws_error
from chalicelib.core.models import ClientConfig, StrictModel
from chalicelib.core.periods import report_granularity
from chalicelib.reports.contracts import ChargeLine, CostDataset, CostLine, RunContext
from chalicelib.reports.costs.record_types import SEPARATED_RECORD_TYPES

MAX_PAGES = 200  # a runaway NextPageToken loop would cost real money
# Larger than any real bill; keeps every figure derived from an amount within Decimal's 28 digits.
MAX_AMOUNT = Decimal("1e15")
# GetCostForecast names its metrics differently from GetCostAndUsage.
FORECAST_METRIC = {
    "UnblendedCost": "UNBLENDED_COST",
    "AmortizedCost": "AMORTIZED_COST",
    "NetAmortizedCost": "NET_AMORTIZED_COST",
    "BlendedCost": "BLENDED_COST",
}


def separated_record_types(config: ClientConfig, run: RunContext) -> list[str]:
    """The record types fetched apart for this run ([]: one request covers everything)."""
    days = (run.current.end - run.previous.start).days
    has_first = any((run.previous.start + timedelta(days=i)).day == 1 for i in range(days))
    if not (has_first or config.include_credits or config.include_refunds):
        return []
    excluded = set(config.record_types_excluded())
    return [t for t in SEPARATED_RECORD_TYPES if t not in excluded]


def client_filter(config: ClientConfig, also_left_out: list[str] | None = None) -> dict[str, Any]:
    """The client's accounts, without the record types it excludes (and `also_left_out`)."""
    accounts_filter = {"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": list(config.accounts)}}
    left_out = [*config.record_types_excluded(), *(also_left_out or [])]
    if left_out:
        return {"And": [accounts_filter, {"Not": {"Dimensions": {"Key": "RECORD_TYPE", "Values": left_out}}}]}
    return accounts_filter


def cost_request(config: ClientConfig, run: RunContext, separated: list[str] | None = None) -> dict[str, Any]:
    """The usage request: by account and service, without the excluded and the separated record types."""
    cost_filter = client_filter(config, separated)
    return {
        "TimePeriod": {"Start": run.previous.start.isoformat(), "End": run.current.end.isoformat()},
        "Granularity": report_granularity(run.report_type),
        "Metrics": [config.cost_metric],
        "GroupBy": [{"Type": "DIMENSION", "Key": "LINKED_ACCOUNT"}, {"Type": "DIMENSION", "Key": "SERVICE"}],
        "Filter": cost_filter,
    }


def charges_request(config: ClientConfig, run: RunContext, separated: list[str]) -> dict[str, Any]:
    """Credits, refunds and monthly charges: by account and record type."""
    request = cost_request(config, run)
    request["GroupBy"] = [{"Type": "DIMENSION", "Key": "LINKED_ACCOUNT"}, {"Type": "DIMENSION", "Key": "RECORD_TYPE"}]
    request["Filter"] = {"And": [{"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": list(config.accounts)}},
                                 {"Dimensions": {"Key": "RECORD_TYPE", "Values": separated}}]}
    return request


class BucketTotal(StrictModel):
    start: date  # a day (DAILY) or the first of a month (MONTHLY)
    amount: Decimal


class ForecastFigures(StrictModel):
    """GetCostForecast's answer for [start, end): the rest of the month after the report period."""

    start: date
    end: date
    total: Decimal
    lower: Decimal | None = None
    upper: Decimal | None = None
    daily: list[BucketTotal] = Field(default_factory=list)


class SpendBetween(NamedTuple):
    total: Decimal
    currency: str
    requests: int
    accounts_with_data: frozenset[str]  # empty: Cost Explorer has no row at all for the client's accounts


def spend_between(ce: Any, config: ClientConfig, start: date, end: date) -> SpendBetween:
    """The client's spend in [start, end) (a budget's period so far): MONTHLY buckets by account (a
    year is one page for a few hundred accounts), so an account without any row is told apart from
    one that spent nothing. Only the client's accounts are counted, whatever Cost Explorer answers."""
    request = {"TimePeriod": {"Start": start.isoformat(), "End": end.isoformat()}, "Granularity": "MONTHLY",
               "Metrics": [config.cost_metric], "Filter": client_filter(config),
               "GroupBy": [{"Type": "DIMENSION", "Key": "LINKED_ACCOUNT"}]}
    allowed = set(config.accounts)
    total, currencies, requests, with_data = Decimal(0), set(), 0, set()
    for page in pages(ce, request):
        requests += 1
        for bucket in page.get("ResultsByTime", []):
            for group in bucket.get("Groups", []):
                account = _own_account(group["Keys"][0], allowed)
                amount, unit = _amount(group["Metrics"], config.cost_metric)
                total += amount
                currencies.add(unit)
                with_data.add(account)
    if len(currencies) > 1:
        raise DataValidationError(f"costs are in several currencies ({', '.join(sorted(currencies))})")
    return SpendBetween(total, currencies.pop() if currencies else "USD", requests, frozenset(with_data))


def forecast_query(config: ClientConfig, start: date, end: date, granularity: str = "DAILY") -> dict[str, Any]:
    """GetCostForecast for the client's spend in [start, end) (its accounts, without the record
    types it excludes); the report adds the separated types to the filter's exclusions."""
    return {"TimePeriod": {"Start": start.isoformat(), "End": end.isoformat()},
            "Metric": FORECAST_METRIC[config.cost_metric], "Granularity": granularity,
            "Filter": client_filter(config), "PredictionIntervalLevel": 80}


# Cost Explorer answers these when it cannot forecast (new accounts, a start before today): the
# report says so instead of failing.
_NO_FORECAST = {"DataUnavailableException": "Cost Explorer has too little history to forecast yet",
                "ValidationException": "Cost Explorer forecasts only from today on"}


def fetch_forecast(ce: Any, request: dict[str, Any]) -> tuple[ForecastFigures | None, str | None]:
    try:
        answer = ce.get_cost_forecast(**request)
    except Exception as exc:
        code = aws_error_code(exc)
        if code not in _NO_FORECAST:
            raise classify_aws_error(exc, "Cost Explorer GetCostForecast") from exc
        return None, f"{_NO_FORECAST[code]} ({code})"

    def number(value: Any) -> Decimal | None:
        return None if value is None else Decimal(str(value))

    days = [
        BucketTotal(start=date.fromisoformat(r["TimePeriod"]["Start"]), amount=Decimal(str(r["MeanValue"])))
        for r in answer.get("ForecastResultsByTime", [])
    ]
    lower = sum((Decimal(str(r["PredictionIntervalLowerBound"])) for r in answer.get("ForecastResultsByTime", [])
                 if r.get("PredictionIntervalLowerBound") is not None), Decimal(0)) if days else None
    upper = sum((Decimal(str(r["PredictionIntervalUpperBound"])) for r in answer.get("ForecastResultsByTime", [])
                 if r.get("PredictionIntervalUpperBound") is not None), Decimal(0)) if days else None
    period = request["TimePeriod"]
    total = number(answer.get("Total", {}).get("Amount"))
    if total is None or not total.is_finite() or abs(total) >= MAX_AMOUNT:
        raise DataValidationError(f"Cost Explorer GetCostForecast answered without a usable Total amount: {total}")
    return ForecastFigures(start=date.fromisoformat(period["Start"]), end=date.fromisoformat(period["End"]),
                           total=total, lower=lower, upper=upper, daily=days), None


def pages(ce: Any, request: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every page of a GetCostAndUsage (each one a billed request), at most MAX_PAGES."""
    token: str | None = None
    for _ in range(MAX_PAGES):
        try:
            page = ce.get_cost_and_usage(**request, **({"NextPageToken": token} if token else {}))
        except Exception as exc:
            raise classify_aws_error(exc, "Cost Explorer GetCostAndUsage") from exc
        yield page
        token = page.get("NextPageToken")
        if not token:
            return
    raise DataValidationError(f"Cost Explorer returned more than {MAX_PAGES} pages; refusing to continue")


def ce_client_for(config: ClientConfig, credentials: dict[str, str] | None = None) -> Any:
    """Cost Explorer as the deployment, or as the client's payer role (credentials from payer_credentials)."""
    if not config.role_arn:
        return aws.client("ce", CE_REGION)
    return aws.client_with_credentials("ce", credentials or payer_credentials(config), CE_REGION)


def payer_credentials(config: ClientConfig) -> dict[str, str] | None:
    """The payer role's temporary credentials (None without a role): one AssumeRole serves every call."""
    if not config.role_arn:
        return None
    try:
        reply = aws.client("sts").assume_role(
            RoleArn=config.role_arn,
            RoleSessionName=f"{ROLE_SESSION_PREFIX}{config.client_id}"[:64],
            ExternalId=config.external_id,
            DurationSeconds=900,
        )
    except Exception as exc:
        error = classify_aws_error(exc, f"assume payer role {config.role_arn}")
        if isinstance(error, AuthorizationError):
            raise AuthorizationError(
                f"{error} - the role's trust policy must allow this account with sts:ExternalId "
                f"equal to the client's external_id"
            ) from exc
        raise error from exc
    return reply["Credentials"]


def fetch_costs(config: ClientConfig, run: RunContext, ce: Any = None) -> CostDataset:
    """The client's accounts over both periods: usage by service, charges by record type, with the
    config they were fetched for (collect, and report_pdf on demand)."""
    ce = ce or ce_client_for(config)
    separated = separated_record_types(config, run)
    usage, currencies, estimated, requests = _query(ce, cost_request(config, run, separated), config, run, "service")
    charges: dict[tuple[str, str], list[Decimal]] = {}
    if separated:
        charges, more_currencies, more_estimated, more_requests = _query(
            ce, charges_request(config, run, separated), config, run, "record type")
        currencies |= more_currencies
        estimated = estimated or more_estimated
        requests += more_requests
    if len(currencies) > 1:
        raise DataValidationError(f"costs are in several currencies ({', '.join(sorted(currencies))})")
    return CostDataset(
        client=config,
        run=run,
        currency=currencies.pop() if currencies else "USD",
        estimated=estimated,
        lines=[CostLine(account_id=account, service=service, current_amount=values[1], previous_amount=values[0])
               for (account, service), values in sorted(usage.items())],
        charges=[ChargeLine(account_id=account, record_type=kind, current_amount=values[1], previous_amount=values[0])
                 for (account, kind), values in sorted(charges.items())],
        charges_separated=bool(separated),
        ce_requests=requests,
    )


def _query(ce: Any, request: dict[str, Any], config: ClientConfig, run: RunContext,
           key_name: str) -> tuple[dict[tuple[str, str], list[Decimal]], set[str], bool, int]:
    """Sums per (account, second group key) as [previous, current], currencies, estimated, requests."""
    metric = config.cost_metric
    allowed = set(config.accounts)
    sums: dict[tuple[str, str], list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    currencies: set[str] = set()
    estimated = False
    requests = 0
    for page in pages(ce, request):
        requests += 1
        for bucket in page.get("ResultsByTime", []):
            bucket_start = date.fromisoformat(bucket["TimePeriod"]["Start"])
            slot = 1 if bucket_start >= run.current.start else 0
            estimated = estimated or (slot == 1 and bool(bucket.get("Estimated")))
            for group in bucket.get("Groups", []):
                account, key = _own_account(group["Keys"][0], allowed), group["Keys"][1]
                amount, unit = _amount(group["Metrics"], metric)
                if abs(amount) >= MAX_AMOUNT:
                    raise DataValidationError(
                        f"Cost Explorer amount {amount} for account {account}, {key_name} {key} on {bucket_start.isoformat()} "
                        f"is too large to report (the limit is {MAX_AMOUNT:,.0f}): check the cost data")
                currencies.add(unit)
                sums[(account, key)][slot] += amount
    return sums, currencies, estimated, requests


def _own_account(account: str, allowed: set[str]) -> str:
    """Never let another tenant's account into this client's data, whatever Cost Explorer answers."""
    if account not in allowed:
        raise DataValidationError(f"Cost Explorer returned account {account} outside the client's accounts")
    return account


def _amount(metrics: dict[str, Any], metric: str) -> tuple[Decimal, str]:
    try:
        value = metrics[metric]
        amount = Decimal(str(value["Amount"]))
    except (KeyError, InvalidOperation, TypeError) as exc:
        raise DataValidationError(f"Cost Explorer group without a valid {metric} amount: {metrics!r:.200}") from exc
    if not amount.is_finite():
        raise DataValidationError(f"Cost Explorer returned a non-finite {metric} amount")
    return amount, str(value.get("Unit") or "USD")

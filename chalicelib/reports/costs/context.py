"""A report's inputs computed from the client's one cost dataset (a ClientCosts from chalicelib/costs),
and the payer's account names.

From the dataset's rows (never from another request):
- the CostDataset: usage by account and service, and the charges (credits, refunds, monthly
  charges) by account and record type, over both periods;
- the ReportContext: the net spend per bucket over the history window (trend, month to date), the
  usage per bucket (the 7-day average, the forecast's history), the forecast, the usage types of
  the move the report explains, the account names.
Account names come from the config and, for payer-role clients, organizations:ListAccounts,
looked up once per run and payer (cached in S3 under the run) and filtered to the client's accounts.

Reading only: nothing here explains (analysis.py and insights.py read what this computes).
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date
from decimal import Decimal

from pydantic import Field

from chalicelib.core import aws
from chalicelib.core.constants import ORGANIZATIONS_CACHE, RUNS_PREFIX
from chalicelib.core.errors import AuthorizationError, ConfigurationError, aws_error_code, classify_aws_error
from chalicelib.core.models import ClientConfig, StrictModel
from chalicelib.core.observability import logger
from chalicelib.core.periods import Granularity, Period, report_granularity
from chalicelib.costs.categories import USAGE, counted_categories, record_type_of
from chalicelib.costs.contracts import ClientCosts, CostWindowRequest, SpendForecast
from chalicelib.costs.explorer import ServiceDetail
from chalicelib.costs.source import daily_totals
from chalicelib.costs.windows import (  # noqa: F401 - the report's windows, read by insights from here
    forecast_window,
    month_to_date_window,
    report_window,
    trend_window,
)
from chalicelib.reports.contracts import ChargeLine, CostDataset, CostLine, RunContext


class BucketTotal(StrictModel):
    start: date  # a day (DAILY) or the first of a month (MONTHLY)
    amount: Decimal


class ForecastFigures(StrictModel):
    """The forecast of the rest of the month after the report period (usage)."""

    start: date
    end: date
    total: Decimal
    lower: Decimal | None = None
    upper: Decimal | None = None
    daily: list[BucketTotal] = Field(default_factory=list)
    method: str = "cost_explorer"  # chalicelib/costs/forecast.py's method, or "cost_explorer" (a client's opt-in)


class UsageTypeLine(StrictModel):
    usage_type: str
    region: str
    current: Decimal
    previous: Decimal


class UsageBreakdown(StrictModel):
    """The usage types of the service whose move the report explains."""

    service: str
    lines: list[UsageTypeLine]
    partial: bool = False  # the source's answer was cut short; the lines are what it gave


class ReportContext(StrictModel):
    """Everything beyond the main cost lines that the report needs; written by collect to S3."""

    granularity: Granularity
    totals: list[BucketTotal] = Field(default_factory=list)  # net spend, the history window, oldest first
    # Usage per bucket (what the 7-day average compares); None in a context without it: `totals`.
    usage_totals: list[BucketTotal] | None = None
    forecast: ForecastFigures | None = None
    forecast_note: str | None = None  # why there is no forecast (too little history, month complete)
    breakdown: UsageBreakdown | None = None
    account_names: dict[str, str] = Field(default_factory=dict)  # only the client's own accounts
    ce_requests: int = 0  # requests beyond the dataset's own (the why-line, an opted-in forecast)
    as_of: date | None = None  # the run date the month to date and the forecast are computed for

    def compared_totals(self) -> list[BucketTotal]:
        return self.totals if self.usage_totals is None else self.usage_totals


class CollectedReport(StrictModel):
    """What collect writes to S3 for render, in one object (one PUT, one GET per client): the
    client's CostDataset and the ReportContext computed from the same dataset."""

    dataset: CostDataset
    context: ReportContext


# ---- the dataset a report reads --------------------------------------------------------------------


def both_periods(run: RunContext) -> Period:
    return Period(start=run.previous.start, end=run.current.end)


def report_request(config: ClientConfig, run: RunContext) -> CostWindowRequest:
    """What a report asks of the cost source: the union of the windows its figures read."""
    window, granularity = report_window(run.report_type, run.current, run.previous, run.as_of)
    return CostWindowRequest(client_id=config.client_id, window=window, granularity=granularity, detail="service")


def history_window(report_type: str, current: Period, as_of: date) -> tuple[Period, Granularity]:
    """What `totals` covers: the trend and, for daily and weekly reports, month to date."""
    trend = trend_window(report_type, current)
    if report_type == "monthly":
        return trend, "MONTHLY"
    mtd = month_to_date_window(as_of)
    return Period(start=min(trend.start, mtd.start), end=max(current.end, mtd.end)), "DAILY"


def report_dataset(config: ClientConfig, run: RunContext, costs: ClientCosts) -> CostDataset:
    """Both periods from the dataset: usage by (account, service), the rest by (account, record type)."""
    periods = both_periods(run)
    usage: dict[tuple[str, str], list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    charges: dict[tuple[str, str], list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    counted = set(counted_categories(config))
    estimated = False
    for row in costs.rows:
        if not (periods.start <= row.day < periods.end) or row.category not in counted:
            continue
        slot = 0 if row.day >= run.current.start else 1
        estimated = estimated or (slot == 0 and row.estimated)
        if row.category == USAGE:
            usage[(row.account_id, row.service)][slot] += row.amount
        else:
            charges[(row.account_id, record_type_of(row.category, row.charge_type))][slot] += row.amount
    return CostDataset(
        client=config, run=run, currency=costs.currency, estimated=estimated,
        lines=[CostLine(account_id=account, service=service, current_amount=cur, previous_amount=prev)
               for (account, service), (cur, prev) in sorted(usage.items())],
        charges=[ChargeLine(account_id=account, record_type=kind, current_amount=cur, previous_amount=prev)
                 for (account, kind), (cur, prev) in sorted(charges.items())],
        # Shown apart when there are any, or the client counts credits or refunds (the report then says so).
        charges_separated=bool(charges) or config.include_credits or config.include_refunds,
        ce_requests=costs.usage.ce_requests,
    )


def bucket_totals(config: ClientConfig, costs: ClientCosts, window: Period, usage_only: bool) -> list[BucketTotal]:
    categories = (USAGE,) if usage_only else counted_categories(config)
    return [BucketTotal(start=day, amount=amount) for day, amount in daily_totals(costs, categories, window)]


def breakdown_of(detail: ServiceDetail, run: RunContext) -> UsageBreakdown:
    """The service's usage by usage type and region over both periods."""
    sums: dict[tuple[str, str], list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for row in detail.rows:
        if run.previous.start <= row.day < run.current.end:
            sums[(row.usage_type, row.region)][0 if row.day >= run.current.start else 1] += row.amount
    return UsageBreakdown(service=detail.service, partial=detail.partial,
                          lines=[UsageTypeLine(usage_type=u, region=r, current=c, previous=p)
                                 for (u, r), (c, p) in sorted(sums.items())])


def forecast_figures(forecast: SpendForecast | None) -> ForecastFigures | None:
    if forecast is None:
        return None
    return ForecastFigures(start=forecast.start, end=forecast.end, total=forecast.total, lower=forecast.lower,
                           upper=forecast.upper, daily=[BucketTotal(start=d, amount=a) for d, a in forecast.daily],
                           method=forecast.method)


def report_context(config: ClientConfig, run: RunContext, costs: ClientCosts, *, names: dict[str, str],
                   breakdown: UsageBreakdown | None, forecast: SpendForecast | None, forecast_note: str | None,
                   ce_requests: int) -> ReportContext:
    window, _ = history_window(run.report_type, run.current, run.as_of)
    return ReportContext(granularity=report_granularity(run.report_type),
                         totals=bucket_totals(config, costs, window, usage_only=False),
                         usage_totals=bucket_totals(config, costs, costs.window, usage_only=True),
                         forecast=forecast_figures(forecast), forecast_note=forecast_note, breakdown=breakdown,
                         account_names=names, ce_requests=ce_requests, as_of=run.as_of)


# ---- account names -----------------------------------------------------------------------------


_org_cache: dict[tuple[str, str], dict[str, str]] = {}  # (run_id, payer) -> names, per warm container


def _payer_of(config: ClientConfig) -> str | None:
    return config.role_arn.split(":")[4] if config.role_arn else None


def organization_names(run: RunContext, config: ClientConfig, credentials: dict[str, str] | None) -> dict[str, str]:
    """Every account name in the payer's organization, once per run and payer (S3 cache under the run)."""
    payer = _payer_of(config)
    if payer is None or credentials is None:
        return {}
    key = (run.run_id, payer)
    if key in _org_cache:
        return _org_cache[key]
    from chalicelib.core.settings import get_settings

    bucket = get_settings().bucket_name
    s3_key = f"{RUNS_PREFIX}{run.run_id}/{ORGANIZATIONS_CACHE}/{payer}.json"
    s3 = aws.client("s3")
    try:
        names = json.loads(s3.get_object(Bucket=bucket, Key=s3_key)["Body"].read())
    except Exception as exc:
        if aws_error_code(exc) not in ("NoSuchKey", "404"):
            raise classify_aws_error(exc, f"read s3://{bucket}/{s3_key}") from exc
        names = _list_accounts(config, credentials)
        from chalicelib.core.store.objects import encryption

        s3.put_object(Bucket=bucket, Key=s3_key, Body=json.dumps(names).encode(), ContentType="application/json",
                      **encryption())  # the stage's KMS key when it has one, as every object written
    _org_cache[key] = names
    return names


def _list_accounts(config: ClientConfig, credentials: dict[str, str]) -> dict[str, str]:
    """Names are a courtesy: a role without organizations:ListAccounts (or a payer outside an
    organization) gives none, cached as such, and the report shows spaced ids."""
    try:
        org = aws.client_with_credentials("organizations", credentials, "us-east-1")
        names: dict[str, str] = {}
        for page in org.get_paginator("list_accounts").paginate():
            for account in page.get("Accounts", []):
                if account.get("Id") and account.get("Name"):
                    names[str(account["Id"])] = str(account["Name"])[:100]
        return names
    except Exception as exc:  # noqa: BLE001 - names are a courtesy: any failure means none, logged
        logger().warning("no account names from the payer's organization",
                       extra={"client_id": config.client_id, "error": f"{type(exc).__name__}: {exc}"[:300]})
        return {}


def account_names(run: RunContext, config: ClientConfig, credentials: dict[str, str] | None) -> dict[str, str]:
    """The config's names win; the organization fills the rest; only the client's own accounts."""
    names = {a: n for a, n in organization_names(run, config, credentials).items() if a in config.accounts}
    names.update(config.account_names)
    return names


def names_or_config(run: RunContext, config: ClientConfig, credentials: dict[str, str] | None) -> dict[str, str]:
    try:
        return account_names(run, config, credentials)
    except (AuthorizationError, ConfigurationError):
        return dict(config.account_names)

"""The Cost Explorer requests beyond the main one, and the payer's account names: a ReportContext.

Per client and report (each Cost Explorer request is billed, $0.01):
- one GetCostAndUsage without GroupBy over the history window (trend, 7-day average, month to
  date): one page whatever the client's size;
- one GetCostForecast for daily/weekly reports while the month is not over;
- one GetCostAndUsage grouped by USAGE_TYPE and REGION for the service whose move the report
  explains, only when the caller's `explain` names one once it has seen the history
  (insights.explainer: the top mover crossing the client's alert thresholds); one page at most
  (a longer answer is marked partial).
Account names come from the config and, for payer-role clients, organizations:ListAccounts,
looked up once per run and payer (cached in S3 under the run) and filtered to the client's accounts.

Fetching only: nothing here explains (analysis.py and insights.py read what this fetches).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from pydantic import Field

from chalicelib.core import aws
from chalicelib.core.constants import ORGANIZATIONS_CACHE, RUNS_PREFIX
from chalicelib.core.errors import AuthorizationError, ConfigurationError, DataValidationError, aws_error_code, classify_aws_error
from chalicelib.core.models import ClientConfig, StrictModel
from chalicelib.core.observability import logger
from chalicelib.core.periods import Granularity, Period, month_start, months_back, next_month, report_granularity
from chalicelib.reports.contracts import RunContext
from chalicelib.reports.costs.explorer import (
    BucketTotal,
    ForecastFigures,
    cost_request,
    fetch_forecast,
    forecast_query,
    separated_record_types,
)

TREND_DAYS = 14  # daily and weekly reports: daily totals over the last 14 days
TREND_MONTHS = 6  # monthly reports: the last 6 months

# ---- windows: which dates the extra requests cover (explaining reads the answers over the same) ----


def trend_window(report_type: str, current: Period) -> Period:
    if report_type == "monthly":
        return Period(start=months_back(current.start, TREND_MONTHS - 1), end=current.end)
    return Period(start=current.end - timedelta(days=TREND_DAYS), end=current.end)


def month_to_date_window(as_of: date) -> Period:
    """Month to date as of the run: from the 1st of the month holding the day before as_of, to as_of.

    As of the run, not the report period: Cost Explorer forecasts only from today on, so the actual
    spend must reach the forecast's start (a weekly report run on a Wednesday counts Mon-Tue too)."""
    return Period(start=month_start(as_of - timedelta(days=1)), end=as_of)


def history_window(report_type: str, current: Period, as_of: date) -> tuple[Period, Granularity]:
    """The one ungrouped request's period: the trend, plus month-to-date for daily/weekly."""
    trend = trend_window(report_type, current)
    if report_type == "monthly":
        return trend, "MONTHLY"
    mtd = month_to_date_window(as_of)
    return Period(start=min(trend.start, mtd.start), end=max(current.end, mtd.end)), "DAILY"


def forecast_window(report_type: str, as_of: date) -> Period | None:
    """The rest of the month from as_of (daily/weekly reports); None when that month is complete."""
    if report_type == "monthly":
        return None
    end = next_month(as_of - timedelta(days=1))
    if as_of >= end:
        return None
    return Period(start=as_of, end=end)


# ---- what collect fetches (ReportContext) ------------------------------------------------------


class UsageTypeLine(StrictModel):
    usage_type: str
    region: str
    current: Decimal
    previous: Decimal


class UsageBreakdown(StrictModel):
    """The one extra GetCostAndUsage for the top flagged mover, grouped by USAGE_TYPE and REGION."""

    service: str
    lines: list[UsageTypeLine]
    partial: bool = False  # the answer had more than one page; only the first was read


class ReportContext(StrictModel):
    """Everything beyond the main cost lines that the report needs; written by collect to S3."""

    granularity: Granularity
    totals: list[BucketTotal] = Field(default_factory=list)  # the history window, oldest first
    forecast: ForecastFigures | None = None
    forecast_note: str | None = None  # why there is no forecast (Cost Explorer refused, month complete)
    breakdown: UsageBreakdown | None = None
    account_names: dict[str, str] = Field(default_factory=dict)  # only the client's own accounts
    ce_requests: int = 0  # requests beyond the main GetCostAndUsage
    as_of: date | None = None  # the run date the month to date and the forecast are computed for


def _call(ce: Any, operation: str, doing: str, **params: Any) -> dict[str, Any]:
    try:
        return getattr(ce, operation)(**params)
    except Exception as exc:
        raise classify_aws_error(exc, doing) from exc


def _amount(metrics: dict[str, Any], metric: str) -> Decimal:
    try:
        value = Decimal(str(metrics[metric]["Amount"]))
    except Exception as exc:
        raise DataValidationError(f"Cost Explorer answer without a valid {metric} amount") from exc
    if not value.is_finite():
        raise DataValidationError(f"Cost Explorer returned a non-finite {metric} amount")
    return value


def usage_request(config: ClientConfig, run: RunContext) -> dict[str, Any]:
    """The main usage request (its filter and metric): what the report's change compares. Credits,
    refunds and monthly charges fetched apart stay out of the trend, the baseline and the forecast."""
    return cost_request(config, run, separated_record_types(config, run))


def history_request(config: ClientConfig, run: RunContext) -> dict[str, Any]:
    """The main request's filter and metric (so the figures agree), ungrouped, over the history window."""
    window, granularity = history_window(run.report_type, run.current, run.as_of)
    base = usage_request(config, run)
    return {"TimePeriod": {"Start": window.start.isoformat(), "End": window.end.isoformat()},
            "Granularity": granularity, "Metrics": base["Metrics"], "Filter": base["Filter"]}


def fetch_history(ce: Any, config: ClientConfig, run: RunContext) -> list[BucketTotal]:
    answer = _call(ce, "get_cost_and_usage", "Cost Explorer GetCostAndUsage (history)", **history_request(config, run))
    return [
        BucketTotal(start=date.fromisoformat(b["TimePeriod"]["Start"]), amount=_amount(b.get("Total", {}), config.cost_metric))
        for b in answer.get("ResultsByTime", [])
    ]


def forecast_request(config: ClientConfig, run: RunContext) -> dict[str, Any] | None:
    window = forecast_window(run.report_type, run.as_of)
    if window is None:
        return None
    return {**forecast_query(config, window.start, window.end), "Filter": usage_request(config, run)["Filter"]}


def breakdown_request(config: ClientConfig, run: RunContext, service: str) -> dict[str, Any]:
    base = usage_request(config, run)
    return {**base,
            "GroupBy": [{"Type": "DIMENSION", "Key": "USAGE_TYPE"}, {"Type": "DIMENSION", "Key": "REGION"}],
            "Filter": {"And": [base["Filter"], {"Dimensions": {"Key": "SERVICE", "Values": [service]}}]}}


def fetch_breakdown(ce: Any, config: ClientConfig, run: RunContext, service: str) -> UsageBreakdown:
    """ONE request, never a second page: the why-line is worth one cent, not a loop."""
    answer = _call(ce, "get_cost_and_usage", "Cost Explorer GetCostAndUsage (usage types)",
                   **breakdown_request(config, run, service))
    sums: dict[tuple[str, str], list[Decimal]] = {}
    for bucket in answer.get("ResultsByTime", []):
        slot = 0 if date.fromisoformat(bucket["TimePeriod"]["Start"]) >= run.current.start else 1
        for group in bucket.get("Groups", []):
            usage_type, region = (list(group["Keys"]) + ["", ""])[:2]
            pair = sums.setdefault((usage_type, region), [Decimal(0), Decimal(0)])
            pair[slot] += _amount(group["Metrics"], config.cost_metric)
    lines = [UsageTypeLine(usage_type=u, region=r, current=c, previous=p) for (u, r), (c, p) in sorted(sums.items())]
    return UsageBreakdown(service=service, lines=lines, partial=bool(answer.get("NextPageToken")))


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
        s3.put_object(Bucket=bucket, Key=s3_key, Body=json.dumps(names).encode(), ContentType="application/json",
                      ServerSideEncryption="AES256")
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


# ---- all of it ---------------------------------------------------------------------------------


def fetch_context(ce: Any, config: ClientConfig, run: RunContext, credentials: dict[str, str] | None,
                  explain: Callable[[list[BucketTotal]], str | None], forecast: bool = True) -> ReportContext:
    """The history, the forecast, the breakdown of the service `explain` names once it has seen the
    history (insights.explainer: the caller decides what is worth explaining), and the account names."""
    requests = 1
    totals = fetch_history(ce, config, run)
    figures, note = None, None
    request = forecast_request(config, run) if forecast else None
    if request is not None:
        figures, note = fetch_forecast(ce, request)
        requests += 1
    elif not forecast and forecast_window(run.report_type, run.as_of) is not None:
        note = "No forecast for a past period"
    breakdown = None
    service = explain(totals)
    if service is not None:
        breakdown = fetch_breakdown(ce, config, run, service)
        requests += 1
    try:
        names = account_names(run, config, credentials)
    except (AuthorizationError, ConfigurationError):
        names = dict(config.account_names)
    return ReportContext(granularity=report_granularity(run.report_type), totals=totals, forecast=figures,
                         forecast_note=note, breakdown=breakdown, account_names=names, ce_requests=requests,
                         as_of=run.as_of)

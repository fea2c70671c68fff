"""What makes a report explain itself: trend, baselines, month-to-date and forecast, the why of the
biggest change, account names. Pure: numbers and flags from what collect fetched, no I/O, no text.

collect fetches a ReportContext (context.py: the raw answers of the extra Cost Explorer requests,
limited to the client's accounts); build_insights turns it and the CostReport into ReportInsights,
which every renderer reads, so no format computes a figure of its own. Fetching never imports this
module: which service's move is worth one more request is decided here (explainer), and collect hands
that decision to the fetch.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal
from urllib.parse import quote

from chalicelib.core.models import ChangeAlert, StrictModel
from chalicelib.core.periods import Granularity, Period, next_month, report_granularity
from chalicelib.reports.costs.analysis import CostReport, ServiceRow, is_flagged, pct_change
from chalicelib.reports.costs.context import ReportContext, UsageBreakdown, forecast_window, month_to_date_window, trend_window
from chalicelib.reports.costs.explorer import BucketTotal, ForecastFigures

ZERO = Decimal(0)
BASELINE_DAYS = 7  # a daily report is judged against the average of the 7 days before it
WHY_USAGE_TYPES = 3
CONSOLE_URL = "https://us-east-1.console.aws.amazon.com/costmanagement/home#/cost-explorer"


# ---- what renderers read (ReportInsights) ------------------------------------------------------


class TrendPoint(StrictModel):
    start: date
    amount: Decimal
    in_period: bool  # part of the report's own period: highlighted


class Trend(StrictModel):
    granularity: Granularity
    points: list[TrendPoint]
    peak: Decimal  # the largest amount (bars scale to it); 0 when nothing was spent


class Baseline(StrictModel):
    """The headline's comparisons beyond "vs the previous period"."""

    # daily: the average of the 7 days before the reported day, and the flag against it
    average: Decimal | None = None
    average_days: int = 0
    change_vs_average: Decimal | None = None
    change_vs_average_pct: Decimal | None = None
    # monthly with months of different lengths: spend per day
    per_day_current: Decimal | None = None
    per_day_previous: Decimal | None = None
    per_day_change_pct: Decimal | None = None
    flagged: bool  # the headline's flag: vs the 7-day average for daily, vs the previous period otherwise


class BudgetOutlook(StrictModel):
    budget: Decimal
    projected: Decimal  # month-to-date plus the forecast
    status: Literal["within", "exceed", "over"]  # over: month-to-date already passed it
    difference: Decimal  # projected - budget (negative: headroom)
    crossing_day: date | None  # the day spend passes the budget (forecast or actual)


class MonthToDate(StrictModel):
    month: date  # first day of the month
    through: date  # last day included
    spent: Decimal
    forecast: ForecastFigures | None
    forecast_note: str | None
    projected: Decimal | None  # spent + forecast total
    outlook: BudgetOutlook | None


class UsageTypeChange(StrictModel):
    usage_type: str
    region: str
    current: Decimal
    previous: Decimal
    change: Decimal


class WhyLine(StrictModel):
    service: str
    change: Decimal
    change_pct: Decimal | None
    usage_types: list[UsageTypeChange]  # at most WHY_USAGE_TYPES, largest share of the move first
    explained: Decimal  # the sum of their changes
    partial: bool  # from the first page of the usage-type answer only
    console_url: str


class ReportInsights(StrictModel):
    trend: Trend
    baseline: Baseline
    month_to_date: MonthToDate | None
    why: WhyLine | None
    account_names: dict[str, str]


# ---- computations ------------------------------------------------------------------------------


def build_trend(report_type: str, current: Period, totals: list[BucketTotal]) -> Trend:
    window = trend_window(report_type, current)
    by_start = {t.start: t.amount for t in totals}
    if report_type == "monthly":
        starts, cursor = [], window.start
        while cursor < window.end:
            starts.append(cursor)
            cursor = next_month(cursor)
        granularity: Granularity = "MONTHLY"
    else:
        starts = [window.start + timedelta(days=i) for i in range(window.days)]
        granularity = "DAILY"
    points = [
        TrendPoint(start=s, amount=by_start.get(s, ZERO), in_period=current.start <= s < current.end) for s in starts
    ]
    peak = max((p.amount for p in points), default=ZERO)
    return Trend(granularity=granularity, points=points, peak=max(peak, ZERO))


def build_baseline(report: CostReport, totals: list[BucketTotal], rule: ChangeAlert) -> Baseline:
    if report.report_type == "daily":
        days = {report.current.start - timedelta(days=i) for i in range(1, BASELINE_DAYS + 1)}
        window = [t.amount for t in totals if t.start in days]
        if not window:
            return Baseline(flagged=report.total_flagged)
        average = sum(window, ZERO) / len(window)
        # The compared figures (usage): credits and monthly charges never make a day stand out.
        change = report.compared_current - average
        pct = pct_change(report.compared_current, average)
        return Baseline(average=average, average_days=len(window), change_vs_average=change,
                        change_vs_average_pct=pct, flagged=is_flagged(change, pct, rule))
    if report.report_type == "monthly" and report.current.days != report.previous.days:
        cur = report.compared_current / report.current.days
        prev = report.compared_previous / report.previous.days
        return Baseline(per_day_current=cur, per_day_previous=prev, per_day_change_pct=pct_change(cur, prev),
                        flagged=report.total_flagged)
    return Baseline(flagged=report.total_flagged)


def budget_outlook(budget: Decimal, month: date, totals: list[BucketTotal], spent: Decimal,
                   forecast: ForecastFigures | None) -> BudgetOutlook:
    projected = spent + (forecast.total if forecast else ZERO)
    crossing: date | None = None
    running = ZERO
    for bucket in sorted(totals, key=lambda t: t.start):
        if bucket.start >= month:
            running += bucket.amount
            if running > budget:
                crossing = bucket.start
                break
    if crossing is not None:
        status: Literal["within", "exceed", "over"] = "over"
    elif projected > budget:
        status = "exceed"
        for bucket in forecast.daily if forecast else []:
            running += bucket.amount
            if running > budget:
                crossing = bucket.start
                break
        if crossing is None and forecast is not None:
            crossing = forecast.end - timedelta(days=1)  # totals only: it is passed by month end
    else:
        status = "within"
    return BudgetOutlook(budget=budget, projected=projected, status=status, difference=projected - budget,
                         crossing_day=crossing)


def build_month_to_date(report_type: str, as_of: date, context: ReportContext,
                        monthly_budget: Decimal | None) -> MonthToDate | None:
    if report_type == "monthly":
        return None
    window = month_to_date_window(as_of)
    in_month = [t for t in context.totals if window.start <= t.start < window.end]
    spent = sum((t.amount for t in in_month), ZERO)
    forecast = context.forecast
    projected = spent + forecast.total if forecast else (spent if forecast_window(report_type, as_of) is None else None)
    outlook = None
    if monthly_budget is not None and projected is not None:
        outlook = budget_outlook(monthly_budget, window.start, in_month, spent, forecast)
    return MonthToDate(month=window.start, through=window.end - timedelta(days=1), spent=spent, forecast=forecast,
                       forecast_note=context.forecast_note, projected=projected, outlook=outlook)


def why_target(report: CostReport, baseline: Baseline | None = None) -> ServiceRow | None:
    """The top mover that crosses the client's alert thresholds, if any (the only one explained).

    A daily report explains a move only when the day is also flagged against its 7-day average:
    a Saturday's drop from a Friday is the week's rhythm, not worth a Cost Explorer request."""
    if report.report_type == "daily" and baseline is not None and baseline.average is not None and not baseline.flagged:
        return None
    return next((row for row in report.top_movers if row.flagged), None)


def explainer(report: CostReport, rule: ChangeAlert) -> Callable[[list[BucketTotal]], str | None]:
    """What fetching asks once it has the history (context.fetch_context): the service whose move the
    report explains (worth one more Cost Explorer request), why_target against the baseline of those
    totals; None when no move is worth it."""
    def service_to_explain(totals: list[BucketTotal]) -> str | None:
        target = why_target(report, build_baseline(report, totals, rule))
        return target.service if target is not None else None

    return service_to_explain


def console_url(service: str, period_start: date, period_end: date, granularity: Granularity) -> str:
    """Cost Explorer in the console, filtered to the service over both periods, grouped by usage type."""
    service_filter = (
        '[{"dimension":{"id":"Service","displayValue":"Service"},"operator":"INCLUDES",'
        f'"values":[{{"value":{_json_string(service)},"displayValue":{_json_string(service)}}}]}}]'
    )
    params = {
        "chartStyle": "STACK",
        "costAggregate": "unBlendedCost",
        "startDate": period_start.isoformat(),
        "endDate": (period_end - timedelta(days=1)).isoformat(),  # the console's end date is inclusive
        "granularity": "Daily" if granularity == "DAILY" else "Monthly",
        "groupBy": '["UsageType"]',
        "filter": service_filter,
    }
    return CONSOLE_URL + "?" + "&".join(f"{k}={quote(v, safe='')}" for k, v in params.items())


def _json_string(value: str) -> str:
    import json

    return json.dumps(value)


def build_why(report: CostReport, breakdown: UsageBreakdown | None, baseline: Baseline | None = None) -> WhyLine | None:
    target = why_target(report, baseline)
    if target is None or breakdown is None or breakdown.service != target.service:
        return None
    sums: dict[tuple[str, str], list[Decimal]] = {}
    for line in breakdown.lines:
        pair = sums.setdefault((line.usage_type, line.region), [ZERO, ZERO])
        pair[0] += line.current
        pair[1] += line.previous
    direction = 1 if target.change > 0 else -1
    changes = [
        UsageTypeChange(usage_type=u, region=r, current=c, previous=p, change=c - p)
        for (u, r), (c, p) in sums.items()
        if (c - p) * direction > 0  # only what moved the same way as the service
    ]
    changes.sort(key=lambda x: (-abs(x.change), x.usage_type, x.region))
    top = changes[:WHY_USAGE_TYPES]
    granularity = report_granularity(report.report_type)
    return WhyLine(service=target.service, change=target.change, change_pct=target.change_pct, usage_types=top,
                   explained=sum((x.change for x in top), ZERO), partial=breakdown.partial,
                   console_url=console_url(target.service, report.previous.start, report.current.end, granularity))


def build_insights(report: CostReport, context: ReportContext, rule: ChangeAlert,
                   monthly_budget: Decimal | None) -> ReportInsights:
    allowed = {a.account_id for a in report.accounts}
    baseline = build_baseline(report, context.totals, rule)
    return ReportInsights(
        trend=build_trend(report.report_type, report.current, context.totals),
        baseline=baseline,
        month_to_date=build_month_to_date(report.report_type, context.as_of or report.current.end, context,
                                          monthly_budget),
        why=build_why(report, context.breakdown, baseline),
        # Defence in depth: a name is shown only for the client's own accounts.
        account_names={k: v for k, v in context.account_names.items() if k in allowed},
    )


def account_label(account_id: str, names: dict[str, str]) -> str:
    """`Prod (1111 1111 1111)`, or the spaced id alone when the account has no name."""
    spaced = " ".join(account_id[i:i + 4] for i in range(0, len(account_id), 4)) if len(account_id) == 12 else account_id
    name = names.get(account_id)
    return f"{name} ({spaced})" if name else spaced

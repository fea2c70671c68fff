"""The ONE report model every format renders: figures computed and worded once.

build_view(report, insights) turns the analysis (CostReport) and the insights (ReportInsights) into
a ReportView: every sentence and formatted figure the HTML, text and PDF show, plus the raw
numbers the XLSX writes with number formats. No renderer computes a figure of its own, so the
formats cannot disagree.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from chalicelib.core.formatting import format_money, format_pct, format_share, format_signed_money
from chalicelib.core.models import StrictModel
from chalicelib.reports.costs.analysis import CostReport, ServiceRow, pct_change
from chalicelib.reports.costs.insights import ReportInsights, account_label
from chalicelib.reports.rendering.colours import AMBER, GREEN, GREY, RED, change_colour as colour
from chalicelib.reports.rendering.wording import BUDGET_LABELS, breakdown_lines, change_label, footer_notes, headline

CHANGES_ROWS = 10  # the changes table: the largest moves, flagged ones marked


def ordinal(day: int) -> str:
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


def _width(part: Decimal, whole: Decimal) -> int:
    if whole <= 0 or part <= 0:
        return 0
    return min(max(int((part / whole * 100).to_integral_value(rounding=ROUND_HALF_UP)), 1), 100)


class Headline(StrictModel):
    label: str  # "Total spend (net of credits and refunds) (estimated)"
    label_text: str  # the same for the plain text: "TOTAL SPEND (net of credits and refunds)"
    change_label: str  # "Change" / "Change in usage" / "Change in usage and monthly charges"
    breakdown: list[str]  # usage, credits, refunds and monthly charges on their own lines
    total: str
    total_amount: Decimal
    change: str
    change_amount: Decimal
    compared_previous_amount: Decimal
    change_pct: str
    previous: str  # what the change compares with (usage, + monthly charges in a monthly report)
    previous_net: str  # the previous period's net total
    colour: str
    arrow: str  # ▲ ▼ or empty
    flagged: bool
    comparisons: list[str]  # "vs the 7-day average ($1,234.00): +$12.00 (+1.0%)", "per day: ..."


class TrendBar(StrictModel):
    label: str  # "9" (day of month) or "Jun"
    title: str  # "Mon 9 Nov: $1,234.56"
    amount: Decimal
    height: int  # 0..100, share of the tallest bar
    current: bool


class TrendView(StrictModel):
    caption: str  # "Daily totals, last 14 days" / "Monthly totals, last 6 months"
    bars: list[TrendBar]
    first: str
    last: str
    peak: str


class MonthToDateView(StrictModel):
    title: str  # "November month to date (1st to 21st)"
    spent: str
    spent_amount: Decimal
    forecast: str | None  # "$8,588.01 more by month end (80% range $7,000.00 to $10,000.00)"
    forecast_amount: Decimal | None
    projected: str | None
    projected_amount: Decimal | None
    note: str | None
    budget_line: str | None  # "On track to exceed the $52,000.00 monthly budget by $1,240.00 on the 24th"
    budget_colour: str


class UsageTypeRow(StrictModel):
    usage_type: str
    region: str
    change: str
    change_amount: Decimal


class WhyView(StrictModel):
    sentence: str  # "Amazon EC2 rose $6,120.00 (+180.0%): these usage types explain $5,900.00 of it"
    rows: list[UsageTypeRow]
    console_url: str
    partial: bool


class ChangeRow(StrictModel):
    service: str
    change: str
    change_amount: Decimal
    pct: str
    now: str
    colour: str
    flagged: bool


class ServiceRowView(StrictModel):
    service: str
    current: str
    previous: str
    change: str
    pct: str
    share: str
    share_width: int  # 0..100; 0 (no bar) below half a percent
    colour: str
    flagged: bool
    current_amount: Decimal
    previous_amount: Decimal
    change_amount: Decimal
    share_pct: Decimal


class AccountRowView(StrictModel):
    label: str  # "Prod (1111 1111 1111)" or "1111 1111 1111"
    account_id: str
    spaced_id: str
    name: str | None
    services: int
    current: str
    previous: str
    change: str
    pct: str
    colour: str
    current_amount: Decimal
    previous_amount: Decimal
    change_amount: Decimal


class BudgetView(StrictModel):
    line: str  # "Budget: $x of $y (z% used)"
    label: str
    colour: str
    width: int
    remaining: str


class ReportView(StrictModel):
    client_id: str
    client_name: str
    kind: str  # "Weekly"
    report_type: str
    period: str
    compared_with: str
    currency: str
    headline: Headline
    trend: TrendView
    month_to_date: MonthToDateView | None
    budget: BudgetView | None
    why: WhyView | None
    changes: list[ChangeRow]
    changes_flagged: int
    more_flagged: int  # flagged changes beyond the table (bold in the services table)
    services: list[ServiceRowView]
    services_total: list[str]  # [label, current, previous, change, change %]: usage when charges are apart
    services_total_amount: Decimal
    accounts: list[AccountRowView]
    notes: list[str]
    preheader: str


def _headline(report: CostReport, insights: ReportInsights) -> Headline:
    cur = report.currency
    base = insights.baseline
    comparisons = []
    if base.average is not None:
        comparisons.append(
            f"vs the {base.average_days}-day average ({format_money(base.average, cur)}): "
            f"{format_signed_money(base.change_vs_average, cur)} ({format_pct(base.change_vs_average_pct)})"
        )
    if base.per_day_current is not None:
        comparisons.append(
            f"per day: {format_money(base.per_day_current, cur)} vs {format_money(base.per_day_previous, cur)} "
            f"({format_pct(base.per_day_change_pct)}; {report.current.days} vs {report.previous.days} days)"
        )
    arrow = "\u25b2" if report.total_change > 0 else "\u25bc" if report.total_change < 0 else ""
    return Headline(
        label=headline(report), label_text=headline(report, "TOTAL SPEND"), change_label=change_label(report),
        breakdown=breakdown_lines(report),
        total=format_money(report.total_current, cur), total_amount=report.total_current,
        change=format_signed_money(report.total_change, cur), change_amount=report.total_change,
        compared_previous_amount=report.compared_previous, change_pct=format_pct(report.total_change_pct),
        previous=format_money(report.compared_previous, cur),
        previous_net=format_money(report.total_previous, cur),
        colour=colour(report.total_change), arrow=arrow, flagged=base.flagged, comparisons=comparisons,
    )


def _trend(report: CostReport, insights: ReportInsights) -> TrendView:
    trend = insights.trend
    cur = report.currency
    bars = []
    for point in trend.points:
        if trend.granularity == "MONTHLY":
            label, title = point.start.strftime("%b"), point.start.strftime("%B %Y")
        else:
            label, title = str(point.start.day), point.start.strftime("%a %-d %b")
        bars.append(TrendBar(label=label, title=f"{title}: {format_money(point.amount, cur)}", amount=point.amount,
                             height=_width(point.amount, trend.peak), current=point.in_period))
    if trend.granularity == "MONTHLY":
        caption = f"Monthly totals, last {len(bars)} months"
        first = trend.points[0].start.strftime("%b %Y") if trend.points else ""
        last = trend.points[-1].start.strftime("%b %Y") if trend.points else ""
    else:
        caption = f"Daily totals, last {len(bars)} days"
        first = trend.points[0].start.strftime("%-d %b") if trend.points else ""
        last = trend.points[-1].start.strftime("%-d %b") if trend.points else ""
    return TrendView(caption=caption, bars=bars, first=first, last=last, peak=format_money(trend.peak, cur))


def _month_to_date(report: CostReport, insights: ReportInsights) -> MonthToDateView | None:
    mtd = insights.month_to_date
    if mtd is None:
        return None
    cur = report.currency
    title = f"{mtd.month.strftime('%B')} month to date ({ordinal(1)} to {ordinal(mtd.through.day)})"
    forecast = None
    if mtd.forecast is not None:
        forecast = f"{format_money(mtd.forecast.total, cur)} more forecast by month end"
        if mtd.forecast.lower is not None and mtd.forecast.upper is not None:
            forecast += (f" (80% range {format_money(max(mtd.forecast.lower, Decimal(0)), cur)} to "
                         f"{format_money(mtd.forecast.upper, cur)})")
    budget_line, budget_colour = None, GREY
    outlook = mtd.outlook
    if outlook is not None:
        budget = format_money(outlook.budget, cur)
        if outlook.status == "over":
            budget_line = (f"Over the {budget} monthly budget since the {ordinal(outlook.crossing_day.day)}; "
                           f"heading for {format_money(outlook.projected, cur)}")
            budget_colour = RED
        elif outlook.status == "exceed":
            budget_line = (f"On track to exceed the {budget} monthly budget by {format_money(outlook.difference, cur)}"
                           f" on the {ordinal(outlook.crossing_day.day)}")
            budget_colour = AMBER
        else:
            budget_line = (f"On track to stay within the {budget} monthly budget "
                           f"({format_money(-outlook.difference, cur)} to spare)")
            budget_colour = GREEN
    return MonthToDateView(
        title=title, spent=format_money(mtd.spent, cur), spent_amount=mtd.spent, forecast=forecast,
        forecast_amount=mtd.forecast.total if mtd.forecast else None,
        projected=format_money(mtd.projected, cur) if mtd.projected is not None else None,
        projected_amount=mtd.projected, note=mtd.forecast_note, budget_line=budget_line, budget_colour=budget_colour,
    )


def _why(report: CostReport, insights: ReportInsights) -> WhyView | None:
    why = insights.why
    if why is None:
        return None
    cur = report.currency
    verb = "rose" if why.change > 0 else "fell"
    if why.usage_types:
        sentence = (f"{why.service} {verb} {format_money(abs(why.change), cur)} ({format_pct(why.change_pct)}): "
                    f"{'this usage type explains' if len(why.usage_types) == 1 else 'these usage types explain'} "
                    f"{format_money(abs(why.explained), cur)} of it")
    else:
        sentence = f"{why.service} {verb} {format_money(abs(why.change), cur)} ({format_pct(why.change_pct)})"
    rows = [UsageTypeRow(usage_type=u.usage_type, region=u.region, change=format_signed_money(u.change, cur),
                         change_amount=u.change) for u in why.usage_types]
    return WhyView(sentence=sentence, rows=rows, console_url=why.console_url, partial=why.partial)


def _movers(report: CostReport) -> list[ServiceRow]:
    return sorted((r for r in report.services if r.change != 0), key=lambda r: (-abs(r.change), r.service))


def _changes(report: CostReport) -> list[ChangeRow]:
    """One table: the largest moves, largest first; flagged ones (the alerts) are marked."""
    cur = report.currency
    chosen = _movers(report)[:CHANGES_ROWS]
    return [
        ChangeRow(service=r.service, change=format_signed_money(r.change, cur), change_amount=r.change,
                  pct=format_pct(r.change_pct), now=format_money(r.current, cur), colour=colour(r.change),
                  flagged=r.flagged)
        for r in chosen
    ]


def _budget(report: CostReport) -> BudgetView | None:
    budget = report.budget
    if budget is None:
        return None
    cur = report.currency
    width = int(min(max(budget.used_pct, Decimal(0)), Decimal(100)).to_integral_value(rounding=ROUND_HALF_UP))
    label = BUDGET_LABELS[budget.status]
    remaining = (f"{format_money(budget.remaining, cur)} remaining this period" if budget.remaining >= 0
                 else f"Over budget by {format_money(-budget.remaining, cur)}")
    return BudgetView(
        line=f"{report.report_type.capitalize()} budget: {format_money(budget.spent, cur)} of "
             f"{format_money(budget.budget, cur)} ({format_share(budget.used_pct)} used)",
        label=label, colour={"ok": GREEN, "warning": AMBER, "over": RED}[budget.status], width=width,
        remaining=remaining,
    )


def _services_total(report: CostReport) -> list[str]:
    """The services table adds up usage; the headline total (net) is above it."""
    cur = report.currency
    if report.charges_apart:
        return ["Total usage", format_money(report.usage_current, cur), format_money(report.usage_previous, cur),
                format_signed_money(report.usage_current - report.usage_previous, cur),
                format_pct(pct_change(report.usage_current, report.usage_previous))]
    return ["Total", format_money(report.total_current, cur), format_money(report.total_previous, cur),
            format_signed_money(report.total_change, cur), format_pct(report.total_change_pct)]


def build_view(report: CostReport, insights: ReportInsights, attachments: list[str] | None = None) -> ReportView:
    cur = report.currency
    names = insights.account_names
    services = [
        ServiceRowView(service=r.service, current=format_money(r.current, cur), previous=format_money(r.previous, cur),
                       change=format_signed_money(r.change, cur), pct=format_pct(r.change_pct), share=format_share(r.share_pct),
                       share_width=int(min(r.share_pct, Decimal(100)).to_integral_value(rounding=ROUND_HALF_UP)),
                       colour=colour(r.change), flagged=r.flagged,
                       current_amount=r.current, previous_amount=r.previous, change_amount=r.change, share_pct=r.share_pct)
        for r in report.services
    ]
    accounts = [
        AccountRowView(label=account_label(a.account_id, names), account_id=a.account_id,
                       spaced_id=account_label(a.account_id, {}), name=names.get(a.account_id),
                       services=a.services, current=format_money(a.current, cur), previous=format_money(a.previous, cur),
                       change=format_signed_money(a.change, cur), pct=format_pct(a.change_pct), colour=colour(a.change),
                       current_amount=a.current, previous_amount=a.previous, change_amount=a.change)
        for a in report.accounts
    ]
    changes = _changes(report)
    headline = _headline(report, insights)
    return ReportView(
        client_id=report.client_id, client_name=report.client_name, kind=report.report_type.capitalize(),
        report_type=report.report_type, period=report.current.label(), compared_with=report.previous.label(),
        currency=cur, headline=headline, trend=_trend(report, insights),
        month_to_date=_month_to_date(report, insights), budget=_budget(report), why=_why(report, insights),
        changes=changes, changes_flagged=sum(c.flagged for c in changes),
        more_flagged=sum(r.flagged for r in _movers(report)[CHANGES_ROWS:]), services=services,
        services_total=_services_total(report),
        services_total_amount=report.usage_current if report.charges_apart else report.total_current,
        accounts=accounts,
        notes=footer_notes(report, attachments or ["csv"]),
        preheader=f"{headline.total} ({headline.change_pct}) for {report.current.label()}",
    )

"""The change alert: decided from the report's own view (ReportView), so an alert never says
something the report does not. One notification per (client, report type, period) on the
notification queue, sent to the client's alert channels; a rerun or a forced re-send of the report
makes the same notification id, so the queue ledger sends it once. Plain text: each channel escapes it.

When a report alerts (alerted_changes, the one rule):
- only changes the report flags: the headline's flag and the services table's flags;
- a daily report with its 7-day history is judged like its headline, against the 7-day average:
  a day that is ordinary for its week (a weekend dip, the Monday after) never alerts, whatever
  its services did against the day before;
- increases (and new spend) only, unless the client's `change_alert.decreases` is on.

Severity follows the one rule of chalicelib/core/notifications.py (severity_for): critical when the
report shows a budget exceeded or on track to be, warning for an increase, info for a decrease.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from chalicelib.core.formatting import format_money, format_pct, format_signed_money
from chalicelib.core.models import ChangeAlert, ClientConfig, StrictModel
from chalicelib.core.notifications import Fact, Link, Notification, Route, notification_id, severity_for
from chalicelib.core.periods import utcnow
from chalicelib.reports.rendering.view import ReportView, ServiceRowView

HUNDRED = Decimal(100)
CONSOLE_COST_EXPLORER = "https://us-east-1.console.aws.amazon.com/costmanagement/home#/cost-explorer"
REPORT_LINK_SECONDS = 7 * 24 * 3600  # the longest SigV4 presigned URL S3 accepts
NEXT_STEP = ("Open Cost Explorer (button below) grouped by usage type to find the resources behind it; "
             "if the change is expected, raise this client's change_alert thresholds or its budget.")


class AlertedChanges(StrictModel):
    """What a report alerts on: the total (its change against the headline's basis) and services."""

    total: bool
    total_change: Decimal
    services: list[ServiceRowView]  # largest move first

    @property
    def increase(self) -> bool:
        if self.total:
            return self.total_change > 0
        return any(s.change_amount > 0 for s in self.services)


def _name(row: ServiceRowView) -> str:
    """Cost Explorer's name of the service (the report shows the short one): alerts name it in full."""
    return row.full_name or row.service


def _wanted(change: Decimal, rule: ChangeAlert) -> bool:
    return change > 0 or (rule.decreases and change < 0)


def alerted_changes(view: ReportView, rule: ChangeAlert) -> AlertedChanges | None:
    """The changes this report alerts on, or None: only what the report flags (module docstring)."""
    headline = view.headline
    total = headline.flagged and _wanted(headline.flag_change_amount, rule)
    services: list[ServiceRowView] = []
    if headline.flagged or not headline.flag_vs_average:
        services = sorted((s for s in view.services if s.flagged and _wanted(s.change_amount, rule)),
                          key=lambda s: (-abs(s.change_amount), s.service))
    if not total and not services:
        return None
    return AlertedChanges(total=total, total_change=headline.flag_change_amount, services=services)


def budget_at_risk(view: ReportView) -> bool:
    """The report shows a budget exceeded, or the month on track to exceed its budget."""
    if view.budget is not None and view.budget.status == "over":
        return True
    return view.month_to_date is not None and view.month_to_date.budget_status in ("exceed", "over")


def since(view: ReportView, rule: ChangeAlert, increase: bool) -> date | None:
    """The first day of the move: for a daily report, the first of the days up to the reported one
    that all stand out against the 7-day average by the alert percentage; otherwise the first day of
    the period that stands out against the previous period's average day."""
    days = [b for b in view.trend.bars if b.start is not None]
    if view.trend.caption.startswith("Monthly") or not days:
        return view.period_start
    current = [b for b in days if b.current]
    if not current:
        return view.period_start
    window = 7 if view.headline.flag_vs_average else len(current)
    before = [b for b in days if not b.current and b.start < current[0].start][-window:]
    if not before:
        return view.period_start
    level = sum((b.amount for b in before), Decimal(0)) / len(before)
    factor = (HUNDRED + rule.pct) / HUNDRED if increase else (HUNDRED - rule.pct) / HUNDRED

    def stands_out(amount: Decimal) -> bool:
        return amount >= level * factor if increase else amount <= level * factor

    if view.headline.flag_vs_average:
        first = current[-1].start
        for bar in reversed(days[:days.index(current[-1])]):
            if not stands_out(bar.amount):
                break
            first = bar.start
        return first
    return next((b.start for b in current if stands_out(b.amount)), view.period_start)


def cost_explorer_url(view: ReportView, service: str | None) -> str | None:
    """Cost Explorer in the console, filtered to the client's accounts (and the service when one
    moved), over the previous and the reported period, daily, grouped by usage type."""
    if view.previous_start is None or view.period_end is None:
        return None

    def dimension(key: str, label: str, values: list[str]) -> dict[str, Any]:
        return {"dimension": {"id": key, "displayValue": label}, "operator": "INCLUDES",
                "values": [{"value": v, "displayValue": v} for v in values]}

    filters = [dimension("LinkedAccount", "Linked account", [a.account_id for a in view.accounts])]
    if service is not None:
        filters.append(dimension("Service", "Service", [service]))
    params = {
        "chartStyle": "STACK",
        "costAggregate": "unBlendedCost",
        "startDate": view.previous_start.isoformat(),
        "endDate": (view.period_end - timedelta(days=1)).isoformat(),  # the console's end date is inclusive
        "granularity": "Monthly" if view.report_type == "monthly" else "Daily",
        "groupBy": json.dumps(["UsageType" if service else "Service"]),
        "filter": json.dumps(filters, separators=(",", ":")),
    }
    return CONSOLE_COST_EXPLORER + "?" + "&".join(f"{k}={quote(v, safe='')}" for k, v in params.items())


def _change_line(name: str, change: Decimal, pct: str, now: str, currency: str) -> str:
    if pct == "new":
        return f"{name}: new spend of {now} (nothing in the previous period)"
    return f"{name}: {'up' if change > 0 else 'down'} {format_money(abs(change), currency)} ({pct}) to {now}"


def _where(view: ReportView, alerted: AlertedChanges, increase: bool) -> list[Fact]:
    facts = []
    sign = 1 if increase else -1
    movers = sorted((a for a in view.accounts if a.change_amount * sign > 0), key=lambda a: -abs(a.change_amount))
    if movers:
        top = movers[0]
        facts.append(Fact(label="Account", value=f"{top.label}: {top.change} ({top.pct})"))
    if alerted.services:
        facts.append(Fact(label="Service", value=_name(alerted.services[0])))
    why = view.why
    if why is not None and why.rows and (not alerted.services or why.service == _name(alerted.services[0])):
        top_row = why.rows[0]
        facts.append(Fact(label="Usage type", value=f"{top_row.usage_type} ({top_row.change})"))
        facts.append(Fact(label="Region", value=top_row.region or "global"))
    return facts


def change_notification(view: ReportView, config: ClientConfig, report_url: str | None = None) -> Notification | None:
    """The alert for this report, or None when the report flags nothing the client is alerted on."""
    rule = config.change_alert
    alerted = alerted_changes(view, rule)
    if alerted is None:
        return None
    route = Route.for_client(config)
    if not route.channels():
        return None
    cur, headline = view.currency, view.headline
    increase = alerted.increase
    lines: list[str] = []
    if alerted.total:
        lines.append(f"Total: {format_signed_money(alerted.total_change, cur)} ({headline.flag_change_pct}) against "
                     f"{headline.flag_basis}, to {headline.total}")
    lines += [_change_line(_name(s), s.change_amount, s.pct, s.current, cur) for s in alerted.services]
    what = lines[0]
    if alerted.total:
        title = (f"{config.name}: spend {'up' if alerted.total_change > 0 else 'down'} {headline.flag_change_pct.lstrip('+-')} "
                 f"({view.kind.lower()}, {view.period})")
    else:
        top = alerted.services[0]
        title = (f"{config.name}: {_name(top)} {'up' if top.change_amount > 0 else 'down'} {top.pct.lstrip('+-')} "
                 f"({view.kind.lower()}, {view.period})")
    started = since(view, rule, increase)
    budget = "no budget set"
    if view.month_to_date is not None and view.month_to_date.budget_line:
        budget = view.month_to_date.budget_line
    elif view.budget is not None:
        budget = f"{view.budget.line}: {view.budget.label.lower()}"
    facts = [Fact(label="What changed", value=what)]
    facts += _where(view, alerted, increase)
    facts += [
        Fact(label="Since", value=started.isoformat() if started else view.period),
        Fact(label="Budget", value=budget),
        Fact(label="Alert rule", value=f"at least {format_pct(rule.pct).lstrip('+')} and {format_money(rule.absolute, cur)} "
                                       f"against {headline.flag_basis}; "
                                       f"{'increases and decreases' if rule.decreases else 'increases only'}"),
    ]
    details = lines[1:]
    if view.why is not None:
        details.append(view.why.sentence)
        details += [f"{row.usage_type} in {row.region or 'global'}: {row.change}" for row in view.why.rows]
    details.append(f"Next: {NEXT_STEP}")
    links: list[Link] = []
    if report_url:
        links.append(Link(label="Open the report", url=report_url))
    explorer = cost_explorer_url(view, _name(alerted.services[0]) if alerted.services else None)
    if explorer:
        links.append(Link(label="Cost Explorer", url=explorer))
    return Notification(
        notification_id=notification_id("change_alert", config.client_id, view.report_type,
                                        (view.period_start or date.min).isoformat()),
        kind="change_alert",
        client_id=config.client_id,
        client_name=config.name,
        severity=severity_for(budget_at_risk=increase and budget_at_risk(view), increase=increase),
        title=title,
        summary=(f"Total {headline.total} for {view.period}, {headline.change} ({headline.change_pct}) against "
                 f"{view.compared_with}" + ("" if headline.flag_basis == view.compared_with else
                                            f", {format_signed_money(headline.flag_change_amount, cur)} "
                                            f"({headline.flag_change_pct}) against {headline.flag_basis}") + "."),
        facts=facts,
        details=details[:60],
        created_at=utcnow(),
        route=route,
        links=links,
        footer=f"Change alert from the {view.kind.lower()} cost report of {config.name} for {view.period}.",
    )


def report_link(bucket: str, key: str) -> str | None:
    """A presigned GET of the stored HTML report, valid REPORT_LINK_SECONDS at most (S3 also ends it
    when the signing role's session ends: docs/budgets-and-notifications.md#change-alerts)."""
    from botocore.exceptions import BotoCoreError, ClientError

    from chalicelib.reports.stages.report_pdf import presigning_client

    try:
        return str(presigning_client().generate_presigned_url(
            "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=REPORT_LINK_SECONDS))
    except (BotoCoreError, ClientError):  # a link is a convenience: the alert goes without it rather than not at all
        return None

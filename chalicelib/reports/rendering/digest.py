"""The daily digest in chat (opt-in, `notifications.daily_digest`): the day's total, its change
against the 7-day average, the 14-day trend as a sparkline, the top 5 services and the month to date
against the budget, from the daily report's own view, to the client's Slack and Teams channels only.
Queued once per (client, day) like every notification; severity info (the one rule: nothing to act on)."""

from __future__ import annotations

from datetime import date

from chalicelib.core.models import ClientConfig
from chalicelib.core.notifications import Fact, Notification, Route, notification_id, severity_for
from chalicelib.core.periods import utcnow
from chalicelib.reports.rendering.view import ReportView

TOP_SERVICES = 5
_BLOCKS = "\u2581\u2582\u2583\u2584\u2585\u2586\u2587\u2588"


def sparkline(heights: list[int]) -> str:
    """Bar heights 0..100 as block characters, lowest to highest."""
    return "".join(_BLOCKS[min(h * len(_BLOCKS) // 101, len(_BLOCKS) - 1)] for h in heights)


def digest_notification(view: ReportView, config: ClientConfig) -> Notification | None:
    if view.report_type != "daily" or not config.notifications.daily_digest:
        return None
    chat = config.notifications
    route = Route(slack_secret=chat.slack_secret, teams_secret=chat.teams_secret)
    if not route.channels():
        return None
    headline = view.headline
    compared = next((c for c in headline.comparisons if c.startswith("vs the")), None)
    summary = f"{headline.total}: {headline.change} ({headline.change_pct}) against {view.compared_with}"
    summary += f"; {compared}." if compared else "."
    facts = [Fact(label=view.trend.caption, value=f"{sparkline([b.height for b in view.trend.bars])} "
                                                  f"(peak {view.trend.peak})")]
    if view.month_to_date is not None:
        mtd = view.month_to_date
        facts.append(Fact(label=mtd.title, value=mtd.spent + (f"; {mtd.budget_line}" if mtd.budget_line else "")))
    details = [f"{s.service}: {s.current} ({s.pct} against {view.compared_with})"
               for s in view.services[:TOP_SERVICES]]
    return Notification(
        notification_id=notification_id("digest", config.client_id, (view.period_start or date.min).isoformat()),
        kind="digest",
        client_id=config.client_id,
        client_name=config.name,
        severity=severity_for(budget_at_risk=False, increase=False),
        title=f"{config.name}: {headline.total} on {view.period}",
        summary=summary,
        facts=facts,
        details=details,
        created_at=utcnow(),
        route=route,
        footer=f"Daily digest of {config.name}'s AWS costs (notifications.daily_digest).",
    )

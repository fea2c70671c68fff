"""The change alert: a report whose total (red) or a service (amber) moved past the client's
`change_alert` thresholds queues one notification per (client, report type, period) on the
notification queue, sent to the client's alert channels. A rerun or a forced re-send of the report
makes the same notification id: the queue ledger sends it once. Plain text: each channel escapes it."""

from __future__ import annotations

from chalicelib.core.formatting import format_money, format_pct, format_signed_money
from chalicelib.core.models import ClientConfig
from chalicelib.core.notifications import Fact, Notification, Route, notification_id
from chalicelib.core.periods import utcnow
from chalicelib.reports.costs.analysis import CostReport
from chalicelib.reports.rendering.wording import alert_lines


def change_notification(report: CostReport, config: ClientConfig) -> Notification | None:
    if not report.alerts:
        return None
    route = Route.for_client(config)
    if not route.channels():
        return None
    cur = report.currency
    label = report.current.label()
    red = report.total_flagged
    return Notification(
        notification_id=notification_id("change_alert", config.client_id, report.report_type, report.current.start.isoformat()),
        kind="change_alert",
        client_id=config.client_id,
        client_name=config.name,
        severity="critical" if red else "warning",
        title=f"{config.name}: {'total spend' if red else 'service spend'} changed ({report.report_type}, {label})",
        summary=(f"Total {format_money(report.total_current, cur)}, {format_signed_money(report.total_change, cur)} "
                 f"({format_pct(report.total_change_pct)}) against {report.previous.label()}."),
        facts=[Fact(label="Period", value=label),
               Fact(label="Total", value=format_money(report.total_current, cur)),
               Fact(label="Previous period", value=format_money(report.total_previous, cur)),
               Fact(label="Alert rule", value=f"at least {config.change_alert.pct}% and "
                                              f"{format_money(config.change_alert.absolute, cur)}")],
        details=alert_lines(report)[:60],
        created_at=utcnow(),
        route=route,
    )

"""The operator alert sent when a run ends with problems: clients that failed and clients skipped
for a reason that is not benign (no cost data, no recipients...): what, why, what to do.

It travels through the notification queue like every notification (queued once per run, retried
by the queue, dead-lettered with an alarm); the queue's consumer publishes it to the operator topic.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timezone

from chalicelib.core.constants import APP_NAME, OPERATOR_CLIENT_ID
from chalicelib.reports.contracts import FailedClient, RunSummary


def alert_lines(summary: RunSummary) -> tuple[str, list[str]]:
    """(headline, one line per category, per failed client and per problem skip)."""
    by_category: dict[str, list[FailedClient]] = defaultdict(list)
    for failure in summary.failures:
        by_category[failure.category or "unknown"].append(failure)
    headline = (
        f"Run {summary.run_id} ({summary.report_type}, period {summary.period.start.isoformat()} to "
        f"{summary.period.end.isoformat()}): {summary.failed} failed, {summary.delivered} delivered, "
        f"{summary.skipped} skipped."
    )
    lines = []
    for category, failures in sorted(by_category.items()):
        lines.append(f"[{category}] {len(failures)} client(s). Recommended action: {failures[0].recommended_action or '-'}")
        for failure in failures:
            lines.append(f"  - {failure.client_id}: {(failure.reason or '')[:300]}")
    if summary.problem_skips:
        lines.append(f"[skipped, no report sent] {len(summary.problem_skips)} client(s). Fix the cause, then rerun the same input.")
        for skip in summary.problem_skips:
            lines.append(f"  - {skip.client_id}: {skip.reason[:300]}")
    lines.append("Rerun the same execution input after fixing the cause: only the missing reports are sent.")
    return headline, lines


def alert_text(summary: RunSummary) -> str:
    headline, lines = alert_lines(summary)
    return "\n".join([headline, "", *lines])


def send_failure_alert(summary: RunSummary) -> str | None:
    """Queue the operator alert when the run has problems; returns its notification id. The queue's
    consumer publishes it to the deployment's operator topic (ALERT_TOPIC_ARN)."""
    from chalicelib.notify.models import MAX_DETAILS, Notification, Route, notification_id
    from chalicelib.notify.queue import enqueue

    if not summary.problems:
        return None
    headline, lines = alert_lines(summary)
    if len(lines) > MAX_DETAILS:
        lines = [*lines[: MAX_DETAILS - 1], f"... and {len(lines) - MAX_DETAILS + 1} more lines (see the run summary)"]
    notification = Notification(
        notification_id=notification_id("operator", summary.run_id),
        kind="operator",
        client_id=OPERATOR_CLIENT_ID,
        client_name="operators",
        severity="critical",
        title=f"{APP_NAME}: {summary.problems} client(s) without a report in {summary.report_type} run {summary.run_id}"[:300],
        summary=headline,
        details=lines,
        created_at=datetime.now(timezone.utc),
        route=Route(operator_topic=True),
    )
    enqueue(notification)
    return notification.notification_id

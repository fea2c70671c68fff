"""The operator alert sent when a run ends with problems: clients that failed and clients skipped
for a reason that is not benign (no cost data, no recipients...): what, why, what to do.

It travels through the notification queue like every notification (queued once per run, retried
by the queue, dead-lettered with an alarm); the queue's consumer publishes it to the operator topic.
The lines and the queueing are the budget check's too (chalicelib/core/executions.py).
"""

from __future__ import annotations

from chalicelib.core.constants import APP_NAME
from chalicelib.core.executions import problem_lines, queue_operator_alert
from chalicelib.reports.contracts import RunSummary


def alert_lines(summary: RunSummary) -> tuple[str, list[str]]:
    """(headline, one line per category, per failed client and per problem skip)."""
    headline = (
        f"Run {summary.run_id} ({summary.report_type}, period {summary.period.start.isoformat()} to "
        f"{summary.period.end.isoformat()}): {summary.failed} failed, {summary.delivered} delivered, "
        f"{summary.skipped} skipped."
    )
    return headline, problem_lines(
        summary.failures, summary.problem_skips, "[skipped, no report sent]",
        "Rerun the same execution input after fixing the cause: only the missing reports are sent.")


def send_failure_alert(summary: RunSummary) -> str | None:
    """Queue the operator alert when the run has problems; returns its notification id."""
    if not summary.problems:
        return None
    headline, lines = alert_lines(summary)
    return queue_operator_alert(
        (summary.run_id,),
        f"{APP_NAME}: {summary.problems} client(s) without a report in {summary.report_type} run {summary.run_id}",
        headline, lines)

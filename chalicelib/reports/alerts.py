"""The operator alert (SNS) sent when a run ends with problems: clients that failed and clients skipped
for a reason that is not benign (no cost data, no recipients...): what, why, what to do."""

from __future__ import annotations

from collections import defaultdict

from chalicelib.core import aws
from chalicelib.core.constants import APP_NAME
from chalicelib.core.email import header_safe
from chalicelib.core.errors import classify_aws_error
from chalicelib.core.settings import get_settings
from chalicelib.reports.contracts import FailedClient, RunSummary


def alert_text(summary: RunSummary) -> str:
    by_category: dict[str, list[FailedClient]] = defaultdict(list)
    for failure in summary.failures:
        by_category[failure.category or "unknown"].append(failure)
    lines = [
        f"Run {summary.run_id} ({summary.report_type}, period {summary.period.start.isoformat()} to "
        f"{summary.period.end.isoformat()}): {summary.failed} failed, {summary.delivered} delivered, "
        f"{summary.skipped} skipped.",
        "",
    ]
    for category, failures in sorted(by_category.items()):
        lines.append(f"[{category}] {len(failures)} client(s). Recommended action: {failures[0].recommended_action or '-'}")
        for failure in failures:
            lines.append(f"  - {failure.client_id}: {(failure.reason or '')[:300]}")
        lines.append("")
    if summary.problem_skips:
        lines.append(f"[skipped, no report sent] {len(summary.problem_skips)} client(s). Fix the cause, then rerun the same input.")
        for skip in summary.problem_skips:
            lines.append(f"  - {skip.client_id}: {skip.reason[:300]}")
        lines.append("")
    lines.append("Rerun the same execution input after fixing the cause: only the missing reports are sent.")
    return "\n".join(lines)


def send_failure_alert(summary: RunSummary) -> str | None:
    """Publish to the operator topic when one is configured; returns the SNS message id."""
    topic = get_settings().alert_topic_arn
    if not topic or not summary.problems:
        return None
    subject = header_safe(f"{APP_NAME}: {summary.problems} client(s) without a report in {summary.report_type} "
                          f"run {summary.run_id}", 100)
    try:
        return aws.client("sns").publish(TopicArn=topic, Subject=subject, Message=alert_text(summary))["MessageId"]
    except Exception as exc:  # noqa: BLE001
        raise classify_aws_error(exc, "SNS Publish operator alert") from exc

"""What report runs and budget checks share about their clients' outcomes: which skip is a problem,
and the operator alert a run queues when it ends with problems.

A failed client is a problem; a skipped one is a problem unless the skip is benign (BENIGN_SKIPS:
nothing was lost). Problems are listed in the operator alert (what, why, what to do), which travels
through the notification queue like every notification and reaches the deployment's operator topic.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timezone
from typing import Any

from chalicelib.core.constants import OPERATOR_CLIENT_ID
from chalicelib.core.models import StrictModel
from chalicelib.core.periods import utcnow

# Skips that are not a problem: nothing was lost (the others are listed in the operator alert).
BENIGN_SKIPS = frozenset({"already_delivered", "inactive", "not_enabled"})
# A reason quotes the config's own field names: a huge one must not push a record past DynamoDB's
# 400 KB item limit or a run summary past the 256 KB Step Functions payload limit.
MAX_REASON_CHARS = 1000
MAX_ALERT_REASON_CHARS = 300


def short_reason(reason: str) -> str:
    return reason if len(reason) <= MAX_REASON_CHARS else reason[: MAX_REASON_CHARS - 1] + "\u2026"


def skip_record(client_id: str, kind: str, reason: str) -> dict[str, Any]:
    """A skipped client's record: `skip` is its kind, `problem` unless the skip is benign, and the
    category (the operator alert's heading) is the kind of a problem skip."""
    problem = kind not in BENIGN_SKIPS
    return {"client_id": client_id, "status": "skipped", "reason": short_reason(reason),
            "category": kind if problem else None, "updated_at": utcnow().isoformat(),
            "skip": kind, "problem": problem}


def is_problem(status: str, item: dict[str, Any]) -> bool:
    """A failed client, or one skipped for a reason that is not benign (skip_record's `problem`)."""
    if status == "failed":
        return True
    return status == "skipped" and bool(item.get("problem"))


class FailedClient(StrictModel):
    client_id: str
    category: str | None
    reason: str
    recommended_action: str | None


class ProblemSkip(StrictModel):
    """A client skipped for a reason that is not benign (no cost data, no recipients, ...)."""

    client_id: str
    category: str | None
    reason: str


def problem_lines(failures: list[FailedClient], problem_skips: list[ProblemSkip], skipped_heading: str,
                  closing: str) -> list[str]:
    """One line per category of failure and per failed client, then the problem skips under
    `skipped_heading`, then `closing` (what to do once the causes are fixed)."""
    by_category: dict[str, list[FailedClient]] = defaultdict(list)
    for failure in failures:
        by_category[failure.category or "unknown"].append(failure)
    lines = []
    for category, grouped in sorted(by_category.items()):
        lines.append(f"[{category}] {len(grouped)} client(s). Recommended action: {grouped[0].recommended_action or '-'}")
        for failure in grouped:
            lines.append(f"  - {failure.client_id}: {(failure.reason or '')[:MAX_ALERT_REASON_CHARS]}")
    if problem_skips:
        lines.append(f"{skipped_heading} {len(problem_skips)} client(s). Fix the cause, then rerun the same input.")
        for skip in problem_skips:
            lines.append(f"  - {skip.client_id}: {skip.reason[:MAX_ALERT_REASON_CHARS]}")
    lines.append(closing)
    return lines


def queue_operator_alert(id_parts: tuple[str, ...], title: str, headline: str, lines: list[str]) -> str:
    """Queue the operator alert (once per id: a retried summary queues nothing new); its id. The
    queue's consumer publishes it to the deployment's operator topic (ALERT_TOPIC_ARN)."""
    from chalicelib.notify.models import MAX_DETAILS, Notification, Route, notification_id
    from chalicelib.notify.queue import enqueue

    if len(lines) > MAX_DETAILS:
        lines = [*lines[: MAX_DETAILS - 1], f"... and {len(lines) - MAX_DETAILS + 1} more lines (see the run summary)"]
    notification = Notification(
        notification_id=notification_id("operator", *id_parts),
        kind="operator",
        client_id=OPERATOR_CLIENT_ID,
        client_name="operators",
        severity="critical",
        title=title[:300],
        summary=headline,
        details=lines,
        created_at=datetime.now(timezone.utc),
        route=Route(operator_topic=True),
    )
    enqueue(notification)
    return notification.notification_id

"""What a local run used, measured: the counts the bill is computed from (`bench/cost.py`).

Everything here is counted while the run executes, nothing is estimated: Cost Explorer requests
(every page, as AWS bills it), Athena queries and the bytes they scanned (the local Athena's
counters), state transitions (moto's engine events, Distributed Map children included), Lambda
invocations and their measured duration, SES recipients, and every DynamoDB, S3, STS and SNS call
our stages made (DynamoDB writes in write units as billed: per KB per item, twice in a transaction).
"""

from __future__ import annotations

from typing import Any

from local.metering.aws_calls import OTHER, STAGES


def measure(aws: Any) -> dict[str, Any]:
    """The usage of everything `aws` (a LocalAWS) ran since it started (or since `reset(aws)`)."""
    with aws.bridge._lock:
        invocations = dict(aws.bridge.invocations)
        seconds = dict(aws.bridge.seconds)
        cpu_seconds = dict(aws.bridge.cpu_seconds)
    return {
        "ce_requests": aws.cost_explorer.requests,
        # the local Athena's count: queries by outcome, bytes scanned, bytes billed (10 MB minimum each)
        "athena": aws.athena.usage() if getattr(aws, "athena", None) is not None else {},
        "state_transitions": aws.engine_events.state_transitions,
        "states_entered": aws.engine_events.states_entered,
        "task_retries": aws.engine_events.task_retries,
        # seconds: wall time inside the handler (GIL waits of concurrent branches included);
        # cpu_seconds: the handler thread's CPU time, what it takes when it runs alone.
        "lambda": {name: {"invocations": invocations[name], "seconds": round(seconds.get(name, 0.0), 4),
                          "cpu_seconds": round(cpu_seconds.get(name, 0.0), 4)}
                   for name in sorted(invocations)},
        # Every email SES sent, each recipient billed: the reports and the alerts (change alerts,
        # budget alerts, the operator alert) the notification queue's email channel sent.
        "ses_messages": len(aws.outbox.sent) + len(aws.outbox.notifications),
        "ses_recipients": sum(sent["recipients"] for sent in [*aws.outbox.sent, *aws.outbox.notifications]),
        "ses_recipients_by_kind": {"reports": sum(sent["recipients"] for sent in aws.outbox.sent),
                                   "alerts": sum(sent["recipients"] for sent in aws.outbox.notifications)},
        # By bill line (`dynamodb read`, `s3 put`, ...): API calls and billed request units.
        "stage_calls": dict(sorted(aws.aws_calls.by_category(STAGES).items())),
        "stage_request_units": dict(sorted(aws.aws_calls.by_category(STAGES, units=True).items())),
        "engine_calls": dict(sorted(aws.aws_calls.by_category(OTHER).items())),
        "engine_request_units": dict(sorted(aws.aws_calls.by_category(OTHER, units=True).items())),
    }


def reset(aws: Any) -> None:
    """Forget what seeding and setup used, so `measure` reports the run alone."""
    aws.aws_calls.reset()
    aws.engine_events.reset()
    with aws.bridge._lock:
        aws.bridge.invocations.clear()
        aws.bridge.seconds.clear()
        aws.bridge.cpu_seconds.clear()
    aws.cost_explorer.reset_counters()
    if getattr(aws, "athena", None) is not None:
        aws.athena.reset_counters()

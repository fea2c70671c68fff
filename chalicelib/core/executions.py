"""What every run does the same way, whatever it runs (a report run, a budget check, an aggregation,
a scraper job).

Its execution: started at most once under a name derived from what it covers, so a repeated trigger
(EventBridge delivers at least once; an asynchronous Lambda invocation is retried twice) starts
nothing new; its input parsed into the run's model, a bad one failing the execution with the field
named; the error a Catch hands to the state that records a failure.

Its clients' outcomes: a record per client, a reason short enough to store, the outcome each record
status counts as, and which outcomes are problems. A failed client is a problem; a skipped one is a
problem unless the skip is benign (BENIGN_SKIPS: nothing was lost). A run with problems queues the
operator alert (what, why, what to do), which travels through the notification queue like every
notification and reaches the deployment's operator topic.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from chalicelib.core.constants import OPERATOR_CLIENT_ID
from chalicelib.core.errors import ConfigurationError, DataValidationError
from chalicelib.core.models import StrictModel, describe_validation_error, latest_as_of
from chalicelib.core.periods import parse_timestamp, utcnow

InputModel = TypeVar("InputModel", bound=BaseModel)

# ---- the execution ---------------------------------------------------------------------------------


class ExecutionStart(StrictModel):
    """A plan state's Parameters: the execution input as typed (the plan validates it itself, so a bad
    one fails naming the field instead of a shape error), the execution's name and its start time."""

    input: Any = None
    execution_name: str | None = None
    started_at: str | None = None

    def start_time(self) -> datetime:
        """When the execution started (a retried plan decides the same); now when no time was passed."""
        return parse_timestamp(self.started_at) or utcnow()


def parse_execution_input(raw_input: Any, model: type[InputModel], example: str,
                          started_at: datetime | None = None) -> InputModel:
    """The execution input as `model`; anything else fails the execution naming the field. With the
    execution's `started_at`, an `as_of` is refused later than tomorrow from then (core/models.AsOfDate)."""
    if not isinstance(raw_input, dict):
        raise DataValidationError(f"input: the execution input must be a JSON object like {example}")
    context = {"latest_as_of": latest_as_of(started_at)} if started_at is not None else None
    try:
        return model.model_validate(raw_input, context=context)
    except ValidationError as exc:
        raise DataValidationError(f"invalid execution input: {describe_validation_error(exc)}") from exc


def start_named_execution(state_machine_arn: str, name: str, run_input: dict[str, Any], *,
                          arn_variable: str) -> tuple[str, bool]:
    """(execution ARN, started now): an execution of that name already there is the same run, not an
    error. `arn_variable` names the setting the ARN comes from, for the error when it is empty."""
    from chalicelib.core import aws
    from chalicelib.core.errors import aws_error_code, classify_aws_error

    if not state_machine_arn:
        raise ConfigurationError(f"{arn_variable}: environment variable not set for the trigger function")
    try:
        reply = aws.client("stepfunctions").start_execution(stateMachineArn=state_machine_arn, name=name,
                                                            input=json.dumps(run_input))
        return reply["executionArn"], True
    except Exception as exc:
        code = aws_error_code(exc)
        if code == "ExecutionAlreadyExists":
            return f"{state_machine_arn.replace(':stateMachine:', ':execution:')}:{name}", False
        if code in ("StateMachineDoesNotExist", "StateMachineDeleting"):
            raise ConfigurationError(f"state machine {state_machine_arn}: {code}") from exc
        if code in ("InvalidExecutionInput", "InvalidName"):
            raise DataValidationError(f"StartExecution: {code}: {exc}") from exc
        raise classify_aws_error(exc, "Step Functions StartExecution") from exc


def start_execution_once(state_machine_arn: str, name: str, run_input: dict[str, Any], *,
                         arn_variable: str) -> dict[str, Any]:
    """A schedule's start: {"status": "started", ...} or "already_started" for a repeat of the name."""
    execution_arn, started = start_named_execution(state_machine_arn, name, run_input, arn_variable=arn_variable)
    if not started:
        return {"status": "already_started", "execution_name": name}
    return {"status": "started", "execution_name": name, "execution_arn": execution_arn}


class CaughtError(StrictModel):
    """What a Catch writes at its ResultPath (Step Functions' own field names)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)

    error: str = Field(alias="Error")
    cause: str | None = Field(default=None, alias="Cause")


# ---- its clients' outcomes --------------------------------------------------------------------------

# Skips that are not a problem: nothing was lost (the others are listed in the operator alert).
BENIGN_SKIPS = frozenset({"already_delivered", "inactive", "not_enabled", "local_send_time"})
# What the operator does about a problem skip (the failures' actions are the error taxonomy's).
SKIP_ACTIONS = {
    "configuration": ConfigurationError.recommended_action,
    "no_data": ("Check the client's accounts (and the payer role, if any) are right and have costs in Cost Explorer "
                "for the period; then rerun the same input."),
    "unsubscribed": ("Every recipient of the client unsubscribed (python -m admin clients show): ask the client for "
                     "who should receive its reports, or resubscribe an address that asked to come back "
                     "(python -m admin clients resubscribe)."),
}
# A reason quotes the config's own field names: a huge one must not push a record past DynamoDB's
# 400 KB item limit or a run summary past the 256 KB Step Functions payload limit.
MAX_REASON_CHARS = 1000
MAX_ALERT_REASON_CHARS = 300

Outcome = Literal["delivered", "skipped", "failed"]
# A client record's status -> the outcome it counts as; any other status (a branch stopped midway,
# "pending") counts as failed.
OUTCOME_OF_STATUS: dict[str, Outcome] = {"completed": "delivered", "skipped": "skipped", "failed": "failed"}


def outcome_of(status: object) -> Outcome:
    return OUTCOME_OF_STATUS.get(str(status or ""), "failed")


def short_reason(reason: str) -> str:
    return reason if len(reason) <= MAX_REASON_CHARS else reason[: MAX_REASON_CHARS - 1] + "\u2026"


def skip_record(client_id: str, kind: str, reason: str) -> dict[str, Any]:
    """A skipped client's record: `skip` is its kind, `problem` unless the skip is benign, and the
    category (the operator alert's heading) is the kind of a problem skip."""
    problem = kind not in BENIGN_SKIPS
    return {"client_id": client_id, "status": "skipped", "reason": short_reason(reason),
            "category": kind if problem else None, "updated_at": utcnow().isoformat(),
            "skip": kind, "problem": problem,
            "recommended_action": SKIP_ACTIONS.get(kind, "Fix the cause, then rerun the same input.") if problem else None}


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
    from chalicelib.core.notifications import MAX_DETAILS, Notification, Route, enqueue, notification_id

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
        created_at=utcnow(),
        route=Route(operator_topic=True),
    )
    enqueue(notification)
    return notification.notification_id

"""Scheduled starts: one execution per report type and period, however often EventBridge fires.

The execution name is derived from the period, so a repeated trigger (EventBridge delivers at
least once; async Lambda invocations are retried twice) hits ExecutionAlreadyExists instead of
starting a second run. The period comes from the event's own time, not the clock, so a retry
an hour later still names the same period.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from chalicelib.core import aws
from chalicelib.core.errors import ConfigurationError, aws_error_code, classify_aws_error
from chalicelib.core.periods import parse_timestamp, report_periods
from chalicelib.core.settings import get_settings


def scheduled_execution_name(report_type: str, period_start: str) -> str:
    return f"scheduled-{report_type}-{period_start}"


def start_scheduled_run(report_type: str, event_time: str | None) -> dict[str, Any]:
    fired_at = parse_timestamp(event_time) or datetime.now(timezone.utc)
    as_of = fired_at.date()
    current, _ = report_periods(report_type, as_of)
    name = scheduled_execution_name(report_type, current.start.isoformat())
    state_machine_arn = get_settings().state_machine_arn
    if not state_machine_arn:
        raise ConfigurationError("STATE_MACHINE_ARN: environment variable not set for the trigger function")
    run_input = {"report_type": report_type, "as_of": as_of.isoformat()}
    return start_execution_once(state_machine_arn, name, run_input)


def start_execution_once(state_machine_arn: str, name: str, run_input: dict[str, Any]) -> dict[str, Any]:
    """Start a named execution; a repeat of the name is reported as already started, not an error."""
    try:
        reply = aws.client("stepfunctions").start_execution(
            stateMachineArn=state_machine_arn, name=name, input=json.dumps(run_input)
        )
    except Exception as exc:  # noqa: BLE001
        if aws_error_code(exc) == "ExecutionAlreadyExists":
            return {"status": "already_started", "execution_name": name}
        raise classify_aws_error(exc, "Step Functions StartExecution") from exc
    return {"status": "started", "execution_name": name, "execution_arn": reply["executionArn"]}

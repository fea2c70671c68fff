"""Scheduled starts: one execution per report type and period, however often EventBridge fires.

The execution name is derived from the period, so a repeated trigger (EventBridge delivers at
least once; async Lambda invocations are retried twice) hits ExecutionAlreadyExists instead of
starting a second run. The period comes from the event's own time, not the clock, so a retry
an hour later still names the same period.
"""

from __future__ import annotations

from typing import Any

from chalicelib.core.constants import ENV_STATE_MACHINE_ARN
from chalicelib.core.executions import start_execution_once
from chalicelib.core.periods import parse_timestamp, report_periods, utcnow
from chalicelib.core.settings import get_settings


def scheduled_execution_name(report_type: str, period_start: str) -> str:
    return f"scheduled-{report_type}-{period_start}"


def start_scheduled_run(report_type: str, event_time: str | None) -> dict[str, Any]:
    fired_at = parse_timestamp(event_time) or utcnow()
    as_of = fired_at.date()
    current, _ = report_periods(report_type, as_of)
    name = scheduled_execution_name(report_type, current.start.isoformat())
    run_input = {"report_type": report_type, "as_of": as_of.isoformat()}
    return start_execution_once(get_settings().state_machine_arn, name, run_input, arn_variable=ENV_STATE_MACHINE_ARN)

"""The daily schedule's start: one aggregation per day, named after the day the event fired
(EventBridge and async Lambda retries repeat a trigger; the second start hits ExecutionAlreadyExists)."""

from __future__ import annotations

from typing import Any

from chalicelib.core.constants import ENV_AGGREGATION_STATE_MACHINE_ARN
from chalicelib.core.executions import start_execution_once
from chalicelib.core.periods import parse_timestamp, utcnow
from chalicelib.core.settings import get_settings


def scheduled_execution_name(run_date: str) -> str:
    return f"aggregate-{run_date}"


def start_scheduled_aggregation(event_time: str | None) -> dict[str, Any]:
    """One execution per day, named after the day the event fired (EventBridge and async Lambda
    retries repeat a trigger; the second start hits ExecutionAlreadyExists)."""
    run_date = (parse_timestamp(event_time) or utcnow()).date().isoformat()
    return start_execution_once(get_settings().aggregation_state_machine_arn, scheduled_execution_name(run_date),
                                {"run_date": run_date}, arn_variable=ENV_AGGREGATION_STATE_MACHINE_ARN)

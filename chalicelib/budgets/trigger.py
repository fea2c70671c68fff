"""The daily start: one execution per day, named after the day (a repeated trigger starts nothing)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from chalicelib.core.constants import ENV_BUDGET_STATE_MACHINE_ARN
from chalicelib.core.executions import start_execution_once
from chalicelib.core.periods import parse_timestamp
from chalicelib.core.settings import get_settings


def execution_name(as_of: str) -> str:
    return f"scheduled-budget-{as_of}"


def start_daily_check(event_time: str | None) -> dict[str, Any]:
    as_of = (parse_timestamp(event_time) or datetime.now(UTC)).date().isoformat()
    return start_execution_once(get_settings().budget_state_machine_arn, execution_name(as_of), {"as_of": as_of},
                                arn_variable=ENV_BUDGET_STATE_MACHINE_ARN)

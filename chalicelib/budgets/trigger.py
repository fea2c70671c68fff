"""The daily start: one execution per day, named after the day (a repeated trigger starts nothing)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from chalicelib.core.errors import ConfigurationError
from chalicelib.core.periods import parse_timestamp
from chalicelib.core.settings import get_settings
from chalicelib.reports.triggers import start_execution_once


def execution_name(as_of: str) -> str:
    return f"scheduled-budget-{as_of}"


def start_daily_check(event_time: str | None) -> dict[str, Any]:
    as_of = (parse_timestamp(event_time) or datetime.now(timezone.utc)).date().isoformat()
    arn = get_settings().budget_state_machine_arn
    if not arn:
        raise ConfigurationError("BUDGET_STATE_MACHINE_ARN: environment variable not set for the budget trigger")
    return start_execution_once(arn, execution_name(as_of), {"as_of": as_of})

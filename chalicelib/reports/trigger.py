"""Scheduled starts: one execution per report type and period, however often EventBridge fires.

The execution name is derived from the period, so a repeated trigger (EventBridge delivers at
least once; async Lambda invocations are retried twice) hits ExecutionAlreadyExists instead of
starting a second run. The period comes from the event's own time, not the clock, so a retry
an hour later still names the same period.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.core.constants import ENV_STATE_MACHINE_ARN, REPORT_TYPES
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
    run_input = {"report_type": report_type, "as_of": as_of.isoformat(), "utc_schedule": True}
    return start_execution_once(get_settings().state_machine_arn, name, run_input, arn_variable=ENV_STATE_MACHINE_ARN)


# ---- local send times (chalicelib/core/send_times.py) ----------------------------------------------


def local_execution_name(report_type: str, as_of: str, slot: datetime) -> str:
    return f"local-{report_type}-{as_of}-at-{slot:%Y-%m-%dT%H}"


def start_local_runs(event_time: str | None) -> dict[str, Any]:
    """The hourly schedule: for the hour slot of the event's time, one execution per (report type,
    as_of) that some valid, ACTIVE client with that report type sends in this slot; named after both,
    so a repeated or retried event starts nothing new. Weekly reports go out for a Monday's as_of,
    monthly for the 1st's, as the UTC schedule does."""
    from chalicelib.core.clients import load_configs
    from chalicelib.core.models import ClientConfig
    from chalicelib.core.send_times import as_of_candidates, due_now, slot_of

    slot = slot_of(parse_timestamp(event_time) or utcnow())
    clients = [c for c in load_configs().values()
               if isinstance(c, ClientConfig) and c.send_hour is not None and c.status == "ACTIVE"]
    started = []
    for as_of in as_of_candidates(slot):
        for report_type in REPORT_TYPES:
            if (report_type == "weekly" and as_of.weekday() != 0) or (report_type == "monthly" and as_of.day != 1):
                continue
            if not any(report_type in c.reports and due_now(slot, as_of, c.timezone, c.send_hour) for c in clients):
                continue
            run_input = {"report_type": report_type, "as_of": as_of.isoformat(), "send_slot": slot.isoformat()}
            started.append(start_execution_once(get_settings().state_machine_arn,
                                                local_execution_name(report_type, as_of.isoformat(), slot),
                                                run_input, arn_variable=ENV_STATE_MACHINE_ARN))
    return {"slot": slot.isoformat(), "executions": started}

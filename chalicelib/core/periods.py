"""Period math. `as_of` is excluded: a report covers complete periods before it."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from chalicelib.core.models import Period


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _previous_month_start(month_start: date) -> date:
    return _month_start(month_start - timedelta(days=1))


def report_periods(report_type: str, as_of: date) -> tuple[Period, Period]:
    """(current, previous) half-open periods for a report type as of a date.

    daily:   the day before as_of vs the day before that
    weekly:  the last full Monday-Sunday week before as_of vs the week before it
    monthly: the last full calendar month before as_of vs the month before it
    """
    if report_type == "daily":
        end = as_of
        current = Period(start=end - timedelta(days=1), end=end)
        previous = Period(start=end - timedelta(days=2), end=current.start)
    elif report_type == "weekly":
        this_monday = as_of - timedelta(days=as_of.weekday())
        current = Period(start=this_monday - timedelta(days=7), end=this_monday)
        previous = Period(start=this_monday - timedelta(days=14), end=current.start)
    elif report_type == "monthly":
        this_month = _month_start(as_of)
        current = Period(start=_previous_month_start(this_month), end=this_month)
        previous = Period(start=_previous_month_start(current.start), end=current.start)
    else:
        raise ValueError(f"report_type: unknown report type {report_type!r}")
    return current, previous


def parse_timestamp(value: object) -> datetime | None:
    """An ISO 8601 timestamp from an event (`2026-11-23T09:00:00Z`) as an aware UTC datetime, or None."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)

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


def budget_period(period: str, day: date) -> Period:
    """The budget period (half-open) that holds `day`: its week (Monday first), month, quarter or year.

    The budget check looks at the period of the last complete day (as_of - 1): on the 1st the month
    just ended gets its final check; from the 2nd on, the new month is watched.
    """
    if period == "daily":
        return Period(start=day, end=day + timedelta(days=1))
    if period == "weekly":
        start = day - timedelta(days=day.weekday())
        return Period(start=start, end=start + timedelta(days=7))
    if period == "monthly":
        start = _month_start(day)
        return Period(start=start, end=_month_start(start + timedelta(days=31)))
    if period == "quarterly":
        start = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
        return Period(start=start, end=_month_start(start + timedelta(days=31 * 3)))
    if period == "yearly":
        return Period(start=date(day.year, 1, 1), end=date(day.year + 1, 1, 1))
    raise ValueError(f"period: unknown budget period {period!r}")

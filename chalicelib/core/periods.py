"""Time and periods, one home for every subsystem: the clock, event timestamps, and the half-open
date ranges reports, budgets and summaries cover.

A period is [start, end), as Cost Explorer takes it. `as_of` is excluded: a report covers complete
periods before it. Weeks start on Monday; quarters on the 1st of January, April, July and October.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from pydantic import model_validator

from chalicelib.core.models import StrictModel

# The spans a period can have: a report's, a budget's or a summary's type names one of them.
SPANS: tuple[str, ...] = ("daily", "weekly", "monthly", "quarterly", "yearly")
# The buckets costs are counted in (Cost Explorer's granularity).
Granularity = Literal["DAILY", "MONTHLY"]


def utcnow() -> datetime:
    return datetime.now(UTC)


def parse_timestamp(value: object) -> datetime | None:
    """An ISO 8601 timestamp from an event (`2026-11-23T09:00:00Z`) as an aware UTC datetime, or None."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


class Period(StrictModel):
    """A half-open date range [start, end), as Cost Explorer takes it. People read `label()` and
    `last_day` (inclusive); `end` is for Cost Explorer and period math only."""

    start: date
    end: date

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.end <= self.start:
            raise ValueError("period end must be after its start")
        return self

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    def label(self) -> str:
        last = self.last_day
        return self.start.isoformat() if last == self.start else f"{self.start.isoformat()} to {last.isoformat()}"


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    """The 1st of the month after the one holding `day`."""
    return month_start(day) + timedelta(days=calendar.monthrange(day.year, day.month)[1])


def months_back(first: date, count: int) -> date:
    """The 1st of the month `count` months before the month starting on `first`."""
    for _ in range(count):
        first = month_start(first - timedelta(days=1))
    return first


def period_containing(span: str, day: date) -> Period:
    """The day, week (Monday first), month, quarter or year that holds `day`."""
    if span == "daily":
        return Period(start=day, end=day + timedelta(days=1))
    if span == "weekly":
        start = day - timedelta(days=day.weekday())
        return Period(start=start, end=start + timedelta(days=7))
    if span == "monthly":
        return Period(start=month_start(day), end=next_month(day))
    if span == "quarterly":
        start = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
        return Period(start=start, end=next_month(next_month(next_month(start))))
    if span == "yearly":
        return Period(start=date(day.year, 1, 1), end=date(day.year + 1, 1, 1))
    raise ValueError(f"unknown period {span!r}: one of {', '.join(SPANS)}")


def report_granularity(report_type: str) -> Granularity:
    """A report type's buckets: months for a monthly report (months differ in length), days otherwise."""
    return "MONTHLY" if report_type == "monthly" else "DAILY"


def report_periods(report_type: str, as_of: date) -> tuple[Period, Period]:
    """(current, previous) half-open periods for a report type as of a date.

    daily:   the day before as_of vs the day before that
    weekly:  the last full Monday-Sunday week before as_of vs the week before it
    monthly: the last full calendar month before as_of vs the month before it
    """
    if report_type not in ("daily", "weekly", "monthly"):
        raise ValueError(f"report_type: unknown report type {report_type!r}")
    current = period_containing(report_type, as_of - timedelta(days=1))
    if current.end > as_of:  # as_of falls inside that week or month: the one before is the last complete one
        current = period_containing(report_type, current.start - timedelta(days=1))
    previous = period_containing(report_type, current.start - timedelta(days=1))
    return current, previous

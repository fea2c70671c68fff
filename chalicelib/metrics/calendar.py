"""Summary periods: which day, week, month and year an aggregation run covers. Pure date math.

Every period is half-open [start, end) in UTC days. A run acting on `run_date` (the day the
schedule fired, from the event's own time) covers the periods that ended just before it:
  every day       the previous day
  Mondays         also the previous Monday-Sunday week
  the 1st         also the previous calendar month
  1 January       also the previous year
A backfill covers every period that contains at least one day of [start_date, end_date].
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from typing import Literal, get_args

from chalicelib.core import periods
from chalicelib.core.periods import Period

PeriodType = Literal["daily", "weekly", "monthly", "yearly"]
PERIOD_TYPES: tuple[str, ...] = get_args(PeriodType)
MAX_BACKFILL_DAYS = 366


class SummaryPeriod(Period):
    """A day, week, month or year: [start, end)."""

    period_type: PeriodType

    @property
    def key(self) -> str:
        """`weekly#2026-11-16`: the summary's sort key, the same for every rerun."""
        return f"{self.period_type}#{self.start.isoformat()}"

    def each_day(self) -> Iterator[date]:
        return day_range(self.start, self.end)


def day_range(start: date, end: date) -> Iterator[date]:
    """Days in [start, end)."""
    day = start
    while day < end:
        yield day
        day += timedelta(days=1)


def period_containing(period_type: str, day: date) -> SummaryPeriod:
    """The summary period of `period_type` that holds `day` (the calendar math: core/periods.py)."""
    span = periods.period_containing(period_type, day)
    return SummaryPeriod(period_type=period_type, start=span.start, end=span.end)


def scheduled_periods(run_date: date) -> list[SummaryPeriod]:
    """The periods a run on `run_date` summarizes, shortest first (years are built from months)."""
    yesterday = run_date - timedelta(days=1)
    due = {"daily": True, "weekly": run_date.weekday() == 0, "monthly": run_date.day == 1,
           "yearly": (run_date.month, run_date.day) == (1, 1)}
    return [period_containing(kind, yesterday) for kind in PERIOD_TYPES if due[kind]]


def backfill_periods(start_date: date, end_date: date) -> list[SummaryPeriod]:
    """Every period touched by [start_date, end_date] (both included), shortest first."""
    if end_date < start_date:
        raise ValueError("end_date: must be on or after start_date")
    days = list(day_range(start_date, end_date + timedelta(days=1)))
    return unique_periods(period_containing(kind, day) for kind in PERIOD_TYPES for day in days)


def unique_periods(periods: Iterable[SummaryPeriod]) -> list[SummaryPeriod]:
    """Deduplicated, ordered by type (daily < weekly < monthly < yearly) then start."""
    rank = {kind: index for index, kind in enumerate(PERIOD_TYPES)}
    return sorted(set(periods), key=lambda p: (rank[p.period_type], p.start))


def covered_days(periods: Iterable[SummaryPeriod]) -> tuple[date, date] | None:
    """[first, end) spanning every period given, or None when there are none."""
    periods = list(periods)
    if not periods:
        return None
    return min(p.start for p in periods), max(p.end for p in periods)

"""Which dates a run's figures need, and their union: the window of the one dataset they come from.

A report (daily, weekly): both periods, the trend (the last TREND_DAYS days), the 7 days before a
daily report's day (its average), month to date as of the run, and the forecast's history (the
HISTORY_DAYS days before the run) while the month is not over. A monthly report: the last
TREND_MONTHS months, in MONTHLY buckets (both periods are the last two of them). A budget check:
each budget's period so far, a look-back for "no cost data at all", and the forecast's history.

Every reader of the dataset (the Cost Explorer source, the billing-export split) asks for exactly
these windows, so every figure is computed from rows that are all there.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from chalicelib.core.periods import Granularity, Period, month_start, months_back, next_month, report_granularity
from chalicelib.costs.forecast import HISTORY_DAYS

TREND_DAYS = 14  # daily and weekly reports: daily totals over the last 14 days
TREND_MONTHS = 6  # monthly reports: the last 6 months
BASELINE_DAYS = 7  # a daily report is judged against the average of the 7 days before it
# No row at all in a budget's period is checked this far back before it is called a problem: on the
# first days of a period the source may have no row yet for a client that has spend.
NO_DATA_LOOKBACK_DAYS = 31


def union(windows: Iterable[Period]) -> Period:
    """The smallest period holding every one of `windows`."""
    periods = list(windows)
    return Period(start=min(p.start for p in periods), end=max(p.end for p in periods))


def trend_window(report_type: str, current: Period) -> Period:
    if report_type == "monthly":
        return Period(start=months_back(current.start, TREND_MONTHS - 1), end=current.end)
    return Period(start=current.end - timedelta(days=TREND_DAYS), end=current.end)


def baseline_window(current: Period) -> Period:
    """The days a daily report's average is taken over: the BASELINE_DAYS before its day."""
    return Period(start=current.start - timedelta(days=BASELINE_DAYS), end=current.start)


def month_to_date_window(as_of: date) -> Period:
    """Month to date as of the run: from the 1st of the month holding the day before as_of, to as_of.

    As of the run, not the report period: a weekly report run on a Wednesday counts Mon-Tue too, and
    the forecast starts where month to date ends."""
    return Period(start=month_start(as_of - timedelta(days=1)), end=as_of)


def forecast_window(report_type: str, as_of: date) -> Period | None:
    """The rest of the month from as_of (daily/weekly reports); None when that month is complete."""
    if report_type == "monthly":
        return None
    end = next_month(as_of - timedelta(days=1))
    if as_of >= end:
        return None
    return Period(start=as_of, end=end)


def forecast_history(start: date) -> Period:
    """The daily history a forecast from `start` reads (chalicelib/costs/forecast.py)."""
    return Period(start=start - timedelta(days=HISTORY_DAYS), end=start)


def report_window(report_type: str, current: Period, previous: Period, as_of: date) -> tuple[Period, Granularity]:
    """The dataset's window and granularity for one report: the union of everything its figures read."""
    granularity = report_granularity(report_type)
    needed = [Period(start=previous.start, end=current.end), trend_window(report_type, current)]
    if report_type != "monthly":
        needed.append(month_to_date_window(as_of))
        if report_type == "daily":
            needed.append(baseline_window(current))
        if forecast_window(report_type, as_of) is not None:
            needed.append(forecast_history(as_of))
    return union(needed), granularity


def budget_window(periods: Iterable[Period], as_of: date) -> Period:
    """A budget check's window: each budget period so far (to as_of), the no-data look-back, and the
    forecast's history when a period is still open."""
    periods = list(periods)
    so_far = [Period(start=p.start, end=min(as_of, p.end)) for p in periods if p.start < as_of]
    needed = [*so_far, Period(start=as_of - timedelta(days=NO_DATA_LOOKBACK_DAYS), end=as_of)]
    if any(as_of < p.end for p in periods):
        needed.append(forecast_history(as_of))
    return union(needed)

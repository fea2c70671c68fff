"""The dates the report's extra Cost Explorer requests cover: the trend, month to date and the
forecast (the calendar math: chalicelib/core/periods.py). Fetching (context.py) asks for them and
explaining (insights.py) reads the answers over them."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

from chalicelib.core.periods import Period, month_start, months_back, next_month

TREND_DAYS = 14  # daily and weekly reports: daily totals over the last 14 days
TREND_MONTHS = 6  # monthly reports: the last 6 months

Granularity = Literal["DAILY", "MONTHLY"]


def granularity_of(report_type: str) -> Granularity:
    return "MONTHLY" if report_type == "monthly" else "DAILY"


def trend_window(report_type: str, current: Period) -> Period:
    if report_type == "monthly":
        return Period(start=months_back(current.start, TREND_MONTHS - 1), end=current.end)
    return Period(start=current.end - timedelta(days=TREND_DAYS), end=current.end)


def month_to_date_window(as_of: date) -> Period:
    """Month to date as of the run: from the 1st of the month holding the day before as_of, to as_of.

    As of the run, not the report period: Cost Explorer forecasts only from today on, so the actual
    spend must reach the forecast's start (a weekly report run on a Wednesday counts Mon-Tue too)."""
    return Period(start=month_start(as_of - timedelta(days=1)), end=as_of)


def history_window(report_type: str, current: Period, as_of: date) -> tuple[Period, Granularity]:
    """The one ungrouped request's period: the trend, plus month-to-date for daily/weekly."""
    trend = trend_window(report_type, current)
    if report_type == "monthly":
        return trend, "MONTHLY"
    mtd = month_to_date_window(as_of)
    return Period(start=min(trend.start, mtd.start), end=max(current.end, mtd.end)), "DAILY"


def forecast_window(report_type: str, as_of: date) -> Period | None:
    """The rest of the month from as_of (daily/weekly reports); None when that month is complete."""
    if report_type == "monthly":
        return None
    end = next_month(as_of - timedelta(days=1))
    if as_of >= end:
        return None
    return Period(start=as_of, end=end)

from datetime import date

import pytest

from chalicelib.core.periods import report_periods


def _pair(report_type, as_of):
    current, previous = report_periods(report_type, as_of)
    return (current.start, current.end), (previous.start, previous.end)


def test_daily_is_the_day_before_as_of_vs_the_day_before_that():
    assert _pair("daily", date(2026, 3, 1)) == ((date(2026, 2, 28), date(2026, 3, 1)), (date(2026, 2, 27), date(2026, 2, 28)))


@pytest.mark.parametrize("as_of", [date(2026, 11, 16), date(2026, 11, 19), date(2026, 11, 22)])
def test_weekly_is_the_last_full_monday_to_sunday_week(as_of):
    # Nov 16 2026 is a Monday; any as_of in Nov 16-22 reports Nov 9-15 vs Nov 2-8.
    assert _pair("weekly", as_of) == ((date(2026, 11, 9), date(2026, 11, 16)), (date(2026, 11, 2), date(2026, 11, 9)))


def test_weekly_on_sunday_excludes_the_week_containing_as_of():
    current, _ = report_periods("weekly", date(2026, 11, 22))
    assert current.end <= date(2026, 11, 22) and current.start.weekday() == 0 and current.days == 7


def test_monthly_crosses_the_year_and_leap_february():
    assert _pair("monthly", date(2026, 1, 15)) == ((date(2025, 12, 1), date(2026, 1, 1)), (date(2025, 11, 1), date(2025, 12, 1)))
    assert _pair("monthly", date(2024, 3, 1)) == ((date(2024, 2, 1), date(2024, 3, 1)), (date(2024, 1, 1), date(2024, 2, 1)))
    assert report_periods("monthly", date(2024, 3, 31))[0].days == 29


def test_unknown_report_type_is_named():
    with pytest.raises(ValueError, match="report_type"):
        report_periods("hourly", date(2026, 1, 1))

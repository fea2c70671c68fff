"""Which periods an aggregation run summarizes: the schedule's calendar and backfill ranges."""

from datetime import date, timedelta

import pytest

from chalicelib.metrics.calendar import backfill_periods, period_containing, scheduled_periods
from chalicelib.metrics.contracts import AggregationInput


def _spans(periods):
    return [(p.period_type, p.start, p.end) for p in periods]


def test_an_ordinary_day_summarizes_the_previous_day_only():
    assert _spans(scheduled_periods(date(2026, 11, 18))) == [("daily", date(2026, 11, 17), date(2026, 11, 18))]


def test_a_monday_also_summarizes_the_previous_monday_to_sunday_week():
    assert _spans(scheduled_periods(date(2026, 11, 16))) == [
        ("daily", date(2026, 11, 15), date(2026, 11, 16)),
        ("weekly", date(2026, 11, 9), date(2026, 11, 16)),
    ]


def test_the_first_of_a_month_also_summarizes_the_previous_month():
    assert _spans(scheduled_periods(date(2026, 10, 1))) == [  # a Thursday
        ("daily", date(2026, 9, 30), date(2026, 10, 1)),
        ("monthly", date(2026, 9, 1), date(2026, 10, 1)),
    ]


def test_a_monday_that_is_the_first_summarizes_day_week_and_month():
    assert _spans(scheduled_periods(date(2026, 6, 1))) == [  # a Monday
        ("daily", date(2026, 5, 31), date(2026, 6, 1)),
        ("weekly", date(2026, 5, 25), date(2026, 6, 1)),
        ("monthly", date(2026, 5, 1), date(2026, 6, 1)),
    ]


def test_the_first_of_january_also_summarizes_the_previous_year():
    assert _spans(scheduled_periods(date(2027, 1, 1))) == [  # a Friday
        ("daily", date(2026, 12, 31), date(2027, 1, 1)),
        ("monthly", date(2026, 12, 1), date(2027, 1, 1)),
        ("yearly", date(2026, 1, 1), date(2027, 1, 1)),
    ]


def test_a_first_of_january_that_is_a_monday_summarizes_all_four():
    assert _spans(scheduled_periods(date(2024, 1, 1))) == [
        ("daily", date(2023, 12, 31), date(2024, 1, 1)),
        ("weekly", date(2023, 12, 25), date(2024, 1, 1)),
        ("monthly", date(2023, 12, 1), date(2024, 1, 1)),
        ("yearly", date(2023, 1, 1), date(2024, 1, 1)),
    ]


def test_february_of_a_leap_year_has_29_days():
    (monthly,) = [p for p in scheduled_periods(date(2024, 3, 1)) if p.period_type == "monthly"]
    assert (monthly.start, monthly.end, len(list(monthly.each_day()))) == (date(2024, 2, 1), date(2024, 3, 1), 29)


@pytest.mark.parametrize("day", [date(2026, 1, 1) + timedelta(days=n) for n in range(0, 730, 17)])
def test_every_period_containing_a_day_contains_it(day):
    for kind in ("daily", "weekly", "monthly", "yearly"):
        period = period_containing(kind, day)
        assert period.start <= day < period.end
    assert period_containing("weekly", day).start.weekday() == 0


def test_a_backfill_covers_every_period_it_touches():
    periods = backfill_periods(date(2026, 2, 27), date(2026, 3, 2))
    by_type = {kind: [(p.start, p.end) for p in periods if p.period_type == kind]
               for kind in ("daily", "weekly", "monthly", "yearly")}
    assert by_type["daily"] == [(date(2026, 2, 27) + timedelta(days=n), date(2026, 2, 28) + timedelta(days=n)) for n in range(4)]
    # Feb 27 is a Friday: its week began Feb 23; Mar 2 is a Monday: its week ends Mar 9.
    assert by_type["weekly"] == [(date(2026, 2, 23), date(2026, 3, 2)), (date(2026, 3, 2), date(2026, 3, 9))]
    assert by_type["monthly"] == [(date(2026, 2, 1), date(2026, 3, 1)), (date(2026, 3, 1), date(2026, 4, 1))]
    assert by_type["yearly"] == [(date(2026, 1, 1), date(2027, 1, 1))]


def test_a_backfill_across_new_year_touches_both_years():
    periods = backfill_periods(date(2025, 12, 30), date(2026, 1, 2))
    assert [(p.start.year) for p in periods if p.period_type == "yearly"] == [2025, 2026]
    # Dec 29 2025 is a Monday: one week spans the new year
    assert [p.start for p in periods if p.period_type == "weekly"] == [date(2025, 12, 29)]


def test_a_backfill_ending_before_it_starts_is_refused():
    with pytest.raises(ValueError, match="end_date"):
        backfill_periods(date(2026, 3, 2), date(2026, 3, 1))


@pytest.mark.parametrize("raw, problem", [
    ({"backfill": True, "end_date": "2026-03-01"}, "start_date: field required for a backfill"),
    ({"backfill": True, "start_date": "2026-03-01"}, "end_date: field required for a backfill"),
    ({"backfill": True, "start_date": "2026-03-02", "end_date": "2026-03-01"},
     "end_date: 2026-03-01 is before start_date 2026-03-02"),
    ({"backfill": True, "start_date": "2025-01-01", "end_date": "2026-01-02"},
     "end_date: the range covers 367 days, at most 366"),
    ({"start_date": "2026-03-01"}, 'start_date: only with "backfill": true'),
    ({"backfill": True, "start_date": "2026-03-01", "end_date": "2026-03-02", "run_date": "2026-03-05"},
     "run_date: not with a backfill"),
])
def test_backfill_input_problems_name_the_field(raw, problem):
    assert any(p.startswith(problem) for p in AggregationInput.model_validate(raw).problems())


def test_a_366_day_backfill_is_accepted():
    leap_year = {"backfill": True, "start_date": "2024-01-01", "end_date": "2024-12-31"}
    assert AggregationInput.model_validate(leap_year).problems() == []

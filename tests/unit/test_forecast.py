"""The month-end forecast from the dataset's own history (chalicelib/costs/forecast.py)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from chalicelib.costs.forecast import MIN_HISTORY_DAYS, DailyForecast, NoForecast, forecast_daily

D = Decimal
START = date(2026, 11, 16)  # a Monday


def _history(amount_of, days: int = 56) -> list[tuple[date, Decimal]]:
    first = START - timedelta(days=days)
    return [(first + timedelta(days=i), amount_of(first + timedelta(days=i))) for i in range(days)]


def test_a_steady_weekly_rhythm_is_forecast_day_by_day_within_the_interval():
    # Weekdays 100, weekends 40: Saturdays and Sundays are forecast low, weekdays high.
    result = forecast_daily(_history(lambda d: D(40) if d.weekday() >= 5 else D(100)), START, START + timedelta(days=14))
    assert isinstance(result, DailyForecast) and result.method == "weekday_level"
    by_day = {d.day.weekday(): d.amount for d in result.days}
    assert abs(by_day[0] - 100) < 1 and abs(by_day[5] - 40) < 1
    assert abs(result.total - D(10 * 100 + 4 * 40)) < 5
    assert result.lower <= result.total <= result.upper


def test_a_one_off_spike_does_not_move_the_level():
    spike_day = START - timedelta(days=2)
    result = forecast_daily(_history(lambda d: D(5000) if d == spike_day else D(100)), START, START + timedelta(days=10))
    assert isinstance(result, DailyForecast) and abs(result.total - 1000) < 20


def test_noisy_history_gives_a_wider_interval_than_steady_history():
    steady = forecast_daily(_history(lambda d: D(100)), START, START + timedelta(days=14))
    noisy = forecast_daily(_history(lambda d: D(160) if d.toordinal() % 3 == 0 else D(70)), START, START + timedelta(days=14))
    assert (noisy.upper - noisy.lower) > (steady.upper - steady.lower)


def test_too_little_history_is_a_result_not_an_exception():
    result = forecast_daily(_history(lambda d: D(100), days=MIN_HISTORY_DAYS - 3), START, START + timedelta(days=5))
    assert isinstance(result, NoForecast)
    assert result.reason == f"too little history: {MIN_HISTORY_DAYS - 3} days, {MIN_HISTORY_DAYS} needed"


def test_a_short_history_gives_a_flat_mean_with_a_range_and_an_empty_period_gives_zero():
    short = forecast_daily(_history(lambda d: D(100), days=10), START, START + timedelta(days=3))
    assert isinstance(short, DailyForecast) and short.method == "flat_mean" and short.total == D(300)
    empty = forecast_daily(_history(lambda d: D(100)), START, START)
    assert isinstance(empty, DailyForecast) and empty.total == 0 and empty.days == ()


def test_history_on_or_after_the_start_is_not_read_and_bad_arguments_are_refused():
    history = _history(lambda d: D(100)) + [(START, D(10**6)), (START + timedelta(days=1), D(10**6))]
    assert forecast_daily(history, START, START + timedelta(days=7)).total < 1000
    with pytest.raises(ValueError, match="level"):
        forecast_daily(history, START, START + timedelta(days=7), level=100)
    with pytest.raises(ValueError, match="ends before it starts"):
        forecast_daily(history, START, START - timedelta(days=1))

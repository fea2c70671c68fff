"""A forecast of daily spend from the client's own daily history: no request, no paid API.

`forecast_daily(history, start, end, level)` forecasts each day of [start, end) from the daily
totals before `start` and gives the forecast total with a prediction interval, or a `NoForecast`
that says why (never an exception for what the data holds).

The method, as a finance lead would read it:
  1. Each weekday's share of a typical week is measured over the last 8 weeks (the median of the
     weeks, so one odd week does not move it).
  2. The current daily level is a weighted average of the recent days, the most recent counting
     most (weights halve every 7 days), after one-off spikes are capped, each day weighed by its
     weekday's share; every future day is that level times its weekday's share.
  3. The range is how far the same method missed when it was replayed on this client's own
     history (forecasting past stretches from the days before them), scaled to the days ahead.

Why this method: cloud spend is mostly a steady level with a weekly rhythm, moved by steps (a
service starts or stops) and one-off spikes (a data transfer, a credit); a month-end total depends
mainly on the level, so the level follows recent days quickly but ignores a single odd day; the
weekly rhythm matters for the part-weeks at the ends. No trend is extrapolated: replayed on the
samples and on synthetic series (`python -m bench.forecast_backtest`, bench/README.md) a trend
term added more error after steps than it removed on growing series. The interval comes from the
method's own replayed misses (the root mean square of the misses, times the normal quantile of
the level) rather than from a model's assumptions, so a client with noisy spend gets a wider range.

Details and limits:
  - History: (day, amount) pairs, amounts of the same day added; days on or after `start` are
    ignored; a day between the first given day and `start` without an amount is a zero day (a cost
    dataset has no rows for a day without spend). At most `HISTORY_DAYS` days before `start` are
    read; pass that many for the best interval.
  - At least `MIN_HISTORY_DAYS` days are needed. With fewer than `PATTERN_MIN_DAYS` the forecast is
    the flat mean of the history (no weekly rhythm) and the range is wider (the daily spread plus
    the uncertainty of the mean itself, times `SHORT_HISTORY_WIDENING`).
  - Zero and negative days (credits) are valid: weeks whose total is not positive do not count in
    the weekly rhythm; a history that never went below zero gives no negative day or lower bound.
  - Holidays, month-start charges and known future events are out of scope: the forecast is of the
    series it is given (a caller forecasts usage and adds known charges itself).
  - Arithmetic is Decimal throughout (60 significant digits); the results are quantized as stored
    amounts are (core/amounts.py: 10 decimals), the total being the sum of the quantized days.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal, localcontext
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, model_validator

from chalicelib.core.amounts import stored_amount
from chalicelib.core.models import Money, StrictModel

MIN_HISTORY_DAYS = 7  # below this: NoForecast
PATTERN_MIN_DAYS = 14  # from two weeks on: the weekly rhythm and the replayed interval
PATTERN_WEEKS = 8  # the weekly rhythm is measured over at most this many latest weeks
HISTORY_DAYS = 84  # at most this many days before `start` are read (8 weeks of rhythm + replays)
LEVEL_HALF_LIFE_DAYS = 5  # a day's weight in the level halves every this many days back
LEVEL_DAYS = 28  # the level reads at most this many latest days
SPIKE_WINDOW = 3  # a day is compared with the median of the days up to this many on either side
SPIKE_LIMIT = 4  # ... and capped beyond this many robust standard deviations
SPIKE_FLOOR = Decimal("0.025")  # ... the deviation never below this share of the median level
RHYTHM_FLOOR = Decimal("0.2")  # a weekday below this share of an average day says little about the level
REPLAY_MIN_ORIGINS = 8  # replayed forecasts needed for the empirical interval
SHORT_HISTORY_WIDENING = Decimal("1.5")  # the flat-mean range is this much wider than its formula
_PRECISION = 60  # significant digits: 10 decimals of amounts up to 10^12 summed over many days, with room

Method = Literal["weekday_level", "flat_mean", "empty_period"]


class _Result(StrictModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, defer_build=True)


class ForecastDay(_Result):
    day: date
    amount: Money  # the forecast mean of that day


class DailyForecast(_Result):
    """Forecast daily means over [start, end), their total, and the total's prediction interval."""

    outcome: Literal["forecast"] = "forecast"
    start: date
    end: date  # exclusive
    days: tuple[ForecastDay, ...]  # one per day of [start, end), in order
    total: Money  # the sum of `days`
    lower: Money  # the total's prediction interval at `level` percent
    upper: Money
    level: int
    method: Method
    history_days: int  # days of history the forecast read (the first read day to start - 1)

    @model_validator(mode="after")
    def _consistent(self) -> DailyForecast:
        expected = [self.start + timedelta(days=i) for i in range((self.end - self.start).days)]
        if [d.day for d in self.days] != expected:
            raise ValueError("days must be every day of [start, end), in order")
        if sum((d.amount for d in self.days), Decimal(0)) != self.total:
            raise ValueError("total must be the sum of the days")
        if not self.lower <= self.total <= self.upper:
            raise ValueError("the interval must hold the total: lower <= total <= upper")
        return self


class NoForecast(_Result):
    """No forecast, and why, in words a report can show ("too little history: 5 days, 7 needed")."""

    outcome: Literal["none"] = "none"
    reason: str
    history_days: int


# A stored or passed-on result: `Forecast` validates either, by its `outcome`.
Forecast = Annotated[DailyForecast | NoForecast, Field(discriminator="outcome")]


def forecast_daily(history: Sequence[tuple[date, Decimal]], start: date, end: date,
                   level: int = 80) -> DailyForecast | NoForecast:
    """Each day of [start, end) forecast from the daily totals in `history` before `start`, with the
    total's prediction interval at `level` percent (51 to 99, as Cost Explorer takes it)."""
    if end < start:
        raise ValueError(f"the forecast period ends before it starts: {start} to {end}")
    if isinstance(level, bool) or not isinstance(level, int) or not 51 <= level <= 99:
        raise ValueError(f"level must be an integer percent from 51 to 99, got {level!r}")
    with localcontext() as context:
        context.prec = _PRECISION
        return _forecast(history, start, end, level)


def _forecast(history: Sequence[tuple[date, Decimal]], start: date, end: date, level: int) -> DailyForecast | NoForecast:
    totals: dict[date, Decimal] = {}
    for day, amount in history:
        if day >= start:
            continue
        if not isinstance(amount, Decimal | int) or isinstance(amount, bool):
            raise TypeError(f"history amounts must be Decimal, got {type(amount).__name__} on {day}")
        amount = Decimal(amount)
        if not amount.is_finite():
            return NoForecast(reason=f"the history holds a non-finite amount on {day}", history_days=0)
        totals[day] = totals.get(day, Decimal(0)) + amount
    first = max(min(totals), start - timedelta(days=HISTORY_DAYS)) if totals else start
    series = [totals.get(first + timedelta(days=i), Decimal(0)) for i in range((start - first).days)]
    horizon = (end - start).days
    if horizon == 0:
        return DailyForecast(start=start, end=end, days=(), total=Decimal(0), lower=Decimal(0), upper=Decimal(0),
                             level=level, method="empty_period", history_days=len(series))
    if len(series) < MIN_HISTORY_DAYS:
        return NoForecast(reason=f"too little history: {len(series)} days, {MIN_HISTORY_DAYS} needed",
                          history_days=len(series))
    weekday = first.weekday()
    means = _daily_means(series, weekday, horizon)
    half_width = _interval_half_width(series, weekday, horizon, level)
    never_negative = min(series) >= 0
    if never_negative:
        means = [max(m, Decimal(0)) for m in means]
    days = tuple(ForecastDay(day=start + timedelta(days=i), amount=stored_amount(m)) for i, m in enumerate(means))
    total = sum((d.amount for d in days), Decimal(0))
    half = stored_amount(half_width)
    lower = min(max(total - half, Decimal(0)) if never_negative else total - half, total)
    return DailyForecast(start=start, end=end, days=days, total=total, lower=lower, upper=total + half, level=level,
                         method="weekday_level" if len(series) >= PATTERN_MIN_DAYS else "flat_mean",
                         history_days=len(series))


# -- the point forecast ----------------------------------------------------------------------------

def _daily_means(series: Sequence[Decimal], weekday: int, horizon: int) -> list[Decimal]:
    """The mean of each of the `horizon` days after `series`, whose first day is the `weekday`."""
    recent = series[-LEVEL_DAYS:]
    recent_weekday = (weekday + len(series) - len(recent)) % 7
    if len(series) < PATTERN_MIN_DAYS:
        rhythm = [Decimal(1)] * 7
    else:
        rhythm = _weekly_rhythm(series, weekday)
    capped = _cap_spikes(recent, recent_weekday, rhythm)
    if len(series) < PATTERN_MIN_DAYS:
        level = sum(capped, Decimal(0)) / len(capped)  # too few days to weigh: every day counts alike
    else:
        level = _level(capped, recent_weekday, rhythm)
    after = (weekday + len(series)) % 7
    return [level * rhythm[(after + i) % 7] for i in range(horizon)]


def _weekly_rhythm(series: Sequence[Decimal], weekday: int) -> list[Decimal]:
    """Each weekday's share of an average day (the 7 average 1): per weekday, the median of its
    ratio to its week's mean over the latest whole weeks whose total is positive."""
    ratios: list[list[Decimal]] = [[] for _ in range(7)]
    weeks_used = 0
    for week in range(min(PATTERN_WEEKS, len(series) // 7)):
        begin = len(series) - 7 * (week + 1)
        days = series[begin:begin + 7]
        mean = sum(days, Decimal(0)) / 7
        if mean <= 0:
            continue
        weeks_used += 1
        for offset, amount in enumerate(days):
            ratios[(weekday + begin + offset) % 7].append(amount / mean)
    if weeks_used < 2:
        return [Decimal(1)] * 7
    shares = [max(statistics.median(r), Decimal(0)) for r in ratios]
    average = sum(shares, Decimal(0)) / 7
    if average <= 0:
        return [Decimal(1)] * 7
    return [share / average for share in shares]


def _cap_spikes(series: Sequence[Decimal], weekday: int, rhythm: Sequence[Decimal]) -> list[Decimal]:
    """`series` with one-off spikes (up or down) capped: a day whose amount, divided by its weekday's
    share, lies more than SPIKE_LIMIT robust standard deviations from the median of the days around
    it (a step that lasts some days moves that median, a one-off day does not)."""
    levels: dict[int, Decimal] = {i: amount / rhythm[(weekday + i) % 7]
                                  for i, amount in enumerate(series) if rhythm[(weekday + i) % 7] >= RHYTHM_FLOOR}
    if len(levels) < 3:
        return list(series)
    centres: dict[int, Decimal] = {}
    for i in levels:
        around = [levels[j] for j in range(i - SPIKE_WINDOW, i + SPIKE_WINDOW + 1) if j in levels]
        centres[i] = statistics.median(around)
    spread = Decimal("1.4826") * statistics.median(abs(levels[i] - centres[i]) for i in levels)
    floor = SPIKE_FLOOR * statistics.median(abs(v) for v in levels.values())
    limit = SPIKE_LIMIT * max(spread, floor)
    capped = list(series)
    for i, value in levels.items():
        if abs(value - centres[i]) > limit:
            bound = centres[i] + limit if value > centres[i] else centres[i] - limit
            capped[i] = bound * rhythm[(weekday + i) % 7]
    return capped


def _level(series: Sequence[Decimal], weekday: int, rhythm: Sequence[Decimal]) -> Decimal:
    """The spend of an average day now: the recent days' weighted sum over their weekday shares'
    weighted sum (a Monday-heavy stretch is not read as a higher level)."""
    spend = expected = Decimal(0)
    for i, amount in enumerate(series):
        weight = _weight(len(series) - 1 - i)
        spend += weight * amount
        expected += weight * rhythm[(weekday + i) % 7]
    return spend / expected


_WEIGHTS: dict[tuple[int, int], Decimal] = {}


def _weight(age: int) -> Decimal:
    key = (age, LEVEL_HALF_LIFE_DAYS)
    if key not in _WEIGHTS:
        _WEIGHTS[key] = Decimal("0.5") ** (Decimal(age) / LEVEL_HALF_LIFE_DAYS)
    return _WEIGHTS[key]


# -- the interval ----------------------------------------------------------------------------------

def _z(level: int) -> Decimal:
    return Decimal(repr(statistics.NormalDist().inv_cdf(0.5 + level / 200)))


def _interval_half_width(series: Sequence[Decimal], weekday: int, horizon: int, level: int) -> Decimal:
    """Half the width of the total's prediction interval over `horizon` days."""
    replay = _replayed_misses(series, weekday, horizon)
    if replay is None:
        return _short_history_half_width(series, horizon, level)
    misses, _span = replay
    scale = _scale(series)
    ordered = sorted(abs(m) for m in misses)
    rank = math.ceil((len(ordered) + 1) * level / 100)  # the conformal rank: n+1 slots, the next miss one of them
    return ordered[min(rank, len(ordered)) - 1] * scale * horizon


def _scale(series: Sequence[Decimal]) -> Decimal:
    """The typical size of a day lately (mean absolute amount of the last 2 weeks, else of all)."""
    for days in (series[-PATTERN_MIN_DAYS:], series):
        size = sum((abs(a) for a in days), Decimal(0)) / len(days)
        if size > 0:
            return size
    return Decimal(0)


def _replayed_misses(series: Sequence[Decimal], weekday: int, horizon: int) -> tuple[list[Decimal], int] | None:
    """The method replayed on the history: from each origin with PATTERN_MIN_DAYS days before it,
    the forecast of the next `span` days' total against what they were, as a share of the typical
    day before the origin per day forecast. `span` is the horizon, or fewer days when the history is
    too short to replay it REPLAY_MIN_ORIGINS times. None when even one day cannot be replayed so."""
    span = min(horizon, len(series) - PATTERN_MIN_DAYS - REPLAY_MIN_ORIGINS + 1)
    if span < 1:
        return None
    misses: list[Decimal] = []
    for origin in range(PATTERN_MIN_DAYS, len(series) - span + 1):
        before = series[:origin]
        forecast = sum(_daily_means(before, weekday, span), Decimal(0))
        actual = sum(series[origin:origin + span], Decimal(0))
        scale = _scale(before)
        if scale > 0:
            misses.append((actual - forecast) / (scale * span))
        elif actual != forecast:
            continue  # spend from nothing: not a miss of a level there was to read
        else:
            misses.append(Decimal(0))
    if len(misses) < REPLAY_MIN_ORIGINS:
        return None
    return misses, span


def _short_history_half_width(series: Sequence[Decimal], horizon: int, level: int) -> Decimal:
    """The flat-mean range: daily spread over the horizon plus the mean's own uncertainty carried
    over every day of it, widened by SHORT_HISTORY_WIDENING."""
    n = len(series)
    spread = statistics.stdev(series) if n > 1 else Decimal(0)
    variance = spread * spread * (horizon + Decimal(horizon * horizon) / n)
    return SHORT_HISTORY_WIDENING * _z(level) * variance.sqrt()

"""Backtest: the month-end forecast from the dataset's own history against two naive baselines.

python -m bench.forecast_backtest [--series 300] [--seed 18] [--level 80] [--samples DIR]

For every series and every forecast origin from day 5 to day 27 of each month it covers whole
(with at least the forecast's minimum history before the origin), the month-end total is forecast
as the month to date plus a forecast of the days left, and compared with the actual month total:

  weekday level  chalicelib/costs/forecast.py (the product's forecast)
  trailing mean  the mean of the 14 days before the origin (all of them if fewer) times the days
                 left, the range +/- z standard deviations a day: the local Cost Explorer's method
  last week      the last 7 days repeated up to month end (no range)

Series: the sample clients' daily totals (local/samples/costs.csv, read with the csv module, the
clients' accounts from clients.json), once for usage and once net of every charge (monthly
charges on the 1st, credits, refunds); and N seeded synthetic series (weekly rhythms, trends,
steps, spikes, drifting levels, credits, zero weekends, noise). Prints, per group of series, the
mean and median absolute percentage error of the month-end total, its mean absolute error, and for
the methods with a range the share of actual totals inside it and its mean width (% of the actual).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from chalicelib.costs.forecast import MIN_HISTORY_DAYS, DailyForecast, forecast_daily

SAMPLES = Path(__file__).resolve().parents[1] / "local" / "samples"
FIRST_ORIGIN_DAY, LAST_ORIGIN_DAY = 5, 27
TRAILING_DAYS = 14
SYNTHETIC_START = date(2026, 1, 1)
SYNTHETIC_DAYS = 151  # January to May 2026
PLACES = Decimal("1e-10")


@dataclass(frozen=True)
class Series:
    name: str
    first: date
    amounts: tuple[Decimal, ...]  # one per day from `first`
    tags: frozenset[str] = field(default_factory=frozenset)


# A method: (the days before the origin, the days to forecast, the level) -> (total, lower, upper);
# lower and upper are None for a method without a range.
Estimate = tuple[Decimal, Decimal | None, Decimal | None]
Method = Callable[[Series, int, int, int], Estimate]


# -- series ----------------------------------------------------------------------------------------

def sample_series(directory: Path) -> list[Series]:
    """Each sample client's daily usage and net totals, every day from the first in the file."""
    clients = json.loads((directory / "clients.json").read_text())
    owner = {account: client["client_id"] for client in clients for account in client["accounts"]}
    usage: dict[str, dict[date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    net: dict[str, dict[date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    with (directory / "costs.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            client = owner.get(row["account_id"])
            if client is None:
                continue
            day, amount = date.fromisoformat(row["date"]), Decimal(row["amount"])
            net[client][day] += amount
            if row["record_type"] == "Usage":
                usage[client][day] += amount
    series = []
    for kind, totals in (("usage", usage), ("net", net)):
        for client in sorted(totals):
            days = totals[client]
            first, last = min(days), max(days)
            amounts = tuple(days.get(first + timedelta(days=i), Decimal(0)) for i in range((last - first).days + 1))
            series.append(Series(f"{client} {kind}", first, amounts, frozenset({f"samples {kind}"})))
    return series


def synthetic_series(count: int, seed: int) -> list[Series]:
    """`count` seeded series of SYNTHETIC_DAYS days: a level times a weekly rhythm, with some of
    growth or decline, one step, one-off spikes, a drifting level, monthly credits, noise."""
    rng = random.Random(seed)
    return [_synthetic(rng, index) for index in range(count)]


def _synthetic(rng: random.Random, index: int) -> Series:
    tags: set[str] = set()
    base = 10 ** rng.uniform(0.5, 5)
    rhythm_kind = rng.choices(["flat", "business", "zero weekends", "irregular"], weights=[3, 4, 1, 2])[0]
    tags.add(f"rhythm: {rhythm_kind}")
    if rhythm_kind == "business":
        weekend = rng.uniform(0.2, 0.85)
        rhythm = [1.0] * 5 + [weekend] * 2
    elif rhythm_kind == "zero weekends":
        rhythm = [1.0] * 5 + [0.0] * 2
    elif rhythm_kind == "irregular":
        rhythm = [rng.uniform(0.6, 1.4) for _ in range(7)]
    else:
        rhythm = [1.0] * 7
    growth = 0.0
    if rng.random() < 0.4:
        growth = rng.uniform(-0.10, 0.25) / 30  # per day, linear: -10% to +25% a month
        tags.add("trend")
    step_day, step = None, 1.0
    if rng.random() < 0.35:
        step_day, step = rng.randrange(20, SYNTHETIC_DAYS), rng.choice([rng.uniform(0.4, 0.8), rng.uniform(1.3, 3.0)])
        tags.add("step")
    spike_chance = 0.03 if rng.random() < 0.35 else 0.0
    if spike_chance:
        tags.add("spikes")
    drift = rng.uniform(0.005, 0.03) if rng.random() < 0.3 else 0.0
    if drift:
        tags.add("drifting level")
    credit = rng.uniform(0.5, 2.0) if rng.random() < 0.1 else 0.0
    if credit:
        tags.add("credits")
    noise = rng.uniform(0.01, 0.25)
    if not tags & {"trend", "step", "spikes", "drifting level", "credits"}:
        tags.add("steady")
    amounts = []
    wander = 1.0
    for i in range(SYNTHETIC_DAYS):
        day = SYNTHETIC_START + timedelta(days=i)
        wander *= math.exp(rng.gauss(0, drift)) if drift else 1.0
        level = base * max(1 + growth * i, 0.05) * (step if step_day is not None and i >= step_day else 1.0) * wander
        amount = level * rhythm[day.weekday()] * math.exp(rng.gauss(0, noise) - noise * noise / 2)
        if spike_chance and rng.random() < spike_chance:
            amount += level * rng.uniform(1, 8)
        if credit and day.day == 15:
            amount -= level * credit
        amounts.append(Decimal(repr(amount)).quantize(PLACES))
    return Series(f"synthetic {index}", SYNTHETIC_START, tuple(amounts), frozenset(tags))


def origins(series: Series) -> Iterator[tuple[int, int, int]]:
    """(origin index, index of the month's 1st, index after the month's last day) for each origin of
    each whole month of the series with at least MIN_HISTORY_DAYS days before it."""
    last = series.first + timedelta(days=len(series.amounts) - 1)
    month = series.first.replace(day=1)
    while month <= last:
        following = (month + timedelta(days=32)).replace(day=1)
        if month >= series.first and following - timedelta(days=1) <= last:
            begin, end = (month - series.first).days, (following - series.first).days
            for day in range(FIRST_ORIGIN_DAY, LAST_ORIGIN_DAY + 1):
                origin = begin + day - 1
                if origin >= MIN_HISTORY_DAYS:
                    yield origin, begin, end
        month = following


# -- methods ---------------------------------------------------------------------------------------

def weekday_level(series: Series, origin: int, horizon: int, level: int) -> Estimate:
    start = series.first + timedelta(days=origin)
    history = [(series.first + timedelta(days=i), series.amounts[i]) for i in range(origin)]
    result = forecast_daily(history, start, start + timedelta(days=horizon), level)
    if not isinstance(result, DailyForecast):
        raise RuntimeError(f"{series.name}: no forecast at {start}: {result.reason}")
    return result.total, result.lower, result.upper


def trailing_mean(series: Series, origin: int, horizon: int, level: int) -> Estimate:
    days = series.amounts[max(0, origin - TRAILING_DAYS):origin]
    mean = sum(days, Decimal(0)) / len(days)
    spread = statistics.pstdev(days)
    margin = Decimal(repr(statistics.NormalDist().inv_cdf(0.5 + level / 200))) * spread * horizon
    return mean * horizon, mean * horizon - margin, mean * horizon + margin


def last_week(series: Series, origin: int, horizon: int, level: int) -> Estimate:
    week = series.amounts[origin - 7:origin]
    return sum((week[i % 7] for i in range(horizon)), Decimal(0)), None, None


METHODS: dict[str, Method] = {"weekday level": weekday_level, "trailing mean": trailing_mean, "last week": last_week}


# -- scoring ---------------------------------------------------------------------------------------

@dataclass
class Score:
    ape: list[float] = field(default_factory=list)  # |error| / |actual| of the month-end total
    error: list[float] = field(default_factory=list)  # |error|, in the series' currency
    inside: list[bool] = field(default_factory=list)  # the actual within the range
    width: list[float] = field(default_factory=list)  # the range's width / |actual|

    def add(self, estimate: Estimate, to_date: Decimal, actual: Decimal) -> None:
        total, lower, upper = estimate
        miss = abs(to_date + total - actual)
        self.error.append(float(miss))
        if actual != 0:
            self.ape.append(float(miss / abs(actual)))
        if lower is not None and upper is not None:
            self.inside.append(to_date + lower <= actual <= to_date + upper)
            if actual != 0:
                self.width.append(float((upper - lower) / abs(actual)))


def backtest(series: Sequence[Series], level: int, groups: Callable[[Series, int], list[str]]) -> dict[str, dict[str, Score]]:
    scores: dict[str, dict[str, Score]] = defaultdict(lambda: {name: Score() for name in METHODS})
    for one in series:
        for origin, begin, end in origins(one):
            to_date = sum(one.amounts[begin:origin], Decimal(0))
            actual = to_date + sum(one.amounts[origin:end], Decimal(0))
            for name, method in METHODS.items():
                estimate = method(one, origin, end - origin, level)
                for group in groups(one, origin):
                    scores[group][name].add(estimate, to_date, actual)
    return scores


def _groups(one: Series, origin: int) -> list[str]:
    kind = next(iter(t for t in one.tags if t.startswith("samples")), "synthetic")
    names = [kind]
    if kind == "synthetic":
        names += [f"  {tag}" for tag in sorted(one.tags)]
        names.append("  history 7-13 days" if origin < 14 else "  history 14+ days")
    return names


def _percent(values: Sequence[float]) -> str:
    return f"{100 * statistics.fmean(values):.1f}" if values else "-"


def print_table(scores: dict[str, dict[str, Score]], order: Sequence[str]) -> None:
    ours, base, week = (scores_name for scores_name in METHODS)
    print("| series | points | MAPE % (ours / trailing / last week) | median APE % | MAE | "
          "MAPE ratio ours:trailing | ours:last week | 80% coverage % (ours / trailing) | width % of actual |")
    print("|---|---|---|---|---|---|---|---|---|")
    for group in order:
        if group not in scores:
            continue
        s = scores[group]
        mape = {n: statistics.fmean(s[n].ape) for n in METHODS}
        median = {n: 100 * statistics.median(s[n].ape) for n in METHODS}
        mae = {n: statistics.fmean(s[n].error) for n in METHODS}
        print(f"| {group.strip()} | {len(s[ours].error)} "
              f"| {100 * mape[ours]:.2f} / {100 * mape[base]:.2f} / {100 * mape[week]:.2f} "
              f"| {median[ours]:.2f} / {median[base]:.2f} / {median[week]:.2f} "
              f"| {mae[ours]:,.2f} / {mae[base]:,.2f} / {mae[week]:,.2f} "
              f"| {mape[ours] / mape[base]:.2f} | {mape[ours] / mape[week]:.2f} "
              f"| {_percent(s[ours].inside)} / {_percent(s[base].inside)} "
              f"| {_percent(s[ours].width)} / {_percent(s[base].width)} |")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=300, help="synthetic series (default 300)")
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--level", type=int, default=80, help="prediction interval level, percent")
    parser.add_argument("--samples", type=Path, default=SAMPLES, help="directory of costs.csv and clients.json")
    args = parser.parse_args(argv)
    if not 0 <= args.series <= 5000:
        parser.error("--series must be between 0 and 5000")
    if not 51 <= args.level <= 99:
        parser.error("--level must be between 51 and 99")
    started = time.perf_counter()
    series = sample_series(args.samples) + synthetic_series(args.series, args.seed)
    scores = backtest(series, args.level, _groups)
    order = ["samples usage", "samples net", "synthetic"]
    order += sorted(g for g in scores if g.startswith("  "))
    print(f"Month-end total forecast from day {FIRST_ORIGIN_DAY} to day {LAST_ORIGIN_DAY}, {args.level}% range; "
          f"{args.series} synthetic series (seed {args.seed}) and the sample clients")
    print_table(scores, order)
    print(f"({time.perf_counter() - started:.0f} s)", file=sys.stderr)


if __name__ == "__main__":
    main()

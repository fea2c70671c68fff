"""Trend, baselines, month-to-date/forecast/budget outlook and the why-line: pure computations."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import unquote

from chalicelib.core.models import ChangeAlert
from chalicelib.core.periods import Period
from chalicelib.reports.costs import context as fetched, explorer, insights as ins
from chalicelib.reports.costs.analysis import analyze
from tests import factories as f

D = Decimal
RULE = ChangeAlert()


def _days(start: date, amounts: list[str]) -> list[explorer.BucketTotal]:
    return [explorer.BucketTotal(start=start + timedelta(days=i), amount=D(a)) for i, a in enumerate(amounts)]


def test_windows_cover_trend_and_month_to_date() -> None:
    daily = Period(start=date(2026, 11, 21), end=date(2026, 11, 22))
    assert fetched.trend_window("daily", daily) == Period(start=date(2026, 11, 8), end=date(2026, 11, 22))
    assert fetched.history_window("daily", daily, date(2026, 11, 22)) == (
        Period(start=date(2026, 11, 1), end=date(2026, 11, 22)), "DAILY")
    early = Period(start=date(2026, 11, 2), end=date(2026, 11, 3))
    assert fetched.history_window("daily", early, date(2026, 11, 3))[0].start == date(2026, 10, 20)  # 14 days back
    assert fetched.forecast_window("daily", date(2026, 11, 22)) == Period(start=date(2026, 11, 22), end=date(2026, 12, 1))
    assert fetched.forecast_window("daily", date(2026, 12, 1)) is None  # November is complete: nothing to forecast
    # A weekly report run on a Sunday: month to date (and the history) reach the day before the run.
    week = Period(start=date(2026, 11, 9), end=date(2026, 11, 16))
    assert fetched.history_window("weekly", week, date(2026, 11, 22)) == (
        Period(start=date(2026, 11, 1), end=date(2026, 11, 22)), "DAILY")
    assert fetched.month_to_date_window(date(2026, 11, 22)) == Period(start=date(2026, 11, 1), end=date(2026, 11, 22))
    monthly = Period(start=date(2026, 10, 1), end=date(2026, 11, 1))
    assert fetched.history_window("monthly", monthly, date(2026, 11, 1)) == (
        Period(start=date(2026, 5, 1), end=date(2026, 11, 1)), "MONTHLY")
    assert fetched.forecast_window("monthly", date(2026, 11, 1)) is None


def test_trend_has_every_bucket_and_highlights_the_period() -> None:
    weekly = f.run("weekly")  # 2024-05-06 .. 2024-05-12
    totals = _days(date(2024, 4, 29), ["10"] * 7 + ["20"] * 6)  # last day missing: shown as 0
    trend = ins.build_trend("weekly", weekly.current, totals)
    assert len(trend.points) == 14
    assert [p.in_period for p in trend.points] == [False] * 7 + [True] * 7
    assert trend.points[-1].amount == 0 and trend.peak == D(20)
    monthly = ins.build_trend("monthly", Period(start=date(2026, 10, 1), end=date(2026, 11, 1)),
                              [explorer.BucketTotal(start=date(2026, 10, 1), amount=D(5))])
    assert [p.start.month for p in monthly.points] == [5, 6, 7, 8, 9, 10]
    assert [p.in_period for p in monthly.points] == [False] * 5 + [True]


def test_daily_flag_uses_the_seven_day_average_not_the_previous_day() -> None:
    # Saturday 90 after a Friday 130: -31% day over day (flagged), but the week averages 95.
    loose = {"change_alert": {"pct": 20, "absolute": 10}}
    report = analyze(f.dataset([f.line(f.ACCOUNTS[0], "EC2", "90", "130")], report_type="daily", client=loose))
    day = report.current.start
    totals = _days(day - timedelta(days=7), ["80", "95", "100", "95", "90", "85", "130"])
    baseline = ins.build_baseline(report, totals, ChangeAlert(pct=D(20), absolute=D(10)))
    assert report.total_flagged  # the old, day-over-day view cries wolf
    assert baseline.average_days == 7
    assert baseline.average == D(675) / 7
    assert not baseline.flagged
    # A real jump against the week is flagged.
    spike = analyze(f.dataset([f.line(f.ACCOUNTS[0], "EC2", "300", "130")], report_type="daily", client=loose))
    assert ins.build_baseline(spike, totals, ChangeAlert(pct=D(20), absolute=D(10))).flagged


def test_monthly_per_day_when_month_lengths_differ() -> None:
    report = analyze(f.dataset([f.line(f.ACCOUNTS[0], "EC2", "3100", "3000")], report_type="monthly"))
    # factories.run() periods are 7 days each; build a monthly-shaped report by hand instead.
    report = report.model_copy(update={"current": Period(start=date(2026, 10, 1), end=date(2026, 11, 1)),
                                       "previous": Period(start=date(2026, 9, 1), end=date(2026, 10, 1))})
    baseline = ins.build_baseline(report, [], RULE)
    assert baseline.per_day_current == D(100) and baseline.per_day_previous == D(100)
    assert baseline.per_day_change_pct == 0  # +3.3% in total is just one more day


def test_month_to_date_forecast_and_budget_crossing_day() -> None:
    current = Period(start=date(2026, 11, 21), end=date(2026, 11, 22))
    totals = _days(date(2026, 11, 1), ["100"] * 21)  # 2,100 spent through the 21st
    forecast = explorer.ForecastFigures(start=date(2026, 11, 22), end=date(2026, 12, 1), total=D(1350),
                                   daily=_days(date(2026, 11, 22), ["150"] * 9))
    context = fetched.ReportContext(granularity="DAILY", totals=totals, forecast=forecast)
    as_of = current.end
    mtd = ins.build_month_to_date("daily", as_of, context, monthly_budget=D(2500))
    assert mtd.spent == D(2100) and mtd.projected == D(3450) and mtd.through == date(2026, 11, 21)
    assert mtd.outlook.status == "exceed"
    assert mtd.outlook.difference == D(950)
    assert mtd.outlook.crossing_day == date(2026, 11, 24)  # 2100 + 150*3 = 2550 > 2500 on the 24th
    within = ins.build_month_to_date("daily", as_of, context, monthly_budget=D(5000)).outlook
    assert within.status == "within" and within.crossing_day is None and within.difference == D(-1550)
    over = ins.build_month_to_date("daily", as_of, context, monthly_budget=D(1000)).outlook
    assert over.status == "over" and over.crossing_day == date(2026, 11, 11)  # 1,000 on the 10th, past it on the 11th


def test_no_forecast_keeps_month_to_date_and_says_why() -> None:
    current = Period(start=date(2026, 11, 21), end=date(2026, 11, 22))
    context = fetched.ReportContext(granularity="DAILY", totals=_days(date(2026, 11, 1), ["10"] * 21),
                                forecast_note="Cost Explorer has too little history to forecast")
    mtd = ins.build_month_to_date("daily", current.end, context, monthly_budget=D(100))
    assert mtd.spent == D(210) and mtd.projected is None and mtd.outlook is None
    assert mtd.forecast_note


def test_why_line_picks_top_flagged_mover_and_three_usage_types() -> None:
    a = f.ACCOUNTS[0]
    report = analyze(f.dataset([f.line(a, "EC2", "1000", "400"), f.line(a, "S3", "5", "1")]))
    assert ins.why_target(report).service == "EC2"
    lines = [
        fetched.UsageTypeLine(usage_type="BoxUsage:m5.xlarge", region="us-east-1", current=D(700), previous=D(200)),
        fetched.UsageTypeLine(usage_type="BoxUsage:m5.xlarge", region="eu-west-1", current=D(150), previous=D(100)),
        fetched.UsageTypeLine(usage_type="EBS:VolumeUsage", region="us-east-1", current=D(90), previous=D(60)),
        fetched.UsageTypeLine(usage_type="DataTransfer-Out", region="us-east-1", current=D(40), previous=D(30)),
        fetched.UsageTypeLine(usage_type="SpotUsage", region="us-east-1", current=D(20), previous=D(10)),
    ]
    why = ins.build_why(report, fetched.UsageBreakdown(service="EC2", lines=lines))
    assert [(u.usage_type, u.region, u.change) for u in why.usage_types] == [
        ("BoxUsage:m5.xlarge", "us-east-1", D(500)), ("BoxUsage:m5.xlarge", "eu-west-1", D(50)),
        ("EBS:VolumeUsage", "us-east-1", D(30))]
    assert why.explained == D(580) and why.change == D(600)
    url = unquote(why.console_url)
    assert '"values":[{"value":"EC2"' in url and "startDate=2024-04-29" in url and "endDate=2024-05-12" in url
    # A breakdown for another service (stale or wrong) is not shown as the why.
    assert ins.build_why(report, fetched.UsageBreakdown(service="S3", lines=lines)) is None


def test_daily_why_only_when_the_day_stands_out_from_its_week() -> None:
    loose = {"change_alert": {"pct": 20, "absolute": 10}}
    saturday = analyze(f.dataset([f.line(f.ACCOUNTS[0], "EC2", "90", "130")], report_type="daily", client=loose))
    week = _days(saturday.current.start - timedelta(days=7), ["80", "95", "100", "95", "90", "85", "130"])
    rule = ChangeAlert(pct=D(20), absolute=D(10))
    assert saturday.top_movers[0].flagged  # -31% day over day
    assert ins.why_target(saturday, ins.build_baseline(saturday, week, rule)) is None  # but an ordinary weekend day
    spike = analyze(f.dataset([f.line(f.ACCOUNTS[0], "EC2", "300", "130")], report_type="daily", client=loose))
    assert ins.why_target(spike, ins.build_baseline(spike, week, rule)).service == "EC2"


def test_no_why_without_a_flagged_change() -> None:
    report = analyze(f.dataset([f.line(f.ACCOUNTS[0], "EC2", "101", "100")]))
    assert ins.why_target(report) is None
    assert ins.build_why(report, fetched.UsageBreakdown(service="EC2", lines=[])) is None


def test_account_labels_and_names_limited_to_the_clients_accounts() -> None:
    assert ins.account_label("111111111111", {"111111111111": "Prod"}) == "Prod (1111 1111 1111)"
    assert ins.account_label("222222222222", {}) == "2222 2222 2222"
    report = analyze(f.dataset([f.line(f.ACCOUNTS[0], "EC2", "1", "1")]))
    context = fetched.ReportContext(granularity="DAILY", account_names={f.ACCOUNTS[0]: "Prod", "999999999999": "Other"})
    assert ins.build_insights(report, context, RULE, None).account_names == {f.ACCOUNTS[0]: "Prod"}

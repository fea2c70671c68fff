"""Amounts of any precision (0 to 12 decimals), negative, and up to 10^12, through every path that
carries one: a run of the state machine, the report in every format, budgets, metric events and
their summaries, change alerts. Cost Explorer answers amounts with 10 decimals ("40.3527508453"):
nothing may refuse that precision; displays round to cents, stored figures are quantized.

The expected figures are computed here independently of the product's formatting code.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from local.__main__ import main
from tests import factories as f

D = Decimal
ALPHA_ACCOUNT = "111111111111"
EXAMPLES = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                           HealthCheck.data_too_large])
# Every precision from 0 to 12 decimals, both signs, magnitudes up to 10^12, and the edges themselves.
# (a sub-micro amount such as 1E-10 is what boto3 sends to DynamoDB in exponent notation)
EDGE_AMOUNTS = [D(0), D("1e12"), D("-1e12"), D("0.000000000001"), D("-0.000000000001"), D("0.0000000001"),
                D("-0.0000000004"), D("999999999999.999999999999"), D("40.3527508453"), D("0.0000035")]
AMOUNTS = st.one_of(
    st.integers(0, 12).flatmap(lambda places: st.decimals(min_value=-10**12, max_value=10**12, places=places,
                                                          allow_nan=False, allow_infinity=False)),
    st.sampled_from(EDGE_AMOUNTS),
)
# Rows a run reads: one service per precision, so every figure of the report carries its own.
PRECISION_AMOUNTS = ["7", "-3.5", "12.34", "0.001", "1.2345", "0.00001", "123.456789", "0.0000001",
                     "42.12345678", "3.123456789", "0.0123456789", "1234.56789012345", "0.000000000001",
                     "-0.000000000001", "-250.1234567891", "0.0000035"]


def money_text(value: Decimal, currency: str = "USD") -> str:
    """What a reader must see for `value`: cents, half up, thousands separators, no "-$0.00"."""
    cents = value.quantize(D("0.01"), rounding=ROUND_HALF_UP)
    digits = f"{abs(cents):,.2f}"
    sign = "-" if cents < 0 else ""
    return f"{sign}${digits}" if currency == "USD" else f"{sign}{digits} {currency}"


def stored(value: Decimal) -> Decimal:
    """What a queued or stored amount keeps: 10 decimals, half even (Cost Explorer's precision)."""
    return value.quantize(D("1e-10"), rounding=ROUND_HALF_EVEN)


def _write_inputs(tmp_path: Path, clients: list[dict], rows: list[dict]) -> tuple[Path, Path]:
    clients_path = tmp_path / "clients.json"
    clients_path.write_text(json.dumps(clients))
    costs_path = tmp_path / "costs.csv"
    with costs_path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["date", "account_id", "service", "amount", "record_type"])
        writer.writeheader()
        for row in rows:
            writer.writerow({"record_type": "Usage", **row})
    return clients_path, costs_path


def _run(tmp_path: Path, clients: list[dict], rows: list[dict], *options: str) -> tuple[int, Path, dict]:
    clients_path, costs_path = _write_inputs(tmp_path, clients, rows)
    out = tmp_path / "out"
    code = main(["run", "--clients", str(clients_path), "--costs", str(costs_path), "--out", str(out), *options])
    return code, out, json.loads((out / "summary.json").read_text())


def _current_total(rows: list[dict], account: str, start: date, end: date) -> Decimal:
    return sum((D(r["amount"]) for r in rows if r["account_id"] == account and start.isoformat() <= r["date"] < end.isoformat()
                and r.get("record_type", "Usage") not in ("Credit", "Refund")), D(0))


def _tenant_day(out: Path, tenant: str) -> dict:
    views = json.loads((out / "summaries.json").read_text())
    return next(v for v in views if v["tenant"] == tenant and v["period_type"] == "daily")


# ---- 1. the run: Cost Explorer's own precision no longer fails it ---------------------------------


def test_a_run_whose_cost_explorer_answers_carry_ten_decimals_succeeds_and_counts_its_metrics(tmp_path):
    """The defect: 10-decimal amounts made SummarizeRun raise (the run-metric event took 6 decimals):
    the execution FAILED after the email went out, and the run's metrics were lost."""
    rows = f.cost_rows([ALPHA_ACCOUNT])
    for index, row in enumerate(rows):
        row["amount"] = str(D(row["amount"]) + D("0.0123456789") + D(index % 7) / D("1e10"))
    alpha = f.client_config("alpha", [ALPHA_ACCOUNT])
    code, out, summary = _run(tmp_path, [alpha], rows, "--as-of", "2026-11-18")
    assert (code, summary["execution_status"]) == (0, "SUCCEEDED"), summary.get("execution_cause")
    assert [c["status"] for c in summary["clients"]] == ["delivered"]
    total = _current_total(rows, ALPHA_ACCOUNT, date(2026, 11, 9), date(2026, 11, 16))
    assert total.as_tuple().exponent == -10  # the figures really carry ten decimals
    day = _tenant_day(out, "alpha")
    assert (day["runs"], day["clients_delivered"], day["emails_sent"]) == (1, 1, 1)
    assert D(str(day["spend_reported"])) == total.quantize(D("0.01"), rounding=ROUND_HALF_EVEN)
    deployment = _tenant_day(out, "*")
    assert (deployment["runs"], deployment["runs_with_failures"], deployment["clients_delivered"]) == (1, 0, 1)
    text = (out / "alpha" / "report.txt").read_text()
    assert money_text(total) in text


def test_a_run_with_amounts_of_every_precision_sign_and_size_delivers_every_format_and_alert(tmp_path):
    """0 to 12 decimals, negative lines and 10^12 lines in one client's costs: the state machine
    ends SUCCEEDED, every format is rendered and attached, the change alert goes out, the metrics
    count the run with the total quantized, and the budget check on the same data crosses and notifies."""
    rows = f.cost_rows([ALPHA_ACCOUNT])
    day = date(2026, 10, 1)
    while day < date(2026, 11, 20):
        for index, amount in enumerate(PRECISION_AMOUNTS):
            rows.append({"date": day.isoformat(), "account_id": ALPHA_ACCOUNT, "service": f"Precision service {index:02d}",
                         "amount": str(D(amount) * (1 + day.toordinal() % 3))})
        if date(2026, 11, 9) <= day < date(2026, 11, 16):  # the report's current week
            rows.append({"date": day.isoformat(), "account_id": ALPHA_ACCOUNT, "service": "Trillion service",
                         "amount": "1000000000000" if day.weekday() % 2 else "999999999999.999999999999"})
            rows.append({"date": day.isoformat(), "account_id": ALPHA_ACCOUNT, "service": "Negative trillion",
                         "amount": "-1000000000000" if day.weekday() == 2 else "-0.000000000001"})
        day += timedelta(days=1)
    alpha = f.client_config("alpha", [ALPHA_ACCOUNT], attachments=["csv", "xlsx", "pdf"],
                            budgets={"weekly": "1000000000000", "monthly": "1000000000000"},
                            change_alert={"pct": "0.000000000001", "absolute": "0.000000000001"})
    code, out, summary = _run(tmp_path, [alpha], rows, "--as-of", "2026-11-18")
    assert (code, summary["execution_status"]) == (0, "SUCCEEDED"), summary.get("execution_cause")
    assert [c["status"] for c in summary["clients"]] == ["delivered"]
    total = _current_total(rows, ALPHA_ACCOUNT, date(2026, 11, 9), date(2026, 11, 16))
    assert total > D("1e12")
    # every format, in the archive and attached to the email
    text = (out / "alpha" / "report.txt").read_text()
    html = (out / "alpha" / "report.html").read_text()
    assert money_text(total) in text and money_text(total) in html
    message = message_from_bytes(next((out / "alpha").glob("*.eml")).read_bytes(), policy=default_policy)
    attached = {part.get_filename().rsplit(".", 1)[1] for part in message.iter_attachments()}
    assert attached == {"csv", "xlsx", "pdf"}
    assert money_text(total) in _pdf_text((out / "alpha" / "report.pdf").read_bytes())
    csv_rows = list(csv.DictReader(io.StringIO((out / "alpha" / "report.csv").read_text())))
    by_service = {r["service"]: D(r["current_amount"]) for r in csv_rows}
    twelve = next(i for i, a in enumerate(PRECISION_AMOUNTS) if a == "0.000000000001")
    assert by_service[f"Precision service {twelve:02d}"] == D("0.0000")  # 4 decimals in the CSV, never refused
    assert by_service["Trillion service"] == sum((D(r["amount"]) for r in rows if r["service"] == "Trillion service"),
                                                 D(0)).quantize(D("0.0001"), rounding=ROUND_HALF_UP)
    # the change alert was sent (a channel accepted it) and the run was counted with its spend
    assert summary["notifications_sent"].get("email", 0) >= 1
    day_view = _tenant_day(out, "alpha")
    assert (day_view["runs"], day_view["clients_delivered"]) == (1, 1)
    assert D(str(day_view["spend_reported"])) == D(str(float(total.quantize(D("0.01")))))
    # the budget check reads the same costs: both budgets crossed and notified, the check SUCCEEDED
    clients_path, costs_path = tmp_path / "clients.json", tmp_path / "costs.csv"
    budget_out = tmp_path / "budgets"
    assert main(["budgets", "--clients", str(clients_path), "--costs", str(costs_path), "--out", str(budget_out),
                 "--as-of", "2026-11-18"]) == 0
    checked = json.loads((budget_out / "budgets_summary.json").read_text())
    assert [run["execution_status"] for run in checked["runs"]] == ["SUCCEEDED"]
    outcome = checked["clients"][0]
    assert outcome["status"] == "checked" and outcome["crossed"], outcome
    sent = list((budget_out / "notifications" / "alpha").glob("*.eml"))
    assert sent, "no budget notification was sent"
    body = message_from_bytes(sent[0].read_bytes(), policy=default_policy).get_body(preferencelist=("plain",)).get_content()
    assert "$1,000,000,000,000.00" in body  # the budget, in cents


def _pdf_text(pdf: bytes) -> str:
    return subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()


def test_runs_through_the_state_machine_with_fuzzed_amounts_succeed_and_are_counted(local_aws):
    """Hypothesis picks each day's amounts; one in-process AWS runs the real state machine per example
    (the Cost Explorer emulator is handed the example's data): SUCCEEDED, delivered, counted."""
    from chalicelib.metrics import store
    from local.aws.cost_explorer.data import CostData

    client = f.client_config("alpha", [ALPHA_ACCOUNT], attachments=["csv", "xlsx", "pdf"])
    aws = local_aws(clients=[client], rows=f.cost_rows([ALPHA_ACCOUNT]))
    runs = {"n": 0}

    @settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
    @given(daily=st.lists(st.lists(AMOUNTS, min_size=1, max_size=3), min_size=14, max_size=14))
    def check(daily: list[list[Decimal]]) -> None:
        runs["n"] += 1
        rows = []
        for offset, amounts in enumerate(daily):  # Nov 2-15: the previous and the current week
            day = date(2026, 11, 2) + timedelta(days=offset)
            rows += [{"date": day.isoformat(), "account_id": ALPHA_ACCOUNT, "service": f"Service {i}", "amount": str(a)}
                     for i, a in enumerate(amounts)]
        aws.cost_explorer.data = CostData.from_rows(rows)
        described = aws.run({"report_type": "weekly", "as_of": "2026-11-18", "force": True}, name=f"fuzz-{runs['n']}")
        assert described["status"] == "SUCCEEDED", described.get("cause")
        run_id = described["executionArn"].rsplit(":", 1)[-1]
        record = aws.run_records(run_id)["alpha"]
        assert record["status"] == "completed", record
        total = _current_total(rows, ALPHA_ACCOUNT, date(2026, 11, 9), date(2026, 11, 16))
        assert D(str(record["spend_reported"])) == stored(total)
        aws.poller.drain(settle=True, timeout=120)
        today = datetime.now(UTC).date()
        tally = store.day_tallies("alpha", today, today + timedelta(days=1))[today]
        assert tally.runs == runs["n"] and tally.clients_delivered == runs["n"]

    check()


# ---- 2. every format -------------------------------------------------------------------------------


def _openpyxl_numbers(workbook_bytes: bytes) -> list[float]:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(workbook_bytes), data_only=True)
    return [cell for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for cell in row
            if isinstance(cell, (int, float)) and not isinstance(cell, bool)]


@EXAMPLES
@given(pairs=st.lists(st.tuples(AMOUNTS, AMOUNTS), min_size=1, max_size=4),
       report_type=st.sampled_from(["daily", "weekly", "monthly"]))
def test_reports_in_every_format_show_any_amount_in_cents(pairs, report_type):
    from chalicelib.reports.costs.analysis import analyze
    from chalicelib.reports.rendering import render_report

    lines = [f.line(f.ACCOUNTS[i % 3], f"Service {i}", str(current), str(previous))
             for i, (current, previous) in enumerate(pairs)]
    report = analyze(f.dataset(lines, report_type=report_type, client={"budgets": {report_type: "1000000000000"}}))
    rendered = render_report(report, None, ["csv", "xlsx", "pdf"])
    total = sum((current for current, _ in pairs), D(0))
    assert report.total_current == total  # full precision in computation
    expected = money_text(total)
    assert expected in rendered.text and expected in rendered.html
    # CSV: every line with an amount (a line zero in both periods is left out), 4 decimals, the exact change
    rows = list(csv.DictReader(io.StringIO(rendered.csv)))
    kept = [(current, previous) for current, previous in pairs if current or previous]
    assert len(rows) == len(kept)
    for row, (current, previous) in zip(sorted(rows, key=lambda r: int(r["service"].split()[1])), kept, strict=True):
        assert D(row["current_amount"]) == current.quantize(D("0.0001"), rounding=ROUND_HALF_UP)
        assert D(row["change_amount"]) == (current - previous).quantize(D("0.0001"), rounding=ROUND_HALF_UP)
        assert "E" not in row["current_amount"] and "e" not in row["current_amount"]
    files = {name.rsplit(".", 1)[1]: body for name, body in rendered.files.items()}
    numbers = _openpyxl_numbers(files["xlsx"])
    assert any(abs(n - float(total)) <= max(1e-6, abs(float(total)) * 1e-12) for n in numbers)
    assert expected in _pdf_text(files["pdf"])


# ---- 3. budgets ------------------------------------------------------------------------------------


@EXAMPLES
@given(actual=AMOUNTS, rest=st.one_of(st.none(), AMOUNTS),
       budget=st.integers(0, 12).flatmap(lambda p: st.decimals(min_value=D("0.01"), max_value=10**12, places=p)))
def test_budget_checks_evaluate_and_word_any_amount(actual, rest, budget):
    from chalicelib.budgets.contracts import BudgetSpend
    from chalicelib.budgets.evaluation import crossed_thresholds
    from chalicelib.budgets.messages import budget_notification
    from chalicelib.core.models import ClientConfig
    from chalicelib.core.notifications import Notification
    from chalicelib.core.periods import Period
    from chalicelib.notify.channels import slack, sns, teams, webhook

    config = ClientConfig.model_validate(f.client_config("alpha", [ALPHA_ACCOUNT], budgets=[
        {"amount": str(budget), "period": "monthly",
         "thresholds": [{"percent": 80, "on": "actual"}, {"percent": 100, "on": "forecast"}]}]))
    budget_model = config.budgets[0]
    forecast_total = None if rest is None else actual + rest
    # the figures travel between states as JSON (the ASL payload): parse them back as the next state does
    spend = BudgetSpend.model_validate_json(BudgetSpend(
        budget_key=budget_model.key, period=Period(start=date(2026, 11, 1), end=date(2026, 12, 1)),
        actual=actual, forecast_total=forecast_total).model_dump_json())
    assert spend.actual == actual and spend.forecast_total == forecast_total  # never rounded in transit
    crossed = crossed_thresholds(budget_model, spend.actual, spend.forecast_total)
    assert (budget_model.thresholds[0] in crossed) == (actual * 100 >= budget_model.amount * 80)
    assert (budget_model.thresholds[1] in crossed) == (forecast_total is not None and forecast_total >= budget_model.amount)
    if not crossed:
        return
    note = budget_notification(config, budget_model, spend, crossed, "budget-" + "0" * 32, datetime(2026, 11, 20, tzinfo=UTC))
    Notification.model_validate(note.model_dump())
    assert money_text(actual) in note.summary and money_text(budget_model.amount) in note.summary
    for channel in (slack, teams, webhook, sns):
        assert money_text(actual) in json.dumps(channel.build(note), ensure_ascii=False)


# ---- 4. metric events and summaries -------------------------------------------------------------------


@pytest.fixture(scope="module")
def metrics_table():
    from chalicelib.core import clients
    from tests.metrics_support import project_table

    with project_table() as dynamo:
        clients.put_client_config(f.client_config("alpha", [ALPHA_ACCOUNT]))
        yield dynamo


def test_metric_events_and_summaries_keep_any_amount(metrics_table):
    from chalicelib.core.metric_events import client_outcome
    from chalicelib.metrics import store
    from chalicelib.metrics.aggregation import summaries_from_days, summary_view
    from chalicelib.metrics.calendar import backfill_periods
    from chalicelib.metrics.stages.apply_metric_events import apply_metric_record

    counter = {"n": 0}

    @EXAMPLES
    @given(spends=st.lists(AMOUNTS, min_size=1, max_size=4))
    def check(spends: list[Decimal]) -> None:
        counter["n"] += 1
        day = date(2020, 1, 1) + timedelta(days=counter["n"])
        started = datetime.combine(day, datetime.min.time(), UTC)
        for index, spend in enumerate(spends):
            record = {"client_id": "alpha", "status": "completed", "ce_requests": 1, "spend_reported": spend}
            event = client_outcome(f"run-{counter['n']}-{index}", started, record)
            assert event.spend_reported == stored(spend)
            # the queue body, as summarize_run and record_result send it, applied by the queue handler
            assert apply_metric_record(event.model_dump_json()) == "applied"
        tally = store.day_tallies("alpha", day, day + timedelta(days=1))[day]
        expected = sum((stored(s) for s in spends), D(0))
        assert (tally.runs, tally.clients_delivered, tally.spend_reported) == (len(spends), len(spends), expected)
        daily = next(p for p in backfill_periods(day, day) if p.period_type == "daily")
        [item] = summaries_from_days("alpha", [daily], {day: tally}, "agg", keep_empty=False)
        view = summary_view(item)
        assert view["spend_reported"] == float(expected.quantize(D("0.01"), rounding=ROUND_HALF_EVEN))

    check()


# ---- 5. change alerts -------------------------------------------------------------------------------


@EXAMPLES
@given(pairs=st.lists(st.tuples(AMOUNTS, AMOUNTS), min_size=1, max_size=4))
def test_change_alerts_word_any_amount_and_every_channel_renders_them(pairs):
    from chalicelib.core.models import ClientConfig
    from chalicelib.core.notifications import Notification
    from chalicelib.notify.channels import email, slack, sns, teams, webhook
    from chalicelib.reports.costs.analysis import analyze
    from chalicelib.reports.rendering.change_alert import change_notification

    overrides = {"change_alert": {"pct": "0.000000000001", "absolute": "0.000000000001"},
                 "notifications": {"slack_secret": "alpha/slack", "teams_secret": "alpha/teams", "webhook_secret": "alpha/hook"}}
    lines = [f.line(ALPHA_ACCOUNT, f"Service {i}", str(current), str(previous)) for i, (current, previous) in enumerate(pairs)]
    report = analyze(f.dataset(lines, client=overrides))
    config = ClientConfig.model_validate(f.client_config("acme", **overrides))
    note = change_notification(report, config)
    total = sum((current for current, _ in pairs), D(0))
    if note is None:
        assert not report.alerts
        return
    Notification.model_validate_json(note.model_dump_json())  # what the queue carries
    assert f"Total {money_text(total)}," in note.summary
    for channel in (slack, teams, webhook, sns):
        assert money_text(total) in json.dumps(channel.build(note), ensure_ascii=False)
    assert money_text(total) in email.build(note).decode("utf-8", "replace") or b"Total" in email.build(note)

"""The report reads without noise: each change shown once, nothing red that reads $0.00 or 0.0%,
short service names with the full name on hover and in the CSV, words that agree with each other,
months without data marked, and XLSX percentages stored as numbers."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal as D

from chalicelib.reports.costs.analysis import analyze
from chalicelib.reports.costs.context import BucketTotal
from chalicelib.reports.costs.insights import build_trend
from chalicelib.reports.rendering import render_report
from chalicelib.reports.rendering.colours import GREY, RED
from chalicelib.reports.rendering.report import empty_insights
from chalicelib.reports.rendering.view import build_view
from tests import factories as f

EC2 = "Amazon Elastic Compute Cloud - Compute"
S3 = "Amazon Simple Storage Service"
A1 = f.ACCOUNTS[0]


def test_each_change_is_shown_once_in_the_html_and_the_text():
    report = analyze(f.dataset([f.line(A1, EC2, "1540.77", "402.18"), f.line(A1, S3, "100.00", "90.00")]))
    rendered = render_report(report)
    assert rendered.html.count("+$1,138.59") == 1  # the changes table only; the services table shows costs
    assert rendered.text.count("+$1,138.59") == 1
    assert rendered.html.count("+$10.00") == 1


def test_a_sub_cent_or_zero_point_zero_percent_move_is_not_painted():
    report = analyze(f.dataset([f.line(A1, EC2, "1000.004", "1000.00"), f.line(A1, S3, "100000.01", "100000.00"),
                                f.line(A1, "AWS Lambda", "20.00", "10.00")]))
    view = build_view(report, empty_insights(report))
    colours = {c.full_name: c.colour for c in view.changes}
    assert colours[EC2] == GREY and colours[S3] == GREY  # "+$0.00" and "+$0.01 (0.0%)"
    assert colours["AWS Lambda"] == RED
    html = render_report(report).html
    row = next(r for r in html.split("<tr>") if ">EC2</span>" in r)
    assert RED not in row


def test_short_service_names_with_the_full_name_on_hover_and_in_the_csv():
    report = analyze(f.dataset([f.line(A1, EC2, "500.00", "400.00"), f.line(A1, "Some New Service", "5.00", "5.00")]))
    rendered = render_report(report)
    assert re.search(r'title="Amazon Elastic Compute Cloud - Compute"[^>]*>(<b>)?EC2<', rendered.html)
    assert ">Some New Service<" in rendered.html  # no short name: shown as AWS names it
    services = {row["service"] for row in csv.DictReader(io.StringIO(rendered.csv))}
    assert EC2 in services and "EC2" not in services


def test_the_headline_names_only_what_is_netted_in_and_no_empty_credit_line():
    dataset = f.dataset([f.line(A1, EC2, "1225.00", "1200.00")], charges_separated=True,
                        client={"include_credits": True})  # refunds stay excluded
    text = render_report(analyze(dataset)).text
    assert "TOTAL SPEND (net of credits)" in text and "Excluded: refunds." in text
    assert "net of credits and refunds" not in text
    assert "Credits: $0.00 (previous $0.00)" not in text


def test_months_without_data_say_no_data_and_the_bars_carry_a_scale():
    report = analyze(f.dataset([f.line(A1, EC2, "500.00", "400.00")]))
    insights = empty_insights(report)
    months = [BucketTotal(start=s, amount=D(a)) for s, a in (("2024-03-01", "900"), ("2024-05-01", "1000"))]
    trend = build_trend("monthly", report.current, months)
    view = build_view(report, insights.model_copy(update={"trend": trend}))
    empty = [b for b in view.trend.bars if b.no_data]
    assert empty and all(b.title.endswith(": no data") for b in empty)
    assert view.trend.scale == ["$1,000.00", "$500.00", "$0.00"]
    html = render_report(report, insights.model_copy(update={"trend": trend})).html
    assert "no data" in html and "$500.00</div>" in html


def test_xlsx_percentages_are_numbers_with_a_percent_format(tmp_path):
    from openpyxl import load_workbook

    report = analyze(f.dataset([f.line(A1, EC2, "1500.00", "1000.00")], client={"budgets": {"weekly": "2000"}}))
    body = render_report(report, attachments=["xlsx"]).files
    path = tmp_path / "r.xlsx"
    path.write_bytes(next(iter(body.values())))
    sheet = load_workbook(path)["Summary"]
    change_row = next(row for row in sheet.iter_rows() if str(row[0].value).endswith("vs previous period"))
    assert isinstance(change_row[2].value, float) and abs(change_row[2].value - 0.5) < 1e-9
    assert "%" in change_row[2].number_format
    budget_row = next(row for row in sheet.iter_rows() if "budget:" in str(row[0].value))
    assert isinstance(budget_row[1].value, float) and "%" in budget_row[1].number_format

"""Charges that are not usage: monthly-posted charges (Support, Tax, RI/Savings Plans fees,
Marketplace) and credits/refunds never look like a usage change."""

from __future__ import annotations

from decimal import Decimal as D

from chalicelib.reports.contracts import ChargeLine
from chalicelib.reports.costs.analysis import analyze
from chalicelib.reports.rendering import render_report
from tests import factories as f

EC2 = "Amazon Elastic Compute Cloud - Compute"
A1, A2, _ = f.ACCOUNTS


def charge(account: str, record_type: str, current: str, previous: str) -> ChargeLine:
    return ChargeLine(account_id=account, record_type=record_type, current_amount=D(current), previous_amount=D(previous))


def test_a_credit_last_week_is_not_a_usage_change():
    # Usage rose $25; last week a $250 credit was applied.
    dataset = f.dataset([f.line(A1, EC2, "1225.00", "1200.00")], charges=[charge(A1, "Credit", "0", "-250.00")],
                        charges_separated=True, client={"include_credits": True})
    report = analyze(dataset)
    ec2 = next(r for r in report.services if r.service == EC2)
    assert ec2.change == D("25.00") and not ec2.flagged
    assert report.total_current == D("1225.00") and report.total_previous == D("950.00")  # net
    assert report.total_change == D("25.00")  # the change is the change in usage
    assert report.credits_current == D("0") and report.credits_previous == D("-250.00")
    assert report.alerts == []
    text = render_report(report).text
    assert "TOTAL SPEND (net of credits and refunds): $1,225.00" in text
    assert "Usage:" in text and "Credits:" in text and "-$250.00" in text
    assert "+$284" not in text and "+$275" not in text


def test_monthly_charges_posted_on_the_1st_have_their_own_line_in_a_weekly_report():
    lines = [f.line(A1, EC2, "1010.00", "1000.00"), f.line(A2, "Amazon Simple Storage Service", "200.00", "200.00")]
    charges = [charge(A1, "Support", "4839.00", "0"), charge(A1, "Tax", "4000.00", "0"), charge(A2, "Tax", "391.00", "0")]
    dataset = f.dataset(lines, charges=charges, charges_separated=True, client={"budgets": {"weekly": D("2000")}})
    report = analyze(dataset)
    assert report.total_change == D("10.00") and report.total_change_pct == D("10") / D("1200") * 100
    assert report.alerts == []
    assert {r.label: r.current for r in report.monthly_charges} == {"Support": D("4839.00"), "Tax": D("4391.00")}
    assert report.budget is not None and report.budget.spent == D("1210.00")  # budget pace without them
    assert report.total_current == D("10440.00")  # the net total still includes them
    text = render_report(report).text
    assert "Monthly charges posted on the 1st: Support $4,839.00, Tax $4,391.00" in text
    assert "Support" not in "".join(line for line in text.splitlines() if line.startswith("- "))  # not a notable change
    html = render_report(report).html
    assert "Monthly charges posted on the 1st" in html and "$4,839.00" in html


def test_a_monthly_report_compares_monthly_charges_month_with_month():
    lines = [f.line(A1, EC2, "30000.00", "29000.00")]
    charges = [charge(A1, "Support", "3000.00", "2900.00"), charge(A1, "Tax", "2700.00", "2600.00")]
    report = analyze(f.dataset(lines, charges=charges, charges_separated=True, report_type="monthly"))
    assert report.total_change == D("1200.00")  # usage + monthly charges, month with month
    support = next(r for r in report.monthly_charges if r.label == "Support")
    assert (support.current, support.previous) == (D("3000.00"), D("2900.00"))
    text = render_report(report).text
    assert "Monthly charges: Support $3,000.00 (was $2,900.00)" in text

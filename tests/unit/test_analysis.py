from __future__ import annotations

from decimal import Decimal

import pytest

from chalicelib.core.errors import DataValidationError
from chalicelib.core.formatting import format_money, format_pct, format_signed_money
from chalicelib.core.models import ChangeAlert
from chalicelib.reports.costs.analysis import analyze, budget_status, is_flagged
from chalicelib.reports.rendering import alert_lines
from tests import factories as f

A1, A2, A3 = f.ACCOUNTS
D = Decimal


def test_totals_changes_and_pct() -> None:
    report = analyze(
        f.dataset(
            [
                f.line(A1, "Amazon EC2", "150.50", "100.25"),
                f.line(A2, "Amazon EC2", "49.50", "99.75"),
                f.line(A1, "Amazon S3", "10", "20"),
            ]
        )
    )
    assert report.total_current == D("210.00")
    assert report.total_previous == D("220.00")
    assert report.total_change == D("-10.00")
    assert report.total_change_pct == D("-10") / D("220") * 100
    ec2 = next(s for s in report.services if s.service == "Amazon EC2")
    assert (ec2.current, ec2.previous, ec2.change, ec2.change_pct) == (D("200.00"), D("200.00"), D("0"), D("0"))
    s3 = next(s for s in report.services if s.service == "Amazon S3")
    assert s3.change == D("-10") and s3.change_pct == D("-50")
    # Full precision kept: no rounding in analysis.
    assert report.services[0].share_pct == D("200") / D("210") * 100


def test_new_service_has_no_pct_and_is_flagged_on_absolute_alone() -> None:
    report = analyze(f.dataset([f.line(A1, "Amazon Bedrock", "75", "0"), f.line(A1, "Tiny", "1", "0")]))
    bedrock, tiny = report.services
    assert bedrock.change_pct is None and bedrock.flagged
    assert tiny.change_pct is None and not tiny.flagged  # $1 < $50 absolute threshold
    assert report.total_change_pct is None
    assert any(a.startswith("Amazon Bedrock: new spend of $75.00") for a in alert_lines(report))


@pytest.mark.parametrize(
    ("current", "previous", "flagged"),
    [
        ("160", "100", True),  # +60 and +60%: both thresholds pass
        ("149", "100", False),  # +49: under the $50 absolute threshold
        ("1100", "1000", False),  # +100 but only +10%: under the 20% threshold
        ("1200", "1000", True),  # +200 and exactly +20%: thresholds are inclusive
        ("50", "100", True),  # decreases are flagged too
        ("100", "100", False),
    ],
)
def test_flagged_needs_both_thresholds(current: str, previous: str, flagged: bool) -> None:
    report = analyze(f.dataset([f.line(A1, "Svc", current, previous)]))
    assert report.services[0].flagged is flagged
    assert report.total_flagged is flagged
    assert bool(report.alerts) is flagged


def test_thresholds_come_from_client_config() -> None:
    lines = [f.line(A1, "Svc", "110", "100")]
    assert not analyze(f.dataset(lines)).services[0].flagged
    loose = analyze(f.dataset(lines, client={"change_alert": {"pct": "5", "absolute": "10"}}))
    assert loose.services[0].flagged


def test_zero_change_never_flagged_even_with_zero_thresholds() -> None:
    assert not is_flagged(D(0), D(0), ChangeAlert(pct=D(0), absolute=D(0)))
    assert is_flagged(D("0.01"), D("0.01"), ChangeAlert(pct=D(0), absolute=D(0)))


def test_movers_biggest_absolute_change_first_and_zero_excluded() -> None:
    report = analyze(
        f.dataset(
            [
                f.line(A1, "Up small", "110", "100"),
                f.line(A1, "Down big", "0", "500"),
                f.line(A1, "Up big", "400", "100"),
                f.line(A1, "Flat", "999", "999"),
                f.line(A1, "B", "30", "0"),
                f.line(A1, "A", "30", "0"),
                f.line(A1, "Seventh", "101", "100"),
            ]
        )
    )
    assert [m.service for m in report.top_movers] == ["Down big", "Up big", "A", "B", "Up small"]
    assert all(m.change != 0 for m in report.top_movers)


def test_services_sorted_by_current_then_name() -> None:
    report = analyze(
        f.dataset([f.line(A1, "b", "5", "0"), f.line(A1, "a", "5", "0"), f.line(A1, "c", "9", "0"), f.line(A1, "d", "-2", "0")])
    )
    assert [s.service for s in report.services] == ["c", "a", "b", "d"]
    assert report.services[-1].share_pct == 0  # credits take no share of spend


def test_accounts_include_zero_cost_ones_and_count_services() -> None:
    report = analyze(f.dataset([f.line(A2, "EC2", "10", "5"), f.line(A2, "S3", "1", "0"), f.line(A1, "EC2", "20", "0")]))
    assert [a.account_id for a in report.accounts] == [A1, A2, A3]
    by_id = {a.account_id: a for a in report.accounts}
    assert by_id[A3].current == 0 and by_id[A3].services == 0 and by_id[A3].change_pct is None
    assert by_id[A2].services == 2 and by_id[A2].change == D(6)
    assert by_id[A1].change_pct is None


def test_lines_merged_per_account_service_sorted_and_zero_dropped() -> None:
    report = analyze(
        f.dataset(
            [
                f.line(A2, "S3", "1", "2"),
                f.line(A1, "EC2", "1", "1"),
                f.line(A1, "EC2", "2", "3"),  # same group again (e.g. paged results): summed
                f.line(A1, "Nothing", "0", "0"),
            ]
        )
    )
    assert [(line.account_id, line.service, line.current_amount, line.previous_amount) for line in report.lines] == [
        (A1, "EC2", D(3), D(4)),
        (A2, "S3", D(1), D(2)),
    ]
    assert "Nothing" not in [s.service for s in report.services]


def test_foreign_account_is_rejected_and_named() -> None:
    with pytest.raises(DataValidationError, match="999999999999"):
        analyze(f.dataset([f.line(A1, "EC2", "1", "1"), f.line("999999999999", "EC2", "5", "5")]))


def test_negative_amounts_are_legal() -> None:
    report = analyze(f.dataset([f.line(A1, "EC2", "100", "100"), f.line(A1, "Credit", "-30", "-10")]))
    assert report.total_current == D(70) and report.total_previous == D(90)
    credit = next(s for s in report.services if s.service == "Credit")
    # Against a negative base the sign still means "went up / went down" in money terms.
    assert credit.change == D(-20) and credit.change_pct == D(-200)


@pytest.mark.parametrize(
    ("spent", "status", "remaining"),
    [("500", "ok", "500"), ("799.99", "ok", "200.01"), ("800", "warning", "200"), ("1000", "warning", "0"),
     ("1000.01", "over", "-0.01")],
)
def test_budget_status(spent: str, status: str, remaining: str) -> None:
    result = budget_status(D(1000), D(spent))
    assert result.status == status
    assert result.remaining == D(remaining)
    assert result.used_pct == D(spent) / 10


def test_budget_taken_for_the_report_type_only() -> None:
    lines = [f.line(A1, "EC2", "900", "100")]
    weekly = analyze(f.dataset(lines, client={"budgets": {"weekly": D(1000), "monthly": D(100)}}))
    assert weekly.budget is not None and weekly.budget.budget == D(1000) and weekly.budget.status == "warning"
    assert analyze(f.dataset(lines, client={"budgets": {"monthly": D(100)}})).budget is None


def test_report_carries_context() -> None:
    report = analyze(f.realistic_dataset())
    assert report.client_id == "acme" and report.report_type == "weekly"
    assert report.estimated and report.cost_metric == "UnblendedCost"
    assert report.excluded_record_types == ["Credit", "Refund"]
    assert alert_lines(report)[0].startswith("Amazon DynamoDB: up $1,138.59 (+283.1%)")


@pytest.mark.parametrize(
    ("value", "currency", "expected"),
    [
        ("1234.564", "USD", "$1,234.56"),
        ("1234.565", "USD", "$1,234.57"),
        ("-12", "USD", "-$12.00"),
        ("-0.001", "USD", "$0.00"),
        ("1234.5", "EUR", "1,234.50 EUR"),
        ("-3", "EUR", "-3.00 EUR"),
    ],
)
def test_format_money(value: str, currency: str, expected: str) -> None:
    assert format_money(D(value), currency) == expected


def test_format_signed_and_pct() -> None:
    assert format_signed_money(D("12")) == "+$12.00"
    assert format_signed_money(D("-12")) == "-$12.00"
    assert format_signed_money(D("0.001")) == "$0.00"
    assert format_pct(D("12.34")) == "+12.3%"
    assert format_pct(D("-4")) == "-4.0%"
    assert format_pct(D("0.01")) == "0.0%"
    assert format_pct(D("12345")) == "+12,345.0%"
    assert format_pct(None) == "new"

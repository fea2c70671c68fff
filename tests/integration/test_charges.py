"""Charges that are not usage, on the bundled samples through `python -m local run`: monthly-posted
charges raise no false alarm and a credit has its own line (the rules themselves: tests/unit/test_charges.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from local.__main__ import main


def _sample_run(tmp_path: Path, report_type: str, as_of: str) -> Path:
    out = tmp_path / "out"
    assert main(["run", "--report-type", report_type, "--as-of", as_of, "--out", str(out)]) == 0
    return out


@pytest.mark.parametrize(("report_type", "as_of"), [("weekly", "2026-11-03"), ("daily", "2026-11-02")])
def test_samples_the_1st_raises_no_false_alarm(tmp_path, report_type, as_of):
    """The bundled samples post Support, Tax, an RI fee, a Savings Plans fee and a Marketplace
    subscription on the 1st: a period containing Nov 1 flags none of them and stays near flat."""
    out = _sample_run(tmp_path, report_type, as_of)
    for client_id, fee in (("acme-retail", "Marketplace and other fees"), ("northwind-health", "Savings Plans fees"),
                           ("globex-logistics", "Reserved Instance fees")):
        text = (out / client_id / "report.txt").read_text()
        monthly = next(line for line in text.splitlines() if line.startswith("Monthly charges posted on the 1st: "))
        assert "Tax $" in monthly and fee in monthly, monthly
        if client_id != "acme-retail":
            assert "Support $" in monthly
        notable = [line for line in text.splitlines() if line.startswith("- ")]
        assert not [line for line in notable if re.search(r"Tax|Support|fee|new spend|Total", line)], notable
        change = re.search(r"Change in usage: \S+ \(([-+]?[0-9.]+)%\)", text)
        assert change and abs(float(change.group(1))) < 20, text[:400]


def test_samples_a_credit_shows_on_its_own_line(tmp_path):
    # umbrella-labs includes credits: $250 on Nov 1 and Nov 2 against EC2.
    out = _sample_run(tmp_path, "daily", "2026-11-03")
    text = (out / "umbrella-labs" / "report.txt").read_text()
    assert "TOTAL SPEND (net of credits and refunds)" in text
    assert re.search(r"Credits: +-\$250\.00", text), text[:600]
    ec2 = next(line for line in text.splitlines() if line.startswith("Amazon Elastic Compute Cloud - Compute"))
    assert "-$250" not in ec2

"""The export split (chalicelib/costs/export/split.py) on result rows as the query returns them."""

from __future__ import annotations

import json
from datetime import date

import pytest

from chalicelib.core.errors import DataValidationError
from chalicelib.core.periods import Period
from chalicelib.costs.export.declarations import ExportDeclaration
from chalicelib.costs.export.query import Snapshot
from chalicelib.costs.export.split import ExportClient, iter_slices, split_rows

EXPORT = ExportDeclaration(name="focus", format="focus-1.2", s3_uri="s3://payer/exports/focus/", database="db",
                           table="focus", workgroup="wg", results_uri="s3://stage/athena-results/")
WINDOW = Period(start=date(2026, 11, 1), end=date(2026, 11, 8))
SNAPSHOTS = [Snapshot(billing_period="2026-11", folder="s3://payer/exports/focus/data/BILLING_PERIOD=2026-11/x/",
                      estimated=True)]
A = ExportClient(client_id="a", accounts=frozenset({"111111111111"}), metric="UnblendedCost", window=WINDOW)
B = ExportClient(client_id="b", accounts=frozenset({"222222222222"}), metric="UnblendedCost", window=WINDOW)


def row(client_id: str, account: str, amount: str, day: str = "2026-11-02") -> dict[str, str]:
    return {"client_id": client_id, "day": day, "provider": "AWS", "account_id": account, "service": "Amazon S3",
            "charge_category": "usage", "charge_class": "", "charge_frequency": "usage-based", "service_code": "AmazonS3",
            "commitment_type": "", "usage_type": "TimedStorage", "region": "us-east-1", "currency": "USD",
            "m_unblendedcost": amount}


def test_a_row_of_an_account_the_client_does_not_own_never_reaches_it_even_if_the_query_says_so():
    # the query attributes B's account to A (a stale or tampered accounts object): the plan decides
    rows = [row("a", "111111111111", "1.5"), row("a", "222222222222", "999"), row("b", "222222222222", "2")]
    slices = split_rows(EXPORT, rows, [A, B], SNAPSHOTS)
    assert [(r.account_id, r.amount) for r in slices["a"].rows] == [("111111111111", 1.5)]
    assert [(r.account_id, r.amount) for r in slices["b"].rows] == [("222222222222", 2)]


def test_a_client_without_rows_gets_an_empty_dataset_and_rows_outside_the_window_are_dropped():
    slices = split_rows(EXPORT, [row("a", "111111111111", "3", day="2026-11-09")], [A, B], SNAPSHOTS)
    assert slices["a"].rows == [] and slices["b"].rows == [] and slices["b"].currency == "USD"


def test_a_result_not_ordered_by_client_is_refused_rather_than_written_in_parts():
    rows = [row("a", "111111111111", "1"), row("b", "222222222222", "2"), row("a", "111111111111", "3")]
    with pytest.raises(DataValidationError, match="not ordered by client"):
        list(iter_slices(EXPORT, rows, [A, B], SNAPSHOTS))


def test_datasets_are_written_one_client_at_a_time():
    rows = [row("a", "111111111111", "1"), row("b", "222222222222", "2")]
    produced = iter_slices(EXPORT, rows, [A, B], SNAPSHOTS)
    first = next(produced)  # A's dataset is complete before B's rows are read
    assert first[0] == "a" and json.loads(first[1])["rows"][0]["amount"] == "1"

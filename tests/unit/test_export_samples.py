"""The sample billing exports (local/samples/exports, written by make_samples.py from the same rows as
costs.csv): laid out as AWS Data Exports delivers them, carrying the realities the product must
handle, and reconciling with costs.csv to the cent, per account, day and charge."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from local.aws.cost_explorer.data import CostData
from local.aws.exports import CUR_SAMPLE, FOCUS_SAMPLE
from local.aws.exports.charges import EC2, record_type_of_cur, record_type_of_focus
from local.aws.exports.columns import AWS_FOCUS_1_2, CUR_2_0

SAMPLES = Path(__file__).resolve().parents[2] / "local" / "samples"
EXPORTS = SAMPLES / "exports"
SNAPSHOT = r"^\d{8}T\d{6}Z-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
TOLERANCE = Decimal("0.000001")  # far below a cent: BilledCost is a double holding 10-decimal amounts


def _local(uri: str) -> Path:
    assert uri.startswith("s3://payer-exports/"), uri
    return EXPORTS / uri[len("s3://payer-exports/"):]


def _manifests(export) -> dict[str, dict]:
    found = {}
    for path in sorted((export.source / "metadata").glob("BILLING_PERIOD=*/*-Manifest.json")):
        found[path.parent.name.split("=")[1]] = json.loads(path.read_text())
    return found


def _latest_files(export) -> list[str]:
    return [str(_local(uri)) for manifest in _manifests(export).values() for uri in manifest["dataFiles"]]


def _every_file(export) -> list[str]:
    return sorted(str(p) for p in (export.source / "data").rglob("*.parquet"))


@pytest.fixture(scope="module")
def focus():
    con = duckdb.connect()
    con.execute(f"CREATE VIEW latest AS SELECT * FROM read_parquet({_latest_files(FOCUS_SAMPLE)}, hive_partitioning = false)")
    con.execute(f"CREATE VIEW every AS SELECT * FROM read_parquet({_every_file(FOCUS_SAMPLE)}, filename = true, "
                "hive_partitioning = false)")
    return con


@pytest.fixture(scope="module")
def ce_totals():
    totals: dict[tuple, Decimal] = defaultdict(Decimal)
    for row in CostData.from_csv(SAMPLES / "costs.csv").rows:
        totals[(row.account_id, row.date, row.record_type)] += row.amount
    return totals


# ---- the layout ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("export", [FOCUS_SAMPLE, CUR_SAMPLE], ids=["focus", "cur2"])
def test_layout_and_manifests_follow_data_exports(export):
    import re

    manifests = _manifests(export)
    assert sorted(manifests) == ["2026-08", "2026-09", "2026-10", "2026-11"] == export.periods
    columns = AWS_FOCUS_1_2 if export is FOCUS_SAMPLE else CUR_2_0
    for period, manifest in manifests.items():
        assert set(manifest) == {"executionId", "exportArn", "billingPeriod", "columns", "dataFiles", "additionalOutputFiles"}
        assert manifest["billingPeriod"]["start"] == f"{period}-01T00:00:00.000Z"
        folders = sorted(p.name for p in (export.source / "data" / f"BILLING_PERIOD={period}").iterdir())
        assert all(re.match(SNAPSHOT, f) for f in folders)
        latest = folders[-1]  # ISO timestamps sort in time order
        assert latest.endswith(manifest["executionId"])
        prefix = f"s3://payer-exports/{export.prefix}{export.name}/data/BILLING_PERIOD={period}/{latest}/"
        assert manifest["dataFiles"] == [f"{prefix}{export.name}-00001.snappy.parquet"]
        assert _local(manifest["dataFiles"][0]).exists()
        described = duckdb.connect().execute(f"DESCRIBE SELECT * FROM read_parquet('{_local(manifest['dataFiles'][0])}', "
                                             "hive_partitioning = false)").fetchall()
        assert [row[0] for row in described] == list(columns) == [c["name"] for c in manifest["columns"]]
        kinds = {c["name"]: c["type"] for c in manifest["columns"]}
        for name, duck_type, *_ in described:
            expected = {"DOUBLE": "double", "VARCHAR": "string", "TIMESTAMP": "timestamp",
                        "TIMESTAMP_MS": "timestamp"}.get(duck_type, "map")
            assert kinds[name] == expected, name


def test_an_older_full_snapshot_sits_beside_the_latest_and_summing_both_overcounts(focus):
    november = EXPORTS / "focus" / FOCUS_SAMPLE.name / "data" / "BILLING_PERIOD=2026-11"
    older, latest = sorted(p.name for p in november.iterdir())
    totals = {folder: (total, last) for folder, total, last in focus.execute(
        "SELECT split_part(filename, '/', -2), sum(BilledCost), max(ChargePeriodStart) FROM every "
        "WHERE filename LIKE '%BILLING_PERIOD=2026-11/%' GROUP BY 1").fetchall()}
    assert totals[older][1] < datetime(2026, 11, 15) <= totals[latest][1]  # the older one stops at the 14th
    latest_total = focus.execute("SELECT sum(BilledCost) FROM latest WHERE BillingPeriodStart = '2026-11-01'").fetchone()[0]
    assert latest_total == pytest.approx(totals[latest][0])
    assert totals[older][0] + totals[latest][0] > 1.4 * latest_total  # summing every snapshot overcounts
    # the older snapshot's figures were estimates then: not the same day by day
    by_day = focus.execute(
        "SELECT CAST(ChargePeriodStart AS DATE) AS day, sum(BilledCost) FILTER (WHERE filename LIKE ?) AS old, "
        "sum(BilledCost) FILTER (WHERE filename LIKE ?) AS new FROM every WHERE ChargeCategory = 'Usage' "
        "AND filename LIKE '%BILLING_PERIOD=2026-11/%' GROUP BY 1 HAVING old IS NOT NULL",
        [f"%{older}%", f"%{latest}%"]).fetchall()
    assert len(by_day) == 14 and all(abs(new - old) > 0.01 for _, old, new in by_day)


# ---- the realities ---------------------------------------------------------------------------------------------------


def test_usage_is_hourly_for_instance_hours_and_charges_cover_their_period(focus):
    spans = dict(focus.execute(
        "SELECT CASE WHEN ServiceName = ? AND ChargeCategory = 'Usage' THEN 'ec2' WHEN ChargeCategory = 'Usage' THEN 'usage' "
        "ELSE ChargeCategory || '/' || ChargeFrequency END, list(DISTINCT date_diff('hour', ChargePeriodStart, ChargePeriodEnd)) "
        "FROM latest GROUP BY 1", [EC2]).fetchall())
    assert spans["ec2"] == [1]  # hour by hour, an hour apart
    assert spans["usage"] == [24]  # daily
    assert set(spans["Tax/Recurring"]) <= {24 * d for d in (28, 29, 30, 31)}  # the billing period
    assert set(spans["Purchase/Recurring"]) <= {24 * d for d in (28, 29, 30, 31)}
    monthly = focus.execute("SELECT count(*) FROM latest WHERE ChargeFrequency = 'Recurring' AND "
                            "(ChargePeriodStart <> BillingPeriodStart OR ChargePeriodEnd <> BillingPeriodEnd)").fetchone()[0]
    assert monthly == 0
    hours = focus.execute("SELECT count(*) FROM latest WHERE ServiceName = ? AND ChargeCategory = 'Usage' AND "
                          "date_part('hour', ChargePeriodStart) = 13", [EC2]).fetchone()[0]
    assert hours > 0


def test_the_realities_the_product_must_handle_are_all_present(focus):
    def one(sql: str, *parameters) -> object:
        return focus.execute(sql, list(parameters)).fetchone()[0]

    categories = {r[0] for r in focus.execute("SELECT DISTINCT ChargeCategory FROM latest").fetchall()}
    assert categories == {"Usage", "Purchase", "Tax", "Credit", "Adjustment"}
    assert {r[0] for r in focus.execute("SELECT DISTINCT ChargeFrequency FROM latest WHERE ChargeCategory = 'Usage'")
            .fetchall()} == {"Usage-Based", "Usage-based"}  # a case variant, as real exports write
    assert one("SELECT max(BilledCost) FROM latest WHERE ChargeClass = 'Correction'") < 0  # a refund of an earlier bill
    assert one("SELECT count(*) FROM latest WHERE ChargeCategory = 'Purchase' AND x_ServiceCode = 'AWSSupportBusiness'") > 0
    assert one("SELECT count(*) FROM latest WHERE CommitmentDiscountType = 'Reserved Instance' "
               "AND ChargeFrequency = 'Recurring'") > 0
    assert one("SELECT count(*) FROM latest WHERE CommitmentDiscountType = 'Savings Plan' AND ChargeFrequency = 'Recurring'") > 0
    assert one("SELECT EffectiveCost FROM latest WHERE CommitmentDiscountType = 'Savings Plan' "
               "AND ChargeFrequency = 'One-Time'") == 0  # an upfront purchase: amortised into usage, not effective itself
    assert one("SELECT count(*) FROM latest WHERE PublisherName = 'Datadog, Inc.'") > 0  # Marketplace
    # real NULLs, not the text "NULL"
    assert one("SELECT count(*) FROM latest WHERE RegionId IS NULL") > 0
    assert one("SELECT count(*) FROM latest WHERE SubAccountName IS NULL") > 0
    assert one("SELECT count(*) FROM latest WHERE RegionId = 'NULL' OR SubAccountName = 'NULL'") == 0
    assert one("SELECT count(*) FROM latest WHERE InvoiceId IS NULL AND BillingPeriodStart = '2026-11-01'") == \
           one("SELECT count(*) FROM latest WHERE BillingPeriodStart = '2026-11-01'")  # the open month has no invoice
    assert one("SELECT count(*) FROM latest WHERE InvoiceId IS NULL AND BillingPeriodStart < '2026-11-01'") == 0
    assert one("SELECT count(*) FROM latest WHERE Tags['Environment'] = 'Production'") > 0
    assert one("SELECT count(*) FROM latest WHERE x_UsageType LIKE 'BoxUsage:%' AND x_Operation = 'RunInstances'") > 0
    # precision as Cost Explorer's: up to 10 decimals, not rounded to cents
    assert one("SELECT count(*) FROM latest WHERE ChargeCategory = 'Usage' AND round(BilledCost, 2) <> BilledCost") > 1000
    assert one("SELECT count(*) FROM latest WHERE abs(round(BilledCost, 10) - BilledCost) > 1e-12") == 0


def test_cost_columns_are_present_and_plausibly_related(focus):
    relations = focus.execute(
        "SELECT SubAccountId, min(ListCost - BilledCost), max(abs(ContractedCost - BilledCost)), "
        "max(abs(EffectiveCost - BilledCost)) FROM latest WHERE ChargeCategory = 'Usage' AND ChargeClass IS NULL "
        "GROUP BY 1").fetchall()
    clients = {c["client_id"]: c for c in json.loads((SAMPLES / "clients.json").read_text())}
    discounted = set(clients["acme-retail"]["accounts"])
    for account, list_minus_billed, contracted_gap, effective_gap in relations:
        assert contracted_gap < 1e-9 and effective_gap < 1e-9  # no commitment covers sample usage
        if account in discounted:
            assert list_minus_billed > 0  # private pricing: list price above what is billed
        else:
            assert list_minus_billed >= -1e-9
    # ListCost is the list unit price times the quantity, to the precision written
    gap = focus.execute("SELECT max(abs(PricingQuantity * ListUnitPrice - ListCost) / ListCost) FROM latest "
                        "WHERE ChargeCategory = 'Usage' AND ChargeClass IS NULL AND ListCost > 1").fetchone()[0]
    assert gap < 1e-6


# ---- reconciliation with costs.csv ------------------------------------------------------------------------------------


def _assert_reconciles(totals: dict[tuple, Decimal], ce_totals: dict[tuple, Decimal]) -> None:
    assert set(totals) == set(ce_totals)
    worst = max(abs(totals[key] - ce_totals[key]) for key in ce_totals)
    assert worst < TOLERANCE, worst


def test_focus_latest_snapshot_reconciles_with_costs_csv_per_account_day_and_charge(focus, ce_totals):
    totals: dict[tuple, Decimal] = defaultdict(Decimal)
    for account, day, category, charge_class, frequency, code, commitment, amount in focus.execute(
            "SELECT SubAccountId, CAST(ChargePeriodStart AS DATE), ChargeCategory, ChargeClass, ChargeFrequency, x_ServiceCode, "
            "CommitmentDiscountType, sum(CAST(BilledCost AS DECIMAL(38, 10))) FROM latest GROUP BY ALL").fetchall():
        totals[(account, day, record_type_of_focus(category, charge_class, frequency, code, commitment))] += amount
    _assert_reconciles(totals, ce_totals)


def test_cur_latest_snapshot_reconciles_with_costs_csv_per_account_day_and_charge(ce_totals):
    totals: dict[tuple, Decimal] = defaultdict(Decimal)
    for account, day, kind, code, amount in duckdb.connect().execute(
            f"SELECT line_item_usage_account_id, CAST(line_item_usage_start_date AS DATE), line_item_line_item_type, "
            f"line_item_product_code, sum(CAST(line_item_unblended_cost AS DECIMAL(38, 10))) "
            f"FROM read_parquet({_latest_files(CUR_SAMPLE)}, hive_partitioning = false) GROUP BY ALL").fetchall():
        totals[(account, day, record_type_of_cur(kind, code))] += amount
    _assert_reconciles(totals, ce_totals)


# ---- another provider ---------------------------------------------------------------------------------------------------


def test_the_azure_focus_1_0_file_is_another_providers_export():
    rows = duckdb.connect().execute(f"SELECT * FROM read_csv('{SAMPLES / 'focus-azure-1.0.csv.gz'}', all_varchar = true)")
    names = [d[0] for d in rows.description]
    data = [dict(zip(names, r, strict=True)) for r in rows.fetchall()]
    assert "InvoiceId" not in names and "ServiceSubcategory" not in names  # FOCUS 1.0, not 1.2
    assert {r["ProviderName"] for r in data} == {"Microsoft"}
    assert all(r["SubAccountId"].startswith("/subscriptions/") for r in data)
    assert {r["BillingCurrency"] for r in data} == {"USD", "EUR"}
    assert {r["ChargeCategory"] for r in data} == {"Usage", "Purchase", "Credit"}
    assert {"Virtual Machines", "Storage", "Azure SQL Database"} <= {r["ServiceName"] for r in data}
    assert all(json.loads(r["Tags"]) is not None for r in data)
    assert {date.fromisoformat(r["ChargePeriodStart"][:10]) for r in data} >= {date(2026, 10, 1), date(2026, 11, 21)}


# ---- the files are the script's output ------------------------------------------------------------------------------------


def test_exports_are_reproducible_from_make_samples(tmp_path):
    from local.samples.make_samples import write_azure_focus, write_exports

    for export in write_exports(tmp_path):
        committed = EXPORTS / export.source.relative_to(tmp_path)
        assert sorted(p.relative_to(export.source) for p in export.files()) == \
               sorted(p.relative_to(committed) for p in committed.rglob("*") if p.is_file())
        for path in export.files():
            assert path.read_bytes() == (committed / path.relative_to(export.source)).read_bytes(), path
    assert write_azure_focus(tmp_path / "azure.csv.gz").read_bytes() == (SAMPLES / "focus-azure-1.0.csv.gz").read_bytes()


def test_every_charge_lies_inside_its_billing_period(focus):
    # a reader may take the billing period from the partition or from BillingPeriodStart: the same
    outside = focus.execute("SELECT count(*) FROM latest WHERE ChargePeriodStart < BillingPeriodStart "
                            "OR ChargePeriodEnd > BillingPeriodEnd").fetchone()[0]
    assert outside == 0
    usage_end = focus.execute("SELECT max(ChargePeriodEnd) FROM latest WHERE ChargeCategory = 'Usage'").fetchone()[0]
    assert usage_end == datetime(2026, 11, 22)  # the last day with data is 2026-11-21, as in costs.csv

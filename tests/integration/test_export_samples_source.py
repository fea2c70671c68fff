"""The product's export SQL over the sample exports (FOCUS 1.2 with AWS columns, CUR 2.0, both laid
out as AWS Data Exports writes them, an older snapshot beside the latest) gives, for every account,
day and charge category, what local/samples/costs.csv (the same underlying data) says."""

from __future__ import annotations

import json
import os
from collections import defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from chalicelib.core.periods import Period
from local.aws.cost_explorer.data import CostData
from local.aws.exports import CUR_SAMPLE, FOCUS_SAMPLE
from local.aws.exports.columns import AWS_FOCUS_1_2, CUR_2_0, glue_columns
from tests.athena_support import DATABASE, RESULTS, WORKGROUP, AthenaEnv
from tests.export_support import STAGE_BUCKET, create_accounts_table

COSTS = CostData.from_csv(FOCUS_SAMPLE.source.parents[2] / "costs.csv")
WINDOW = Period(start=date(2026, 10, 1), end=date(2026, 11, 22))
# Cost Explorer's RECORD_TYPE -> the contract's category (docs/reports.md)
CATEGORY = {"Usage": "usage", "Refund": "refund", "Credit": "credit", "Tax": "tax", "Support": "support",
            "RIFee": "fee", "SavingsPlanRecurringFee": "fee", "Fee": "fee", "SavingsPlanUpfrontFee": "purchase",
            "Solution Provider Program Discount": "adjustment"}
EXPORTS = {"focus": (FOCUS_SAMPLE, "focus-1.2", AWS_FOCUS_1_2), "cur": (CUR_SAMPLE, "cur-2.0", CUR_2_0)}


@pytest.fixture(scope="module")
def env():
    saved = {k: os.environ.get(k) for k in ("BUCKET_NAME", "COST_EXPORTS")}
    with AthenaEnv(now=lambda: datetime(2026, 11, 22, tzinfo=UTC)) as athena:
        declared = []
        for name, (sample, kind, columns) in EXPORTS.items():
            sample.upload(athena.s3)
            athena.glue.create_table(DatabaseName=DATABASE, TableInput={
                "Name": name, "TableType": "EXTERNAL_TABLE", "PartitionKeys": [{"Name": "billing_period", "Type": "string"}],
                "Parameters": {"projection.enabled": "true", "projection.billing_period.type": "date",
                               "projection.billing_period.format": "yyyy-MM", "projection.billing_period.range": "2026-01,NOW",
                               "projection.billing_period.interval": "1", "projection.billing_period.interval.unit": "MONTHS",
                               "storage.location.template": f"{sample.s3_uri}data/BILLING_PERIOD=${{billing_period}}/"},
                "StorageDescriptor": {"Columns": glue_columns(columns), "Location": f"{sample.s3_uri}data/",
                                      "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
                                      "SerdeInfo": {"SerializationLibrary":
                                                    "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"}}})
            declared.append({"name": name, "format": kind, "s3_uri": sample.s3_uri, "database": DATABASE, "table": name,
                             "workgroup": WORKGROUP, "results_uri": RESULTS})
        create_accounts_table(athena)
        os.environ.update({"BUCKET_NAME": STAGE_BUCKET, "COST_EXPORTS": json.dumps(declared)})
        from chalicelib.core.caches import reset_all

        reset_all()
        yield athena
        reset_all()
    for key, value in saved.items():
        os.environ.pop(key, None) if value is None else os.environ.__setitem__(key, value)


@pytest.mark.parametrize("name", ["focus", "cur"])
def test_the_export_reconciles_with_the_same_data_as_cost_explorer_rows(env, name):
    from chalicelib.costs.export import athena
    from chalicelib.costs.export.declarations import export_named
    from chalicelib.costs.export.run import put_run_accounts, split_result, start_query
    from chalicelib.costs.export.split import ExportClient

    export = export_named(name)
    accounts = sorted(COSTS.accounts)
    clients = [ExportClient(client_id=f"c{i}", accounts=frozenset([a]), metric="UnblendedCost", window=WINDOW)
               for i, a in enumerate(accounts)]
    put_run_accounts(f"run-{name}", [(a, f"c{i}") for i, a in enumerate(accounts)])
    env.local.reset_counters()
    started = start_query(export, f"run-{name}", WINDOW, ["UnblendedCost"])
    assert env.wait(started.execution_id)["Status"]["State"] == "SUCCEEDED"
    assert env.local.queries == 1
    slices = split_result(export, started, athena.state(started.execution_id), clients)

    expected: dict[tuple, Decimal] = defaultdict(Decimal)
    for row in COSTS.rows:
        if WINDOW.start <= row.date < WINDOW.end:
            expected[(row.account_id, row.date, CATEGORY[row.record_type])] += row.amount
    got: dict[tuple, Decimal] = defaultdict(Decimal)
    for costs in slices.values():
        assert not isinstance(costs, str), costs
        for r in costs.rows:
            got[(r.account_id, r.day, r.category)] += r.amount
    assert set(got) == set(expected)
    wrong = {k: (got[k], expected[k]) for k in expected if abs(got[k] - expected[k]) > Decimal("0.000001")}
    assert not wrong
    assert {r.estimated for c in slices.values() for r in c.rows if r.day.month == 11} == {True}
    assert {r.estimated for c in slices.values() for r in c.rows if r.day.month == 10} == {False}

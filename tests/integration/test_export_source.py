"""The billing-export source (chalicelib/costs/export) against the local Athena: the product's own SQL,
bound parameters, over a FOCUS export laid out as AWS Data Exports writes it."""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from chalicelib.core.periods import Period
from tests.athena_support import AthenaEnv
from tests.export_support import STAGE_BUCKET, create_tables, declaration, line, put_snapshot

ACME, GLOBEX, EUROCORP = ["111111111111", "111111111112"], ["222222222222"], ["333333333333"]
AZURE = "/subscriptions/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"
STRANGER = "999999999999"  # in the export, in no client's accounts
OLD, LATEST = "20261115T053012Z-old-exec", "20261122T050744Z-new-exec"
WINDOW = Period(start=date(2026, 10, 1), end=date(2026, 11, 22))


def _november(scale: float) -> list[dict]:
    rows = [line(ACME[0], "2026-11-03", 0.5 * scale, hour=h) for h in range(24)]  # hourly: one day of 12.00
    rows += [
        line(ACME[1], "2026-11-03", 3.0, frequency="Usage-based", region=None),  # case variant, NULL region
        line(ACME[1], "2026-11-03", 1.0, frequency="usage-based ", region=""),  # "" region, trailing space
        line(ACME[0], "2026-11-01", -7.0, category="Credit", frequency="One-Time", service="Amazon EC2"),
        line(ACME[0], "2026-11-01", 9.0, category="Tax", frequency="Recurring", service="Tax", service_code=None),
        line(ACME[0], "2026-11-01", 100.0, category="Purchase", frequency="Recurring",
             service="AWS Support (Business)", service_code="AWSSupportBusiness"),
        line(ACME[0], "2026-11-01", 50.0, category="Purchase", frequency="Recurring", commitment="Reserved Instance"),
        line(ACME[0], "2026-11-02", 365.0, category="Purchase", frequency="One-Time", commitment="Savings Plan",
             effective=0.0),
        line(ACME[0], "2026-11-04", -2.5, category="Usage", charge_class="Correction"),
        line(ACME[0], "2026-11-05", 4.0, category="NULL", frequency="NULL", usage_type="NULL"),  # the string NULL
        line(GLOBEX[0], "2026-11-03", 20.0),
        line(STRANGER, "2026-11-03", 1000.0),
        line(EUROCORP[0], "2026-11-03", 5.0, currency="EUR"),
        line(EUROCORP[0], "2026-11-04", 6.0, currency="usd"),
        line(AZURE, "2026-11-03", 8.0, provider="Microsoft", service="Virtual Machines", service_code=None,
             usage_type=None, region="westeurope"),
        line(ACME[0], "2026-11-25", 11.0),  # after the window
    ]
    return rows


@pytest.fixture(scope="module")
def env():
    saved = {k: os.environ.get(k) for k in ("BUCKET_NAME", "COST_EXPORTS", "DEFAULT_COST_SOURCE")}
    with AthenaEnv(now=lambda: datetime(2026, 11, 22, tzinfo=UTC)) as athena:
        os.environ.update({"BUCKET_NAME": STAGE_BUCKET, "COST_EXPORTS": json.dumps([declaration()]),
                           "DEFAULT_COST_SOURCE": "focus"})
        from chalicelib.core.caches import reset_all

        reset_all()
        create_tables(athena)
        put_snapshot(athena, "2026-10", "20261103T051907Z-oct-exec",
                     [line(ACME[0], "2026-10-30", 40.0), line(GLOBEX[0], "2026-10-31", 2.0)])
        put_snapshot(athena, "2026-11", OLD, _november(scale=10.0), manifest=False)  # an older full snapshot
        put_snapshot(athena, "2026-11", LATEST, _november(scale=1.0))
        yield athena
        reset_all()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def _run(env, run_id: str, clients: dict[str, list[str]], metric: str = "UnblendedCost"):
    from chalicelib.costs.export import athena
    from chalicelib.costs.export.declarations import export_named
    from chalicelib.costs.export.run import put_run_accounts, split_result, start_query
    from chalicelib.costs.export.split import ExportClient

    export = export_named("focus")
    put_run_accounts(run_id, [(a, c) for c, accounts in clients.items() for a in accounts])
    started = start_query(export, run_id, WINDOW, [metric])
    done = env.wait(started.execution_id)
    assert done["Status"]["State"] == "SUCCEEDED", done["Status"]
    slices = split_result(export, started, athena.state(started.execution_id),
                          [ExportClient(client_id=c, accounts=frozenset(a), metric=metric, window=WINDOW)
                           for c, a in clients.items()])
    return slices, done


@pytest.fixture(scope="module")
def run(env):
    env.local.reset_counters()
    return _run(env, "run-1", {"acme": ACME, "globex": GLOBEX, "eurocorp": EUROCORP, "azure": [AZURE]})


def _total(costs, day=None, category=None):
    return sum((r.amount for r in costs.rows if (day is None or r.day == day) and (category is None or r.category == category)),
               Decimal(0))


def test_one_query_for_every_client_of_the_run(env, run):
    assert env.local.queries == 1
    assert set(run[0]) == {"acme", "globex", "eurocorp", "azure"}


def test_parameters_are_bound_never_formatted_into_the_sql(run):
    _, done = run
    assert "run-1" not in done["Query"] and ACME[0] not in done["Query"] and "2026-11" not in done["Query"]
    assert "'run-1'" in done["ExecutionParameters"]
    assert any("20261122T050744Z-new-exec" in p for p in done["ExecutionParameters"])


def test_only_the_latest_snapshot_is_read(run):
    acme = run[0]["acme"]
    # hourly usage on 3 Nov: 24 x 0.5 in the latest snapshot; the older one (x10) would make 120 more
    s3_day = [r for r in acme.rows if r.day == date(2026, 11, 3) and r.account_id == ACME[0]]
    assert [r.amount for r in s3_day] == [Decimal("12.0000000000")]


def test_hourly_rows_roll_up_to_one_row_per_utc_day_and_labels_fold_case_and_nulls(run):
    acme = run[0]["acme"]
    second = [r for r in acme.rows if r.account_id == ACME[1]]
    # "Usage-based" and "usage-based " are one label, NULL and "" regions are one: one row of 4.00
    assert len(second) == 1 and second[0].amount == Decimal(4) and second[0].region == ""
    null_string = [r for r in acme.rows if r.day == date(2026, 11, 5)]
    assert [(r.category, r.usage_type) for r in null_string] == [("usage", "")]


def test_charge_categories(run):
    acme = run[0]["acme"]
    by = {(r.category, r.charge_type): r.amount for r in acme.rows if r.category != "usage"}
    assert by == {("credit", "Credit"): Decimal(-7), ("tax", "Tax"): Decimal(9), ("support", "Support"): Decimal(100),
                  ("fee", "RIFee"): Decimal(50), ("purchase", "SavingsPlanUpfrontFee"): Decimal(365),
                  ("refund", "Refund"): Decimal("-2.5")}


def test_the_open_month_is_estimated_a_closed_one_is_not(run):
    acme = run[0]["acme"]
    assert {r.estimated for r in acme.rows if r.day.month == 11} == {True}
    assert {r.estimated for r in acme.rows if r.day.month == 10} == {False}
    assert _total(acme, day=date(2026, 10, 30)) == Decimal(40)


def test_a_row_of_another_account_never_reaches_a_client(run):
    slices = run[0]
    for client_id, accounts in {"acme": ACME, "globex": GLOBEX, "azure": [AZURE]}.items():
        assert {r.account_id for r in slices[client_id].rows} <= set(accounts), client_id
    assert _total(slices["globex"]) == Decimal(22)
    assert all(STRANGER not in {r.account_id for r in c.rows} for c in slices.values() if not isinstance(c, str))
    assert not any(r.day >= WINDOW.end for r in slices["acme"].rows)


def test_a_client_billed_in_two_currencies_is_refused_and_the_others_go_on(run):
    slices = run[0]
    assert isinstance(slices["eurocorp"], str)
    assert "EUR" in slices["eurocorp"] and "USD" in slices["eurocorp"] and "one currency" in slices["eurocorp"]
    assert slices["globex"].currency == "USD"


def test_another_providers_accounts_as_written(run):
    azure = run[0]["azure"]
    assert [(r.provider, r.account_id, r.service, r.region, r.amount) for r in azure.rows] == [
        ("Microsoft", AZURE, "Virtual Machines", "westeurope", Decimal(8))]


def test_the_amortised_metric_reads_effective_cost(env):
    slices, _ = _run(env, "run-amortised", {"acme": ACME}, metric="AmortizedCost")
    upfront = [r for r in slices["acme"].rows if r.category == "purchase"]
    assert [r.amount for r in upfront] == [Decimal(0)]


def test_a_run_reads_only_its_own_accounts_table(env, run):
    from chalicelib.costs.export import athena

    # run-2 lists Globex only: its query returns no row of Acme's, though run-1's accounts list them
    _, done = _run(env, "run-2", {"globex": GLOBEX})
    returned = {row["account_id"] for row in athena.result_rows(athena.state(done["QueryExecutionId"]))}
    assert returned == set(GLOBEX)


def test_read_client_costs_for_one_client(env):
    from chalicelib.core.models import ClientConfig
    from chalicelib.costs.contracts import CostWindowRequest
    from chalicelib.costs.export import read_client_costs

    config = ClientConfig.model_validate({"client_id": "globex", "name": "Globex", "status": "ACTIVE",
                                          "accounts": GLOBEX, "recipients": ["a@example.com"], "reports": ["weekly"]})
    env.local.reset_counters()
    costs = read_client_costs(config, CostWindowRequest(client_id="globex", window=WINDOW, detail="account",
                                                        granularity="MONTHLY"))
    assert env.local.queries == 1
    assert costs.usage.athena_queries == 1 and costs.usage.athena_bytes_scanned > 0
    assert [(r.day, r.service, r.amount) for r in costs.rows] == [(date(2026, 10, 1), "", Decimal(2)),
                                                                   (date(2026, 11, 1), "", Decimal(20))]

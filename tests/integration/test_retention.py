"""Retention (docs/operations.md#retention): a run's records expire by the table's TTL after the stage's
run_record_days, its artefacts and reports on demand by the bucket's lifecycle rules, and the
delivery ledger never expires, so no rerun or redrive of any period can send it twice."""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, timedelta
from typing import Any

import pytest

from chalicelib.core.constants import ENV_AGGREGATION_STATE_MACHINE_ARN, TTL_ATTRIBUTE
from chalicelib.core.store import table
from infra.stage import load_stage
from tests.factories import AS_OF, CLIENTS

DAY = 86400


def items(pk_prefix: str) -> list[dict[str, Any]]:
    scanned = table.table().scan()["Items"]
    return [item for item in scanned if item["pk"].startswith(pk_prefix)]


def test_run_records_expire_after_the_stages_days_and_the_ledger_never_does(local_aws: Any) -> None:
    aws = local_aws(clients=CLIENTS)
    days = load_stage("local").settings.run_record_days
    before = time.time()
    described = aws.run({"report_type": "weekly", "as_of": AS_OF.isoformat()}, name="retention-weekly")
    assert described["status"] == "SUCCEEDED", described
    after = time.time()

    run_items = items("RUN#") + items("RUNS")
    assert {item["sk"].partition("#")[0] for item in items("RUN#")} == {"META", "CLIENT"}
    assert len(items("RUNS")) == 1 and len(items("RUN#")) == 1 + len(CLIENTS)
    for item in run_items:
        assert before + days * DAY - 5 <= int(item[TTL_ATTRIBUTE]) <= after + days * DAY + 5, item["sk"]

    ledger = items("DELIVERY#")
    assert len(ledger) == 3  # alpha, bravo, charlie (paused is not ACTIVE)
    assert all(TTL_ATTRIBUTE not in item for item in ledger)

    # the run-metric aggregation of that day: its per-tenant outcomes are run records too
    aws.poller.drain(settle=True)
    started = described["startDate"]
    day = (started.astimezone(UTC) if started.tzinfo else started).date()
    aggregation = aws.sfn.start_execution(stateMachineArn=os.environ[ENV_AGGREGATION_STATE_MACHINE_ARN],
                                          name="retention-aggregation",
                                          input=json.dumps({"run_date": (day + timedelta(days=1)).isoformat()}))
    assert aws.wait(aggregation["executionArn"], timeout=300)["status"] == "SUCCEEDED"
    outcomes = items("AGGREGATION#")
    assert outcomes and all(abs(int(item[TTL_ATTRIBUTE]) - (time.time() + days * DAY)) < 300 for item in outcomes)

    # a rerun of the same period, however late, finds the ledger and sends nothing again
    again = aws.run({"report_type": "weekly", "as_of": AS_OF.isoformat()}, name="retention-rerun")
    summary = json.loads(again["output"])
    assert (summary["delivered"], summary["skipped"]) == (0, 4), summary


def test_budget_check_outcomes_expire_like_run_records(local_aws: Any) -> None:
    from tests.factories import client_config

    aws = local_aws(clients=[client_config("acme", ["111111111111"], budgets={"monthly": 10})])
    days = load_stage("local").settings.run_record_days
    described = aws.wait(aws.notify.start_budget_check({"as_of": "2026-11-20"}, "retention-budget"))
    assert described["status"] == "SUCCEEDED", described
    outcomes = items("BUDGETRUN#")
    assert [item["sk"] for item in outcomes] == ["CLIENT#acme"]
    assert abs(int(outcomes[0][TTL_ATTRIBUTE]) - (time.time() + days * DAY)) < 120


def test_the_deployed_bucket_expires_run_artefacts_and_reports_on_demand(local_aws: Any) -> None:
    import boto3

    local_aws(clients=CLIENTS)
    stage = load_stage("local")
    rules = boto3.client("s3").get_bucket_lifecycle_configuration(Bucket=stage.bucket_name())["Rules"]
    assert sorted((r["Filter"]["Prefix"], r["Expiration"]["Days"]) for r in rules) == [
        ("runs/", 30), ("runs/on-demand-", 7)]


@pytest.mark.parametrize("days", [14, 0])
def test_a_stage_keeping_run_records_less_than_a_redrive_window_is_refused(days: int, tmp_path: Any) -> None:
    from infra import stages

    path = tmp_path / "stages.json"
    path.write_text(json.dumps({"prod": {"sender": "reports@example.com", "run_record_days": days}}))
    with pytest.raises(ValueError, match="run_record_days"):
        stages.load(path)

"""The Distributed Map, a progress display that costs nothing, and the counts a run is billed by."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stderr

from tests.factories import AS_OF

WEEKLY = {"report_type": "weekly", "as_of": AS_OF.isoformat()}


def test_a_child_that_cannot_record_fails_alone_and_the_summary_reports_it(local_aws):
    """Recording fails for bravo whatever is retried: its child execution fails (the Map Run counts it),
    the failure is tolerated, the others are delivered and the summary reports bravo from its record."""
    aws = local_aws()

    class RecordingDown(Exception):
        pass

    def fault(name, event):
        if name == "record_result" and event.get("client_id") == "bravo":
            raise RecordingDown("the table is unavailable")

    aws.bridge.fault_hook = fault
    arn = aws.start(WEEKLY, name="weekly-recording-down")
    described = aws.wait(arn)
    assert described["status"] == "SUCCEEDED"
    summary = json.loads(described["output"])
    assert (summary["delivered"], summary["skipped"], summary["failed"]) == (2, 1, 1)
    assert summary["failures"][0]["client_id"] == "bravo"
    assert summary["failures"][0]["reason"] == "stopped while pending"
    map_run = next(e for e in aws.history(arn) if e["type"] == "MapRunStarted")["mapRunStartedEventDetails"]["mapRunArn"]
    counts = aws.sfn.describe_map_run(mapRunArn=map_run)["itemCounts"]
    assert (counts["total"], counts["succeeded"], counts["failed"]) == (3, 2, 1)
    assert sorted(s["client_id"] for s in aws.outbox.sent) == ["alpha", "bravo", "charlie"]  # sent, then unrecorded


def test_progress_display_reads_no_record_of_ours(tmp_path):
    """The progress display refreshes from the Map Run's counters: during the whole run it makes no
    DynamoDB or S3 call of its own, whatever the number of clients, and still shows every client done."""
    from local.aws.cost_explorer.data import CostData
    from local.cli.run import run_locally
    from local.metering.aws_calls import OTHER
    from tests.factories import CLIENTS, all_accounts, cost_rows

    shown = io.StringIO()
    with redirect_stderr(shown):
        summary = run_locally(CLIENTS, CostData.from_rows(cost_rows(all_accounts(CLIENTS))), WEEKLY, tmp_path,
                              progress=True)
    assert summary["execution_status"] == "SUCCEEDED"
    # Outside our stages: the Map's own S3 read (ItemReader) and write (ResultWriter), Lambda
    # invokes and Step Functions calls; no DynamoDB, no other S3 call.
    outside_stages = summary["usage"]["engine_calls"]
    assert not [line for line in outside_stages if line.startswith("dynamodb")], outside_stages
    assert (outside_stages.get("s3 get"), outside_stages.get("s3 put")) == (1, 1), outside_stages
    assert "clients done 3/3" in shown.getvalue()
    assert OTHER == "engine/runtime"


def test_summary_carries_the_counts_the_bill_is_computed_from(tmp_path):
    from bench.cost import bill, memory_by_function
    from local.aws.cost_explorer.data import CostData
    from local.cli.run import run_locally
    from tests.factories import CLIENTS, all_accounts, cost_rows

    run_locally(CLIENTS, CostData.from_rows(cost_rows(all_accounts(CLIENTS))), WEEKLY, tmp_path, progress=False)
    summary = json.loads((tmp_path / "summary.json").read_text())
    usage = summary["usage"]
    # costs, history and forecast per client: every request the emulator answered, counted once
    assert usage["ce_requests"] == summary["ce_requests"] >= 3 and usage["ses_recipients"] == 3
    # Plan, Eligibility, HasExportClients (no export client: straight on), Map, SummarizeRun in the
    # parent; in each of three delivered children CollectCosts, HasCostData, RenderReport,
    # DeliverReport, RecordSuccess; no retry.
    assert usage["state_transitions"] == 5 + 3 * 5
    assert usage["lambda"]["collect_costs"]["invocations"] == 3
    assert usage["stage_calls"]["dynamodb write"] >= 3 * 5  # idempotency x2, ledger x2, record per client
    lines = {line.line: line for line in bill(usage, memory_by_function("prod"))}
    assert round(lines["Cost Explorer requests"].usd, 6) == round(usage["ce_requests"] * 0.01, 6)
    assert lines["Lambda duration"].quantity > 0
    assert lines["S3 PUT requests"].quantity == (usage["stage_request_units"]["s3 put"]
                                                 + usage["engine_request_units"].get("s3 put", 0))


def test_call_counter_bills_batch_operations_per_item():
    from local.metering.aws_calls import category, request_units

    writes = {"RequestItems": {"t": [{"PutRequest": {"Item": {}}}] * 25}}
    reads = {"RequestItems": {"t": {"Keys": [{}] * 40}, "u": {"Keys": [{}] * 2}}}
    assert request_units("BatchWriteItem", writes) == 25
    assert request_units("BatchGetItem", reads) == 42
    assert request_units("PutItem", {}) == 1
    assert (category("dynamodb", "Query"), category("dynamodb", "UpdateItem")) == ("dynamodb read", "dynamodb write")
    assert (category("s3", "GetObject"), category("s3", "PutObject"), category("sts", "AssumeRole")) == (
        "s3 get", "s3 put", "sts")


def test_a_wait_past_its_bound_stops_the_execution_before_the_local_aws_goes(local_aws):
    import time

    import pytest

    aws = local_aws()
    aws.bridge.fault_hook = lambda name, event: name == "collect_costs" and time.sleep(3)  # a slow branch
    arn = aws.start({"report_type": "weekly", "as_of": AS_OF.isoformat()})
    with pytest.raises(TimeoutError, match="stopped"):
        aws.wait(arn, timeout=1.0)
    assert aws.sfn.describe_execution(executionArn=arn)["status"] == "ABORTED"


def test_the_bill_counts_every_email_and_transactional_writes_as_aws_bills_them(tmp_path):
    """`python -m local run`'s summary.json, billed by bench.cost: the SES line holds the change
    alert the notification queue emailed besides the two reports, and DynamoDB writes are write
    units (the metric events' transactions: 2 per KB per item), not API calls or items."""
    from bench.cost import bill, memory_by_function
    from local.aws.cost_explorer.data import CostData
    from local.cli.run import run_locally
    from tests.factories import client_config
    from tests.integration.test_change_alerts import _rows

    clients = [client_config("spiky", ["111111111111"], notifications={"alert_recipients": ["alerts@spiky.example"]}),
               client_config("calm", ["222222222222"])]
    run_locally(clients, CostData.from_rows(_rows()), WEEKLY, tmp_path, progress=False)
    usage = json.loads((tmp_path / "summary.json").read_text())["usage"]
    assert usage["ses_recipients_by_kind"] == {"reports": 2, "alerts": 1} and usage["ses_recipients"] == 3
    lines = {line.line: line for line in bill(usage, memory_by_function("prod"))}
    assert lines["SES emails"].quantity == 3
    calls = usage["stage_calls"]["dynamodb write"]
    # each client's metric event is one transaction of 3 small items (6 units), the run's end one of
    # 2 (4 units): 13 units more than those 3 calls
    assert usage["stage_request_units"]["dynamodb write"] >= calls + 2 * (6 - 1) + (4 - 1)


def test_write_units_follow_item_size_and_transactions():
    from local.metering.aws_calls import write_units

    small = {"pk": {"S": "A"}, "sk": {"S": "x"}, "n": {"N": "1"}}
    large = {"pk": {"S": "B"}, "sk": {"S": "x"}, "body": {"S": "x" * 1500}}  # 1.5 KB: 2 units
    assert write_units("PutItem", {"TableName": "t", "Item": large}) == 2
    assert write_units("BatchWriteItem", {"RequestItems": {"t": [{"PutRequest": {"Item": small}},
                                                                 {"PutRequest": {"Item": large}}]}}) == 3
    assert write_units("TransactWriteItems", {"TransactItems": [{"Put": {"TableName": "t", "Item": small}},
                                                                {"Put": {"TableName": "t", "Item": large}}]}) == 2 + 4

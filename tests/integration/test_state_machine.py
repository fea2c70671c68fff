"""The real statemachines/cost_report.asl.json executed by moto's engine, stages in process."""

from __future__ import annotations

import json
from email import message_from_bytes
from email.policy import default

from chalice.test import Client

from tests.factories import AS_OF, CLIENTS, client_config

WEEKLY = {"report_type": "weekly", "as_of": AS_OF.isoformat()}


def _emails_by_client(aws):
    found: dict[str, list] = {}
    for sent in aws.outbox.sent:
        found.setdefault(sent["client_id"], []).append(message_from_bytes(sent["raw"], policy=default))
    return found


def test_every_active_client_is_delivered_and_only_its_own_data(local_aws):
    aws = local_aws()
    described = aws.run(WEEKLY, name="weekly-all")
    assert described["status"] == "SUCCEEDED", described
    summary = json.loads(described["output"])
    assert (summary["delivered"], summary["skipped"], summary["failed"]) == (3, 1, 0)
    # Per client: the costs (both periods in one request), the history (trend, month to date) and
    # the month's forecast; no change passes the thresholds, so no usage-type request for the why.
    assert summary["ce_requests"] == 3 * 3

    records = aws.run_records("weekly-all")
    assert {cid: r["status"] for cid, r in records.items()} == {
        "alpha": "completed", "bravo": "completed", "charlie": "completed", "paused": "skipped"}
    assert records["paused"]["reason"] == "status is PAUSED"

    emails = _emails_by_client(aws)
    assert sorted(emails) == ["alpha", "bravo", "charlie"]
    accounts = {c["client_id"]: set(c["accounts"]) for c in CLIENTS}
    for client_id, messages in emails.items():
        assert len(messages) == 1
        message = messages[0]
        assert str(message["To"]) == f"finops@{client_id}.example"
        html = message.get_body(preferencelist=("html",)).get_content()
        csv_text = next(message.iter_attachments()).get_content()
        for other, other_accounts in accounts.items():
            for account in other_accounts:
                present = account in html or account in csv_text
                assert present == (other == client_id), (client_id, account)


def test_broken_config_is_recorded_and_the_others_are_delivered(local_aws):
    broken = client_config("broken", ["555555555555"], recipients=["not-an-email"])
    aws = local_aws(clients=[*CLIENTS, broken, "{not json"])
    described = aws.run(WEEKLY, name="weekly-broken")
    assert described["status"] == "SUCCEEDED"
    records = aws.run_records("weekly-broken")
    assert records["broken"]["status"] == "failed"
    assert records["broken"]["category"] == "configuration"
    assert "recipients[0]" in records["broken"]["reason"]
    # An entry without a usable client_id is named by its position in the list.
    assert records["entry[5]"]["status"] == "failed" and "invalid client config" in records["entry[5]"]["reason"]
    assert sorted(_emails_by_client(aws)) == ["alpha", "bravo", "charlie"]


def test_throttling_twice_is_retried_inside_the_child_and_visible_in_our_logs(local_aws):
    """ProcessClients is a Distributed Map: each client's retries happen in its child execution,
    whose history moto does not expose (AWS shows it under the Map Run). Our stage logs show them."""
    import io
    import logging

    from chalicelib.core.observability import logger

    aws = local_aws()
    aws.cost_explorer.fail_next(2, code="LimitExceededException")
    # The JSON lines exactly as CloudWatch gets them (formatted on the stage's own thread).
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logger().registered_formatter)
    logger().addHandler(handler)
    try:
        described = aws.run({**WEEKLY, "client_id": "alpha"}, name="weekly-throttled")
    finally:
        logger().removeHandler(handler)
    assert described["status"] == "SUCCEEDED"
    assert aws.run_records("weekly-throttled")["alpha"]["status"] == "completed"
    logged = [json.loads(line) for line in stream.getvalue().splitlines()]
    failed = [(entry["stage"], entry["client_id"], entry["error"]) for entry in logged if entry.get("message") == "stage failed"]
    assert failed == [("collect", "alpha", "ThrottlingError")] * 2
    assert aws.cost_explorer.requests == 2 + 3  # the two throttled calls, then costs, history and forecast
    assert aws.engine_events.task_retries == 2  # the engine retried the task; nothing in Python looped
    assert len(aws.outbox.sent) == 1


def test_a_permanent_failure_is_caught_with_its_category(local_aws):
    aws = local_aws()
    aws.cost_explorer.fail_next(1, code="AccessDeniedException", message="not authorized to perform ce:GetCostAndUsage")
    described = aws.run({**WEEKLY, "client_id": "bravo"}, name="weekly-denied")
    assert described["status"] == "SUCCEEDED"
    summary = json.loads(described["output"])
    assert summary["failed"] == 1 and summary["failures"][0]["category"] == "authorization"
    record = aws.run_records("weekly-denied")["bravo"]
    assert record["error"] == "AuthorizationError" and "ce:GetCostAndUsage" in record["reason"]
    assert "ExternalId" in record["recommended_action"]
    assert aws.outbox.sent == []


def test_manual_one_client_run_touches_only_that_client(local_aws):
    aws = local_aws()
    described = aws.run({**WEEKLY, "client_id": "charlie"})
    assert described["status"] == "SUCCEEDED"
    assert [s["client_id"] for s in aws.outbox.sent] == ["charlie"]
    assert json.loads(described["output"])["clients_total"] == 1


def test_invalid_input_fails_the_execution_naming_the_field(local_aws):
    aws = local_aws()
    described = aws.run({"report_type": "fortnightly"})
    assert described["status"] == "FAILED"
    assert described["error"] == "DataValidationError"
    assert "report_type" in described["cause"]
    assert aws.outbox.sent == []


def test_unknown_client_id_fails_the_execution_with_a_configuration_error(local_aws):
    aws = local_aws()
    described = aws.run({**WEEKLY, "client_id": "nobody"})
    assert (described["status"], described["error"]) == ("FAILED", "ConfigurationError")
    assert "nobody" in described["cause"]


def test_rerun_of_the_same_input_sends_nothing_and_force_sends_once(local_aws):
    aws = local_aws()
    assert aws.run(WEEKLY, name="first")["status"] == "SUCCEEDED"
    assert len(aws.outbox.sent) == 3

    rerun = json.loads(aws.run(WEEKLY, name="console-rerun")["output"])
    assert len(aws.outbox.sent) == 3
    assert (rerun["delivered"], rerun["skipped"]) == (0, 4)
    assert "already delivered" in aws.run_records("console-rerun")["alpha"]["reason"]

    forced = json.loads(aws.run({**WEEKLY, "client_id": "alpha", "force": True}, name="forced")["output"])
    assert forced["delivered"] == 1
    assert [s["client_id"] for s in aws.outbox.sent].count("alpha") == 2


def test_duplicate_scheduled_trigger_starts_one_run(local_aws):
    aws = local_aws()
    from app import app

    with Client(app) as chalice_client:
        event = chalice_client.events.generate_cw_event(
            source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
        )
        event["time"] = "2026-11-16T09:00:00Z"  # a Monday: the week of Nov 9-15
        first = app.handler_map["weekly_trigger"](event, None)
        # While the run is going, AWS answers a same-name same-input start with the same execution.
        second = app.handler_map["weekly_trigger"](event, None)
        assert first["status"] == "started" and first["execution_name"] == "scheduled-weekly-2026-11-09"
        assert second["execution_name"] == first["execution_name"]
        assert aws.wait(first["execution_arn"])["status"] == "SUCCEEDED"
        # An async-invoke retry after the run closed is refused by name: still one run.
        third = app.handler_map["weekly_trigger"](event, None)
    assert third == {"status": "already_started", "execution_name": "scheduled-weekly-2026-11-09"}
    executions = aws.sfn.list_executions(stateMachineArn=aws.state_machine_arn)["executions"]
    assert [e["name"] for e in executions] == ["scheduled-weekly-2026-11-09"]
    assert len(aws.outbox.sent) == 3

"""Budget check entry points through chalice.test.Client on the in-process AWS: the daily trigger,
input validation, a manual one-client run, a client whose forecast Cost Explorer cannot make, and
one without any cost data (a problem for the operator alert)."""

from __future__ import annotations

import json
from datetime import date

import pytest
from chalice.test import Client

from tests.factories import client_config as client, cost_rows

ROWS = cost_rows(["111111111111", "222222222222"], start=date(2026, 10, 1), end=date(2026, 11, 20))
# "young" has 4 days of history only: GetCostForecast answers DataUnavailableException for it.
ROWS += cost_rows(["555555555555"], start=date(2026, 11, 16), end=date(2026, 11, 20))


@pytest.fixture
def aws(local_aws):
    return local_aws(clients=[
        client("alpha", ["111111111111"], budgets={"monthly": 100}),
        client("bravo", ["222222222222"], budgets={"monthly": 10**9}),
        client("young", ["555555555555"], budgets={"monthly": 1}),
        client("nobudget", ["666666666666"]),
    ], rows=ROWS)


def test_daily_trigger_names_the_execution_after_the_day_and_starts_it_once(aws):
    with Client(aws.app) as chalice_client:
        event = chalice_client.events.generate_cw_event(source="aws.events", detail_type="Scheduled Event", detail={},
                                                       resources=[])
        event["time"] = "2026-11-20T06:30:00Z"
        first = chalice_client.lambda_.invoke("budget_trigger", event).payload
        again = chalice_client.lambda_.invoke("budget_trigger", event).payload  # EventBridge/Lambda retry
    assert first["status"] == "started" and first["execution_name"] == "scheduled-budget-2026-11-20"
    # AWS answers a repeat of a running execution's name and input with the same execution; after it
    # closed, with ExecutionAlreadyExists: either way one execution per day.
    assert again["execution_name"] == first["execution_name"]
    assert again.get("execution_arn", first["execution_arn"]) == first["execution_arn"]
    described = aws.wait(first["execution_arn"])
    with Client(aws.app) as chalice_client:
        late = chalice_client.lambda_.invoke("budget_trigger", event).payload
    assert late == {"status": "already_started", "execution_name": "scheduled-budget-2026-11-20"}
    assert len(aws.sfn.list_executions(stateMachineArn=aws.notify.budget_state_machine_arn)["executions"]) == 1
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["input"]) == {"as_of": "2026-11-20"}


def test_invalid_input_fails_the_execution_naming_the_field(aws):
    described = aws.wait(aws.notify.start_budget_check({"as_of": "20/11/2026"}, "bad-input"))
    assert described["status"] == "FAILED" and described["error"] == "DataValidationError"
    assert "as_of" in described["cause"]


def test_manual_run_for_one_client_and_forecast_unavailable_keeps_actual_thresholds(aws):
    summary = json.loads(aws.wait(aws.notify.start_budget_check({"as_of": "2026-11-20", "client_id": "young"}, "one"))["output"])
    assert [c["client_id"] for c in summary["clients"]] == ["young"]
    (young,) = summary["clients"]
    assert young["status"] == "checked" and [c.split(":")[1] for c in young["crossed"]] == ["actual-80"]
    aws.notify.drain()
    (email,) = [m for m in aws.outbox.notifications if m["client_id"] == "young"]
    text = email["raw"].decode("utf-8", "replace")
    assert "no forecast" in text and "DataUnavailableException" in text


def test_all_clients_default_as_of_and_skips_named(aws):
    summary = json.loads(aws.wait(aws.notify.start_budget_check({"as_of": "2026-11-20"}, "all"))["output"])
    by_id = {c["client_id"]: c for c in summary["clients"]}
    assert by_id["nobudget"]["status"] == "skipped" and "budget" in by_id["nobudget"]["reason"]
    assert by_id["bravo"]["crossed"] == [] and by_id["alpha"]["crossed"]
    assert summary["ce_requests"] == 2 * 3  # one GetCostAndUsage and one GetCostForecast per checked client


def test_a_client_without_any_cost_data_is_a_problem_named_in_the_operator_alert(local_aws):
    aws = local_aws(clients=[
        client("alpha", ["111111111111"], budgets={"monthly": 10**6}),
        client("ghost", ["888888888881", "888888888882"], budgets=[{"amount": 100, "period": "weekly"}]),
        # Rows until October only: the new month has none yet, the weeks before have: not a problem.
        client("late", ["999999999991"], budgets={"monthly": 10**6}),
    ], rows=ROWS + cost_rows(["999999999991"], start=date(2026, 10, 1), end=date(2026, 11, 1)))
    described = aws.wait(aws.notify.start_budget_check({"as_of": "2026-11-02"}, "no-data"))
    assert described["status"] == "SUCCEEDED", described
    summary = json.loads(described["output"])
    by_id = {c["client_id"]: c for c in summary["clients"]}
    ghost = by_id.pop("ghost")
    assert ghost["status"] == "skipped" and ghost["category"] == "no_data" and ghost["problem"] is True
    # The weekly period checked (Oct 26 - Nov 1) had no row, nor the 31 days before the check.
    assert ghost["reason"].startswith("no cost data for 888888888881, 888888888882 from 2026-10-02 to 2026-11-01"), ghost
    assert {cid: (c["status"], c["problem"]) for cid, c in by_id.items()} == {"alpha": ("checked", False),
                                                                             "late": ("checked", False)}
    assert (summary["problems"], summary["status"]) == (1, "completed_with_problems")
    assert summary["alert_notification_id"].startswith("operator-")

    aws.notify.drain()  # the operator alert travels through the notification queue to the operator topic
    (alert,) = [p for p in aws.notify.published if p["TopicArn"] == aws.alert_topic_arn]
    message = alert["Message"]
    assert "1 client(s) whose budgets were not checked" in message
    assert "[skipped, budgets not checked] 1 client(s)" in message
    assert "- ghost: no cost data for 888888888881, 888888888882 from 2026-10-02 to 2026-11-01" in message
    assert "- alpha:" not in message and "- late:" not in message

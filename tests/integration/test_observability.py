"""Operator alert (SNS, through the notification queue) on failures and EMF metrics with the report type as dimension."""

from __future__ import annotations

import json

from tests.factories import AS_OF, CLIENTS

WEEKLY = {"report_type": "weekly", "as_of": AS_OF.isoformat()}


def _subscribe_queue(aws):
    sqs = aws.session.client("sqs")
    queue_url = sqs.create_queue(QueueName="operator-inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    aws.session.client("sns").subscribe(TopicArn=aws.alert_topic_arn, Protocol="sqs", Endpoint=queue_arn,
                                        Attributes={"RawMessageDelivery": "true"})
    return sqs, queue_url


def test_a_run_with_failures_alerts_operators_with_category_and_action(local_aws):
    aws = local_aws()
    sqs, queue_url = _subscribe_queue(aws)
    aws.cost_explorer.fail_next(1, code="AccessDeniedException", message="no access")
    described = aws.run({**WEEKLY, "client_id": "alpha"}, name="alerting")
    summary = json.loads(described["output"])
    assert summary["failed"] == 1 and summary["alert_notification_id"].startswith("operator-")
    assert aws.notify.drain()["failed"] == 0  # the alert travels through the notification queue
    [message] = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    body = message["Body"]
    assert "[authorization] 1 client(s)" in body and "ExternalId" in body and "alpha" in body
    assert "finops@alpha.example" not in body  # no recipient addresses in operator alerts


def test_a_clean_run_sends_no_alert(local_aws):
    aws = local_aws()
    sqs, queue_url = _subscribe_queue(aws)
    summary = json.loads(aws.run(WEEKLY, name="clean")["output"])
    assert summary["failed"] == 0 and summary["alert_notification_id"] is None
    aws.notify.drain()
    assert sqs.receive_message(QueueUrl=queue_url).get("Messages", []) == []


def test_emf_metrics_per_report_type(local_aws, capfd):
    # One branch at a time: EMF documents from concurrent threads could interleave on stdout.
    aws = local_aws(env_overrides={"POWERTOOLS_METRICS_DISABLED": "false"}, max_concurrency=1)
    capfd.readouterr()
    aws.run(WEEKLY, name="metrics")
    totals = _metric_totals(capfd.readouterr().out)
    active = sum(c["status"] == "ACTIVE" for c in CLIENTS)
    assert totals == {"ExecutionStarted": 1, "ReportsGenerated": active, "EmailsSent": active,
                      "ClientsProcessed": len(CLIENTS), "ClientsWithProblems": 0, "ExecutionSucceeded": 1}


def _metric_totals(output: str) -> dict[str, float]:
    totals: dict[str, float] = {}
    for line in output.splitlines():
        if '"_aws"' in line:
            document = json.loads(line)
            assert document["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "CostReporter"
            assert document["ReportType"] == "weekly"
            for metric in document["_aws"]["CloudWatchMetrics"][0]["Metrics"]:
                value = document[metric["Name"]]
                totals[metric["Name"]] = totals.get(metric["Name"], 0) + (sum(value) if isinstance(value, list) else value)
    return totals


def test_emails_sent_counts_a_send_once_when_its_response_is_lost_and_retried(local_aws, capfd):
    aws = local_aws(env_overrides={"POWERTOOLS_METRICS_DISABLED": "false"}, max_concurrency=1)
    lost = type("Lambda.ServiceException", (Exception,), {})  # retried by the ASL: deliver replays
    seen: set[str] = set()

    def lose_first_response(name, event, result):
        if name == "deliver_report" and event["client_id"] not in seen:
            seen.add(event["client_id"])
            raise lost("response lost after the send")

    aws.bridge.after_hook = lose_first_response
    capfd.readouterr()
    assert aws.run(WEEKLY, name="replayed")["status"] == "SUCCEEDED"
    active = sum(c["status"] == "ACTIVE" for c in CLIENTS)
    assert len(aws.outbox.sent) == active
    assert _metric_totals(capfd.readouterr().out)["EmailsSent"] == active

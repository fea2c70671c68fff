"""When a report is due (the period ledger), and every skip that is a problem reaches the operator."""

from __future__ import annotations

import json

import pytest

from tests.factories import client_config as client, cost_rows

ALPHA = client("alpha", ["111111111111", "111111111112"])
PAUSED = client("paused", ["444444444444"], status="PAUSED")
DAILY_ONLY = client("dailyonly", ["222222222222"], reports=["daily"])


def _summary(described: dict) -> dict:
    assert described["status"] == "SUCCEEDED", described
    return json.loads(described["output"])


def _statuses(aws, run_id: str) -> dict[str, str]:
    return {cid: r["status"] for cid, r in aws.run_records(run_id).items()}


def _alert_messages(aws) -> list[str]:
    """Everything published to the operator topic (an SQS queue subscribed to it)."""
    sqs = aws.session.client("sqs")
    if not hasattr(aws, "_alert_queue"):
        aws._alert_queue = sqs.create_queue(QueueName="alerts")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=aws._alert_queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        aws.session.client("sns").subscribe(TopicArn=aws.alert_topic_arn, Protocol="sqs", Endpoint=arn,
                                            Attributes={"RawMessageDelivery": "true"})
        return []
    aws.notify.drain()  # the alert travels through the notification queue
    messages = sqs.receive_message(QueueUrl=aws._alert_queue, MaxNumberOfMessages=10).get("Messages", [])
    return [m["Body"] for m in messages]


def test_catching_up_two_missed_weeks_delivers_both(local_aws):
    aws = local_aws(clients=[ALPHA])
    first = _summary(aws.run({"report_type": "weekly", "as_of": "2026-11-09"}, name="catch-up-1"))
    second = _summary(aws.run({"report_type": "weekly", "as_of": "2026-11-16"}, name="catch-up-2"))
    assert (first["delivered"], second["delivered"]) == (1, 1)
    subjects = sorted(sent["subject"] for sent in aws.outbox.sent)
    assert len(subjects) == 2
    assert "2026-11-02 to 2026-11-08" in subjects[0] and "2026-11-09 to 2026-11-15" in subjects[1]


def test_a_forced_resend_never_blocks_the_next_period(local_aws):
    aws = local_aws(clients=[ALPHA])
    _summary(aws.run({"report_type": "daily", "as_of": "2026-11-10"}, name="d1"))
    forced = _summary(aws.run({"report_type": "daily", "as_of": "2026-11-10", "force": True}, name="d1-forced"))
    assert forced["delivered"] == 1
    following = _summary(aws.run({"report_type": "daily", "as_of": "2026-11-11"}, name="d2"))
    assert following["delivered"] == 1
    assert len(aws.outbox.sent) == 3


def test_min_interval_only_limits_forced_resends_of_the_same_period(local_aws):
    aws = local_aws(clients=[{**ALPHA, "min_interval_hours": {"weekly": 24}}])
    _summary(aws.run({"report_type": "weekly", "as_of": "2026-11-09"}, name="w1"))
    forced = _summary(aws.run({"report_type": "weekly", "as_of": "2026-11-09", "force": True}, name="w1-forced"))
    assert forced["delivered"] == 0 and forced["skipped"] == 1
    reason = aws.run_records("w1-forced")["alpha"]["reason"]
    assert "already delivered" in reason and "min_interval_hours" in reason
    assert _summary(aws.run({"report_type": "weekly", "as_of": "2026-11-16"}, name="w2"))["delivered"] == 1


def test_benign_skips_raise_no_alert_and_problem_skips_are_listed_with_their_reason(local_aws):
    nodata = client("nodata", ["999999999998", "999999999999"])
    aws = local_aws(clients=[ALPHA, PAUSED, DAILY_ONLY, nodata], rows=cost_rows(ALPHA["accounts"]))
    _alert_messages(aws)
    run = {"report_type": "weekly", "as_of": "2026-11-18"}
    summary = _summary(aws.run(run, name="w-problems"))
    assert _statuses(aws, "w-problems") == {"alpha": "completed", "paused": "skipped", "dailyonly": "skipped",
                                             "nodata": "skipped"}
    reason = aws.run_records("w-problems")["nodata"]["reason"]
    assert reason.startswith("no cost data for 999999999998, 999999999999 from 2026-11-02 to 2026-11-15"), reason
    assert summary["problems"] == 1
    alerts = _alert_messages(aws)
    assert len(alerts) == 1
    assert "nodata" in alerts[0] and "no cost data for 999999999998" in alerts[0]
    assert "paused" not in alerts[0] and "dailyonly" not in alerts[0]
    assert [s["client_id"] for s in aws.outbox.sent] == ["alpha"]

    # A rerun skips alpha as already delivered: benign, no alert for it (nodata is still a problem).
    _summary(aws.run(run, name="w-rerun"))
    rerun_alerts = _alert_messages(aws)
    assert len(rerun_alerts) == 1 and "alpha" not in rerun_alerts[0].split("skipped.")[-1]


def test_no_alert_when_every_skip_is_benign(local_aws):
    aws = local_aws(clients=[ALPHA, PAUSED])
    _alert_messages(aws)
    summary = _summary(aws.run({"report_type": "weekly", "as_of": "2026-11-18"}, name="w-ok"))
    assert summary["problems"] == 0 and summary["alert_notification_id"] is None
    assert _alert_messages(aws) == []


@pytest.mark.parametrize("as_of", ["2999-01-01", "9999-12-31"])
def test_as_of_later_than_tomorrow_is_refused_naming_as_of(local_aws, as_of):
    aws = local_aws(clients=[ALPHA])
    described = aws.run({"report_type": "weekly", "as_of": as_of}, name=f"future-{as_of[:4]}")
    assert described["status"] == "FAILED"
    assert described["error"] == "DataValidationError"
    assert "as_of" in described["cause"] and "tomorrow" in described["cause"]
    assert aws.outbox.sent == []


@pytest.mark.parametrize(("as_of", "rows"), [("1970-01-05", None), ("2026-11-18", [])])
def test_no_cost_data_sends_nothing_and_records_a_skip(local_aws, as_of, rows):
    aws = local_aws(clients=[ALPHA], rows=rows)
    summary = _summary(aws.run({"report_type": "weekly", "as_of": as_of}, name="nodata"))
    assert (summary["delivered"], summary["skipped"], summary["problems"]) == (0, 1, 1)
    assert aws.run_records("nodata")["alpha"]["reason"].startswith("no cost data for 111111111111, 111111111112")
    assert aws.outbox.sent == []
    # ... and nothing was written to the ledger: the real report is still sent once data exists.
    assert not [k for k in aws.ledger_items() if k[0] == "DELIVERY#alpha"]


def test_send_empty_reports_opts_in_to_a_zero_report(local_aws):
    aws = local_aws(clients=[{**ALPHA, "send_empty_reports": True}], rows=[])
    summary = _summary(aws.run({"report_type": "weekly", "as_of": "2026-11-18"}, name="empty-ok"))
    assert summary["delivered"] == 1 and len(aws.outbox.sent) == 1

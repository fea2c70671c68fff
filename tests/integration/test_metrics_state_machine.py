"""Run metrics end to end on the local engine: report runs emit events, the SQS poller applies them,
and statemachines/aggregate_summaries.asl.json (scheduled, manual, backfill) writes the summaries."""

from __future__ import annotations

import json
import os
from datetime import date, timedelta
from typing import Any

import pytest

from chalicelib.core.constants import ENV_AGGREGATION_STATE_MACHINE_ARN, ENV_SUMMARY_TOPIC_ARN
from chalicelib.metrics.calendar import scheduled_periods
from local.aws.lambda_bridge import FakeLambdaContext
from local.cli.summaries import read_summaries
from tests.factories import AS_OF

WEEKLY = {"report_type": "weekly", "as_of": AS_OF.isoformat()}


@pytest.fixture
def aws(local_aws):
    aws = local_aws()
    sqs, sns = aws.session.client("sqs"), aws.session.client("sns")
    inbox = sqs.create_queue(QueueName="summaries-inbox")["QueueUrl"]
    inbox_arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=os.environ[ENV_SUMMARY_TOPIC_ARN], Protocol="sqs", Endpoint=inbox_arn,
                  Attributes={"RawMessageDelivery": "true"})
    aws.published = lambda: [json.loads(m["Body"]) for m in  # type: ignore[attr-defined]
                             sqs.receive_message(QueueUrl=inbox, MaxNumberOfMessages=10).get("Messages", [])]
    return aws


def _aggregate(aws: Any, run_input: dict[str, Any], name: str) -> dict[str, Any]:
    arn = aws.sfn.start_execution(stateMachineArn=os.environ[ENV_AGGREGATION_STATE_MACHINE_ARN], name=name,
                                  input=json.dumps(run_input))["executionArn"]
    return aws.wait(arn, timeout=300)


def _report_run(aws: Any, run_input: dict[str, Any] = WEEKLY) -> date:
    """One report execution, its metric events applied; returns its metric day (the run's as_of)."""
    described = aws.run(run_input)
    assert described["status"] == "SUCCEEDED", described
    aws.poller.drain(settle=True)
    return date.fromisoformat(run_input["as_of"])


def _by(views: list[dict[str, Any]], tenant: str, period_type: str) -> dict[str, Any]:
    (view,) = [v for v in views if v["tenant"] == tenant and v["period_type"] == period_type]
    return view


def test_the_schedule_summarizes_yesterday_once_and_every_outcome_counts_once(aws):
    day = _report_run(aws)  # alpha, bravo, charlie delivered; paused skipped by eligibility
    fired = f"{day + timedelta(days=1)}T02:00:00Z"
    trigger = aws.app.handler_map["aggregation_trigger"]
    event = {"version": "0", "id": "e1", "detail-type": "Scheduled Event", "source": "aws.events",
             "account": "123456789012", "time": fired, "region": "us-east-1", "resources": [], "detail": {}}
    started = trigger(event, FakeLambdaContext("aggregation_trigger"))
    assert started["execution_name"] == f"aggregate-{day + timedelta(days=1)}"
    described = aws.wait(started["execution_arn"], timeout=300)
    assert described["status"] == "SUCCEEDED", described
    assert trigger(event, FakeLambdaContext("aggregation_trigger"))["status"] == "already_started"

    views = read_summaries("daily")
    deployment = _by(views, "*", "daily")
    # record_result and summarize_run both reported the delivered clients: counted once
    assert (deployment["period_start"], deployment["runs"], deployment["clients_delivered"],
            deployment["clients_skipped"], deployment["clients_failed"], deployment["emails_sent"]) == \
           (day.isoformat(), 1, 3, 1, 0, 3)
    # every Cost Explorer request the emulator answered for the run (costs, trend, forecast, why) counted once
    assert deployment["ce_requests"] == aws.cost_explorer.requests > 0 and deployment["spend_reported"] > 0
    assert deployment["client_duration"]["count"] == 3 and deployment["run_duration"]["count"] == 1
    alpha = _by(views, "alpha", "daily")
    assert (alpha["runs"], alpha["clients_delivered"], alpha["emails_sent"]) == (1, 1, 1)
    assert _by(views, "paused", "daily")["clients_skipped"] == 1
    (message,) = aws.published()
    # the execution started today (wall clock): tomorrow's run may also close a week, month or year
    periods = len(scheduled_periods(day + timedelta(days=1)))
    assert (message["run_id"], message["tenants"], message["tenants_failed"], message["summaries_written"]) == \
           (f"aggregate-{day + timedelta(days=1)}", 5, 0, 5 * periods)


def test_a_rerun_of_the_report_adds_a_run_of_skips_and_a_manual_aggregation_overwrites(aws):
    day = _report_run(aws)
    _report_run(aws)  # the same input again: every client already delivered, so skipped
    for name in ("manual-1", "manual-2"):
        described = _aggregate(aws, {"run_date": (day + timedelta(days=1)).isoformat()}, name)
        assert described["status"] == "SUCCEEDED", described
    deployment = _by(read_summaries("daily", "*"), "*", "daily")
    assert (deployment["runs"], deployment["clients_delivered"], deployment["clients_skipped"], deployment["emails_sent"]) == \
           (2, 3, 5, 3)
    assert deployment["computed_by"] == "manual-2"
    assert [m["run_id"] for m in aws.published()] == ["manual-1", "manual-2"]


def test_backfill_covers_every_period_of_the_range_and_bad_ranges_fail_naming_the_field(aws):
    day = _report_run(aws)
    described = _aggregate(aws, {"backfill": True, "start_date": (day - timedelta(days=2)).isoformat(),
                                 "end_date": day.isoformat()}, "backfill-ok")
    assert described["status"] == "SUCCEEDED", described
    output = json.loads(described["output"])
    assert output["periods"]["daily"] == 3 and output["periods"]["yearly"] >= 1
    views = read_summaries(client_id="*")
    assert {v["period_type"] for v in views} == {"daily", "weekly", "monthly", "yearly"}
    assert _by(views, "*", "yearly")["runs"] == 1 and _by(views, "*", "monthly")["clients_delivered"] == 3

    for run_input, field in [
        ({"backfill": True, "start_date": "2026-03-02", "end_date": "2026-03-01"}, "end_date"),
        ({"backfill": True, "start_date": "2025-01-01", "end_date": "2026-03-01"}, "end_date"),
        ({"backfill": True, "end_date": "2026-03-01"}, "start_date"),
    ]:
        failed = _aggregate(aws, run_input, f"backfill-bad-{field}-{len(run_input)}-{run_input.get('start_date', 'x')}")
        assert failed["status"] == "FAILED" and failed["error"] == "DataValidationError"
        assert field in failed["cause"]


def test_a_failing_tenant_is_recorded_and_the_others_of_its_batch_go_on(aws, monkeypatch):
    """All five tenants are one batch (one child execution): bravo's own failure is recorded for
    bravo alone, with its category, and the batch writes the other tenants' summaries."""
    from chalicelib.core.errors import ConfigurationError
    from chalicelib.metrics import store

    day = _report_run(aws)
    day_tallies = store.day_tallies

    def fail_bravo(tenant: str, *span: Any) -> Any:
        if tenant == "bravo":
            raise ConfigurationError("bravo: injected for the test")
        return day_tallies(tenant, *span)

    monkeypatch.setattr(store, "day_tallies", fail_bravo)
    described = _aggregate(aws, {"run_date": (day + timedelta(days=1)).isoformat()}, "with-a-failure")
    assert described["status"] == "SUCCEEDED", described
    output = json.loads(described["output"])
    periods = len(scheduled_periods(day + timedelta(days=1)))
    assert (output["tenants"], output["tenants_failed"], output["tenants_missing"], output["summaries_written"]) == \
           (5, 1, 0, 4 * periods)
    (failed,) = output["failed_tenants"]
    assert (failed["tenant"], failed["category"], failed["error"]) == ("bravo", "configuration", "ConfigurationError")
    assert failed["reason"] == "bravo: injected for the test"
    assert sorted({v["tenant"] for v in read_summaries("daily")}) == ["*", "alpha", "charlie", "paused"]


def test_a_batch_that_fails_after_its_retries_records_each_of_its_tenants(aws):
    """The batch's Lambda itself fails (an error the ASL does not retry): the Catch records every
    tenant of the batch as failed, with the error's category, and the execution still succeeds."""
    from chalicelib.core.errors import ConfigurationError

    day = _report_run(aws)

    def fail_batch(name: str, event: Any) -> None:
        if name == "aggregate_tenants":
            raise ConfigurationError("the batch: injected for the test")

    aws.bridge.fault_hook = fail_batch
    described = _aggregate(aws, {"run_date": (day + timedelta(days=1)).isoformat()}, "a-batch-fails")
    aws.bridge.fault_hook = None
    assert described["status"] == "SUCCEEDED", described
    output = json.loads(described["output"])
    assert (output["tenants"], output["tenants_failed"], output["tenants_missing"], output["summaries_written"]) == \
           (5, 5, 0, 0)
    assert sorted(f["tenant"] for f in output["failed_tenants"]) == ["*", "alpha", "bravo", "charlie", "paused"]
    assert {(f["category"], f["reason"]) for f in output["failed_tenants"]} == \
           {("configuration", "the batch: injected for the test")}


def test_each_outcome_is_emitted_once_and_the_map_history_does_not_grow_with_tenants(aws):
    """Through the report machine and the aggregation machine: one metric event per client outcome
    plus the run's end (not one from record_result and another from summarize_run), and the
    aggregation's own history holds no per-tenant Task events (a Distributed Map: each batch of
    tenants is a child execution with its own history)."""
    day = _report_run(aws)  # alpha, bravo, charlie delivered; paused skipped by eligibility
    received = [d for d in aws.poller.deliveries if d.function == "apply_metric_events"]
    assert sum(len(d.message_ids) for d in received) == 4 + 1
    described = _aggregate(aws, {"run_date": (day + timedelta(days=1)).isoformat()}, "history-check")
    assert described["status"] == "SUCCEEDED", described
    events = aws.sfn.get_execution_history(executionArn=described["executionArn"], maxResults=1000)["events"]
    scheduled = [e for e in events if e["type"] in ("TaskScheduled", "LambdaFunctionScheduled")]
    assert len(scheduled) == 2, [e["type"] for e in events]  # PlanAggregation and PublishSummaries only
    assert any(e["type"] == "MapRunStarted" for e in events)
    assert json.loads(described["output"])["tenants"] == 5


def test_the_local_run_reads_the_summaries_from_the_in_process_table_as_a_query_per_tenant_does(aws):
    """summaries.json of `python -m local run` comes from one pass over the in-process table: the
    same views, in the same order, as read by key (the tenant index, then a Query per tenant)."""
    from local.cli.run import _stored_summaries

    day = _report_run(aws)
    described = _aggregate(aws, {"backfill": True, "start_date": day.isoformat(), "end_date": day.isoformat()}, "local-read")
    assert described["status"] == "SUCCEEDED", described
    by_key = read_summaries()
    assert len(by_key) == 5 * 4  # five tenants; the day, its week, month and year
    assert _stored_summaries(aws) == by_key

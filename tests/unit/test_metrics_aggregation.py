"""Aggregation stages on moto DynamoDB/SNS: summaries from day buckets, reruns, backfill, the message."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from bench.metrics_data import seed
from chalicelib.core.errors import DataValidationError
from chalicelib.core.observability import run_stage
from chalicelib.metrics import store, trigger
from chalicelib.metrics.aggregation import summary_view
from chalicelib.metrics.blueprint import STAGES
from tests.metrics_support import project_table, run_events, sample_runs

TOPIC_ENV = {"SUMMARY_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:cost-reporter-summaries"}


@pytest.fixture
def aws_env():
    import boto3

    with project_table(TOPIC_ENV) as table:
        sns, sqs = boto3.client("sns"), boto3.client("sqs")
        topic = sns.create_topic(Name="cost-reporter-summaries")["TopicArn"]
        assert topic == TOPIC_ENV["SUMMARY_TOPIC_ARN"]
        queue = sqs.create_queue(QueueName="summaries-inbox")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes={"RawMessageDelivery": "true"})

        def published() -> list[dict]:
            messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
            return [json.loads(m["Body"]) for m in messages]

        yield table, published


def stage(name: str, event: dict) -> dict:
    """A stage as its Lambda runs it (typed input parsed, result dumped to JSON)."""
    return run_stage(STAGES[name], event)


def aggregate(run_input: dict, name: str, started_at: str = "2026-11-19T02:00:00Z") -> dict:
    """The state machine's path, stage by stage (the ASL itself runs in test_metrics_state_machine)."""
    plan = stage("plan_aggregation", {"input": run_input, "execution_name": name, "started_at": started_at})
    for tenants in store.planned_batches(name):  # the Distributed Map's ItemReader reads this object
        stage("aggregate_tenants", {"run": plan["run"], "tenants": tenants})
    return stage("publish_summaries", {"run": plan["run"], "tenants_planned": plan["tenants_planned"]})


def _views(tenant: str, period_type: str | None = None) -> dict[str, dict]:
    return {view["period_start"]: view for view in map(summary_view, store.summaries(tenant, period_type))}


def test_the_daily_run_summarizes_yesterday_per_client_and_for_the_deployment(aws_env):
    _, published = aws_env
    for event in sample_runs():
        store.apply_event(event)
    output = aggregate({}, "aggregate-2026-11-19")  # started 2026-11-19 02:00: yesterday is Nov 18
    deployment = _views("*", "daily")["2026-11-18"]
    assert {k: deployment[k] for k in ("runs", "clients_delivered", "clients_skipped", "clients_failed", "emails_sent",
                                       "ce_requests", "spend_reported")} == {
        "runs": 3, "clients_delivered": 3, "clients_skipped": 2, "clients_failed": 2, "emails_sent": 3,
        "ce_requests": 7, "spend_reported": 210.75}
    assert deployment["failed_by_category"] == {"authorization": 1, "throttling": 1}
    assert deployment["run_duration"]["max_seconds"] == 3600 and deployment["run_duration"]["count"] == 3
    assert deployment["client_duration"]["p50_seconds"] == 5  # 6 clients: 0.2, 1.5, 3, 40, 95, 700 s
    alpha = _views("alpha", "daily")["2026-11-18"]
    assert (alpha["runs"], alpha["clients_delivered"], alpha["clients_skipped"], alpha["clients_failed"]) == (3, 1, 1, 1)
    assert sorted(store.summary_tenants()) == ["*", "alpha", "bravo", "charlie", "paused"]
    (message,) = published()
    assert message == {k: v for k, v in output.items() if k != "message_id"}
    assert (message["run_date"], message["periods"], message["tenants"], message["tenants_failed"],
            message["summaries_written"]) == ("2026-11-19", {"daily": 1, "weekly": 0, "monthly": 0, "yearly": 0}, 5, 0, 5)
    assert message["deployment"][0]["runs"] == 3 and "client_duration" not in message["deployment"][0]


def test_a_rerun_overwrites_and_the_publish_is_once_per_run(aws_env):
    _table, published = aws_env
    for event in sample_runs():
        store.apply_event(event)
    aggregate({"run_date": "2026-11-19"}, "manual-1")
    first = _views("*")
    retried = stage("publish_summaries", {"run": stage("plan_aggregation", {
        "input": {"run_date": "2026-11-19"}, "execution_name": "manual-1", "started_at": "2026-11-19T02:00:00Z"})["run"],
        "tenants_planned": 5})
    aggregate({"run_date": "2026-11-19"}, "manual-2")
    second = _views("*")
    assert list(first) == list(second) == ["2026-11-18"]
    assert {k: v for k, v in first["2026-11-18"].items() if k != "computed_by"} == \
           {k: v for k, v in second["2026-11-18"].items() if k != "computed_by"}
    assert second["2026-11-18"]["computed_by"] == "manual-2"
    # two runs published once each; the Retry of manual-1's publish replayed its message id
    assert [m["run_id"] for m in published()] == ["manual-1", "manual-2"]
    assert retried["run_id"] == "manual-1"


def _year_of_events() -> list:
    """One run a day through 2026 for two clients; on the 10th of each month client beta fails."""
    events = []
    day = datetime(2026, 1, 1, 8, tzinfo=UTC)
    while day.year == 2026:
        beta_failed = day.day == 10
        events += run_events(f"run-{day:%Y%m%d}", day, [
            {"client_id": "alpha", "status": "completed", "ce_requests": 1, "spend_reported": Decimal("1.25"), "seconds": 2},
            {"client_id": "beta", "status": "failed" if beta_failed else "completed",
             "category": "network" if beta_failed else None, "ce_requests": 1,
             "spend_reported": Decimal(0) if beta_failed else Decimal("2.5"), "seconds": 30},
        ], report_type="daily", run_seconds=60)
        day += timedelta(days=1)
    return events


def test_backfill_of_a_year_then_the_new_year_run_builds_the_year_from_months(aws_env):
    table, published = aws_env
    seed(table, _year_of_events())  # the buckets apply_event leaves (test_metrics_apply checks they match)
    out = aggregate({"backfill": True, "start_date": "2026-01-01", "end_date": "2026-12-31"}, "backfill-2026")
    assert out["periods"] == {"daily": 365, "weekly": 53, "monthly": 12, "yearly": 1}
    monthly = _views("*", "monthly")
    assert [monthly[m]["runs"] for m in sorted(monthly)] == [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    year = _views("*", "yearly")["2026-01-01"]
    assert (year["runs"], year["clients_delivered"], year["clients_failed"], year["emails_sent"]) == (365, 718, 12, 718)
    assert year["spend_reported"] == 365 * 1.25 + 353 * 2.5 and year["failed_by_category"] == {"network": 12}
    client_duration = year["client_duration"]
    assert (client_duration["p50_seconds"], client_duration["max_seconds"], year["run_duration"]["count"]) == (2, 30, 365)
    # weeks from days: the week of Mon Dec 28 2026 runs into 2027 and holds 4 days
    assert _views("*", "weekly")["2026-12-28"]["runs"] == 4
    beta_year = _views("beta", "yearly")["2026-01-01"]
    assert (beta_year["clients_delivered"], beta_year["clients_failed"]) == (353, 12)

    new_year = aggregate({}, "aggregate-2027-01-01", started_at="2027-01-01T02:00:00Z")
    assert new_year["periods"] == {"daily": 1, "weekly": 0, "monthly": 1, "yearly": 1}
    assert _views("*", "yearly")["2026-01-01"]["runs"] == 365
    assert _views("*", "yearly")["2026-01-01"]["computed_by"] == "aggregate-2027-01-01"
    assert len(published()) == 2


@pytest.mark.parametrize("run_input, named", [
    ({"backfill": True, "start_date": "2026-03-02", "end_date": "2026-03-01"}, "end_date: 2026-03-01 is before start_date"),
    ({"backfill": True, "start_date": "2025-01-01", "end_date": "2026-06-30"},
     "end_date: the range covers 546 days, at most 366"),
    ({"backfill": True, "end_date": "2026-06-30"}, "start_date: field required for a backfill"),
    ({"backfill": True, "start_date": "2026-13-01", "end_date": "2026-06-30"}, "start_date: "),
    ({"backfil": True}, "backfil: unknown field"),
    (["not", "an", "object"], "input: the execution input must be a JSON object"),
])
def test_invalid_input_fails_the_plan_naming_the_field(aws_env, run_input, named):
    with pytest.raises(DataValidationError, match=named):
        stage("plan_aggregation", {"input": run_input, "execution_name": "bad", "started_at": "2026-11-19T02:00:00Z"})


def test_a_day_without_runs_still_gets_a_deployment_summary(aws_env):
    out = aggregate({}, "aggregate-2026-11-19")
    assert _views("*", "daily")["2026-11-18"]["runs"] == 0
    assert (out["tenants"], out["summaries_written"]) == (1, 1)


def test_the_scheduled_trigger_names_the_execution_after_the_event_day(aws_env):
    import boto3

    sfn = boto3.client("stepfunctions")
    definition = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    arn = sfn.create_state_machine(name="aggregate", roleArn="arn:aws:iam::123456789012:role/x",
                                   definition=definition)["stateMachineArn"]
    with pytest.MonkeyPatch.context() as env:
        env.setenv("AGGREGATION_STATE_MACHINE_ARN", arn)
        from tests.metrics_support import reset_caches

        reset_caches()
        first = trigger.start_scheduled_aggregation("2026-11-19T02:00:07Z")
        repeat = trigger.start_scheduled_aggregation("2026-11-19T02:00:59Z")  # EventBridge/async retry
        reset_caches()
    # While the first is running AWS answers a same-name same-input start with the same execution;
    # once it has closed, with ExecutionAlreadyExists. Either way there is one execution.
    assert (first["status"], first["execution_name"]) == ("started", "aggregate-2026-11-19")
    assert repeat["execution_name"] == "aggregate-2026-11-19"
    assert repeat.get("execution_arn", first["execution_arn"]) == first["execution_arn"]
    (execution,) = sfn.list_executions(stateMachineArn=arn)["executions"]
    assert json.loads(sfn.describe_execution(executionArn=execution["executionArn"])["input"]) == {"run_date": "2026-11-19"}


def test_spend_is_kept_per_report_type_and_dated_by_the_runs_as_of(aws_env, capsys):
    """A weekly and a daily run for as_of Nov 18, both started by hand on Nov 20: the day bucket is
    Nov 18's (not the clock's), and the two reports' spend is shown apart, never added up."""
    from local.cli.summaries import print_summaries, read_summaries

    started = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    as_of = datetime(2026, 11, 18).date()
    for report_type, spend in (("weekly", Decimal("1200.00")), ("daily", Decimal("171.43"))):
        for event in run_events(f"run-{report_type}", started, [
                {"client_id": "alpha", "status": "completed", "spend_reported": spend, "seconds": 2}],
                report_type=report_type, as_of=as_of):
            store.apply_event(event)
    aggregate({}, "aggregate-2026-11-19")  # the 02:00 run on Nov 19 summarizes Nov 18
    alpha = _views("alpha", "daily")
    assert list(alpha) == ["2026-11-18"]
    assert alpha["2026-11-18"]["spend_by_report_type"] == {"daily": 171.43, "weekly": 1200.0}
    assert _views("*", "daily")["2026-11-18"]["spend_by_report_type"] == {"daily": 171.43, "weekly": 1200.0}
    print_summaries(read_summaries("daily", "alpha"))
    (row,) = [line for line in capsys.readouterr().out.splitlines() if line.startswith("alpha")]
    assert row.startswith("alpha") and "2026-11-18" in row
    assert row.endswith("daily 171.43, weekly 1,200.00") and "1,371.43" not in row

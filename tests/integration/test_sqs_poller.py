"""The local SQS event source mapping (local/aws/sqs_poller.py) on a test-only queue and handler.

The queue and its DLQ are made by the queue kind of infra/ from a description entry (as deploy.py
and both local modes make them); the handler is a Chalice `on_sqs_message` handler. Both local
modes: moto in process, and moto's server behind an endpoint (as `python -m local serve`).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from chalice import Chalice

from chalicelib.core.constants import queue_name
from infra.description import DESCRIPTION
from infra.kinds import queue as queue_kind
from infra.kinds.base import Context, Report
from infra.model import Queue
from infra.stage import load_stage
from local.aws.lambda_bridge import LambdaBridge
from local.aws.sqs_poller import SqsPoller, app_mappings

# Visibility timeouts and receive counts on the clock: the serial phase of the suite (Makefile).
pytestmark = pytest.mark.timing

JOBS = Queue("test_jobs", visibility_timeout=20, max_receive_count=2)  # 20 s -> 1 s at time scale 0.05
SCALE = 0.05


def make_app(behaviour: dict[str, Any]) -> Chalice:
    """A test app: one SQS handler whose answer per body is set by the test."""
    app = Chalice(app_name="poller-test")

    @app.on_sqs_message(queue=queue_name(JOBS.key, "local"), batch_size=5, name="handle_jobs")
    def handle_jobs(event: Any) -> Any:
        records = [record.to_dict() for record in event]
        behaviour.setdefault("events", []).append(records)
        if behaviour.get("raise"):
            raise RuntimeError("handler crashed")
        failed = [r["messageId"] for r in records if r["body"] in behaviour.get("fail", set())]
        behaviour.setdefault("fail", set()).difference_update(behaviour.get("fail_once", set()))
        return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failed]}

    return app


@pytest.fixture(params=["in-process", "server"])
def aws(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A boto3 session on moto (in this process, or through a server endpoint), with the test queue
    and its DLQ made by infra's queue kind."""
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
    if request.param == "in-process":
        from moto import mock_aws

        with mock_aws():
            yield _deploy_queue(boto3.Session())
    else:
        from moto.server import ThreadedMotoServer

        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        try:
            monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{server.get_host_and_port()[1]}")
            yield _deploy_queue(boto3.Session())
        finally:
            server.stop()


def _deploy_queue(session: Any) -> Any:
    stage = load_stage("local", description=dataclasses.replace(DESCRIPTION, queues=(JOBS,)))
    ctx = Context(stage=stage, session=session, report=Report(lambda line: None))
    queue_kind.ensure(ctx, JOBS)
    sqs = session.client("sqs")
    session.queue_url = ctx.queue_urls[JOBS.key]
    session.dlq_url = sqs.get_queue_url(QueueName=stage.dlq_name(JOBS))["QueueUrl"]
    session.sqs = sqs
    return session


def poller_for(aws: Any, behaviour: dict[str, Any]) -> SqsPoller:
    app = make_app(behaviour)
    bridge = LambdaBridge(dict(app.handler_map), function_prefix="cost-reporter-local-")
    return SqsPoller(aws, app_mappings(app), bridge.invoke, time_scale=SCALE)


def counts(aws: Any, url: str) -> tuple[int, int]:
    attributes = aws.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]), int(attributes["ApproximateNumberOfMessagesNotVisible"])


def send(aws: Any, *bodies: str) -> None:
    for body in bodies:
        aws.sqs.send_message(QueueUrl=aws.queue_url, MessageBody=body,
                             MessageAttributes={"kind": {"DataType": "String", "StringValue": "test"}})


def test_the_mapping_is_read_from_the_app() -> None:
    mapping, = app_mappings(make_app({}))
    assert (mapping.function, mapping.queue, mapping.batch_size) == ("handle_jobs", "cost-reporter-local-test-jobs", 5)


def test_partial_batch_failure_deletes_only_the_succeeded(aws: Any) -> None:
    behaviour: dict[str, Any] = {"fail": {"b", "d"}}
    poller = poller_for(aws, behaviour)
    send(aws, "a", "b", "c", "d")
    assert poller.drain() == 4
    records = [r for event in behaviour["events"] for r in event]
    assert sorted(r["body"] for r in records) == ["a", "b", "c", "d"]
    queue_arn = aws.sqs.get_queue_attributes(QueueUrl=aws.queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    for record in records:  # Lambda's SQS event shape
        assert record["eventSource"] == "aws:sqs" and record["eventSourceARN"] == queue_arn
        assert record["messageId"] and record["receiptHandle"] and record["md5OfBody"]
        assert record["attributes"]["ApproximateReceiveCount"] == "1" and "SentTimestamp" in record["attributes"]
        assert record["messageAttributes"]["kind"]["stringValue"] == "test"
        assert record["awsRegion"] == "us-east-1"
    # a and c deleted; b and d in flight until their visibility timeout
    assert counts(aws, aws.queue_url) == (0, 2)
    failed = {d for delivery in poller.deliveries for d in delivery.failed}
    assert failed == {r["messageId"] for r in records if r["body"] in ("b", "d")}


def test_a_failed_message_comes_back_after_the_visibility_timeout(aws: Any) -> None:
    behaviour: dict[str, Any] = {"fail": {"x"}, "fail_once": {"x"}}
    poller = poller_for(aws, behaviour)
    send(aws, "x")
    poller.drain()
    assert len(behaviour["events"]) == 1
    poller.drain()  # still invisible: nothing handed over again
    assert len(behaviour["events"]) == 1 and counts(aws, aws.queue_url) == (0, 1)
    time.sleep(poller.visibility_timeout(poller.mappings[0].queue) + 0.2)
    assert poller.drain() == 1
    second = behaviour["events"][1][0]
    assert second["body"] == "x" and second["attributes"]["ApproximateReceiveCount"] == "2"
    assert counts(aws, aws.queue_url) == (0, 0)  # succeeded the second time: deleted


def test_after_max_receive_count_the_message_moves_to_the_dlq(aws: Any) -> None:
    behaviour: dict[str, Any] = {"raise": True}
    poller = poller_for(aws, behaviour)
    send(aws, "poison")
    poller.drain(settle=True, timeout=30)
    assert [event[0]["body"] for event in behaviour["events"]] == ["poison"] * JOBS.max_receive_count
    assert [d.error for d in poller.deliveries] == ["RuntimeError: handler crashed"] * JOBS.max_receive_count
    assert counts(aws, aws.queue_url) == (0, 0)
    moved = aws.sqs.receive_message(QueueUrl=aws.dlq_url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in moved] == ["poison"]


def test_the_background_thread_delivers(aws: Any) -> None:
    behaviour: dict[str, Any] = {}
    poller = poller_for(aws, behaviour)
    stop = poller.start()
    try:
        send(aws, "one", "two")
        deadline = time.monotonic() + 20
        while sum(len(event) for event in behaviour.get("events", [])) < 2:
            assert time.monotonic() < deadline, "the poller thread did not deliver"
            time.sleep(0.05)
    finally:
        stop()
    assert counts(aws, aws.queue_url) == (0, 0)


def test_an_unknown_item_identifier_fails_the_whole_batch() -> None:
    assert SqsPoller._failures({"batchItemFailures": [{"itemIdentifier": "nope"}]}, ["m1", "m2"]) == ["m1", "m2"]
    assert SqsPoller._failures({"batchItemFailures": []}, ["m1"]) == []
    assert SqsPoller._failures(None, ["m1"]) == []
    assert SqsPoller._failures({"batchItemFailures": [{"itemIdentifier": "m2"}]}, ["m1", "m2"]) == ["m2"]

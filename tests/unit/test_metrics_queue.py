"""The metrics queue handler through chalice.test.Client: batches with partial batch failures."""

from __future__ import annotations

import json

import pytest
from chalice import Chalice
from chalice.test import Client

from chalicelib.metrics import store
from chalicelib.metrics.blueprint import bp
from tests.metrics_support import DAY, ENV, project_table, sample_runs


@pytest.fixture
def chalice_client(tmp_path):
    app = Chalice(app_name="metrics-under-test", configure_logs=False)
    app.register_blueprint(bp)
    # The test client gives each invoke its stage's variables: a stage pointing at the moto table.
    (tmp_path / ".chalice").mkdir()
    (tmp_path / ".chalice" / "config.json").write_text(json.dumps(
        {"version": "2.0", "app_name": "metrics-under-test", "stages": {"test": {"environment_variables": ENV}}}))
    with project_table(), Client(app, stage_name="test", project_dir=str(tmp_path)) as client:
        yield client


def _batch(client, bodies):
    event = client.events.generate_sqs_event(queue_name="cost-reporter-local-metrics", message_bodies=bodies)
    return event, client.lambda_.invoke("apply_metric_events", event).payload


def test_a_bad_message_fails_alone_and_a_redelivered_one_counts_once(chalice_client):
    events = sample_runs()
    good = [event.model_dump_json() for event in events[:4]]
    event, reply = _batch(chalice_client, [good[0], good[1], "{not json", good[2], good[3], good[0]])
    ids = [record["messageId"] for record in event["Records"]]
    assert reply == {"batchItemFailures": [{"itemIdentifier": ids[2]}]}
    # the next batch redelivers two of them: nothing counts twice
    _, again = _batch(chalice_client, [good[1], good[3]])
    assert again == {"batchItemFailures": []}
    day = store.day_tallies("*", DAY.date(), DAY.date().replace(day=DAY.day + 1))[DAY.date()]
    assert (day.clients_delivered, day.clients_failed, day.clients_skipped) == (2, 1, 1)


def test_a_batch_that_all_fails_is_retried_whole(chalice_client):
    body = json.dumps({"kind": "run_end", "event_id": "run:x", "day": "2026-11-18", "run_id": "x",
                       "report_type": "weekly", "had_failures": "maybe"})
    with pytest.raises(Exception, match="All records failed"):
        _batch(chalice_client, [body, "[]"])


def test_a_batch_asks_which_of_its_clients_are_clients_at_once(chalice_client, monkeypatch):
    """Through the queue handler: the clients of a batch are looked up with one BatchGetItem (keys
    only), not one GetItem each; a stored client gets its tenant, an unknown id counts for the
    deployment only, and the ids stay known for the next batch."""
    import boto3

    from chalicelib.core import aws
    from tests.metrics_support import run_events

    table = boto3.resource("dynamodb").Table(ENV["TABLE_NAME"])
    for client_id in ("alpha", "bravo"):
        table.put_item(Item={"pk": "CLIENTS", "sk": client_id, "config": json.dumps({"client_id": client_id})})
    calls: list[str] = []
    from chalicelib.core.store import table as project_table

    for client in (aws.client("dynamodb"), project_table.table().meta.client):  # the stages use both
        client.meta.events.register("before-call.dynamodb.*", lambda model, **_: calls.append(model.name))
    events = run_events("run-q", DAY, [{"client_id": "alpha", "status": "completed"},
                                       {"client_id": "bravo", "status": "skipped"},
                                       {"client_id": "ghost", "status": "completed"}])
    _, reply = _batch(chalice_client, [event.model_dump_json() for event in events])
    assert reply == {"batchItemFailures": []}
    assert calls.count("BatchGetItem") == 1 and "GetItem" not in calls and calls.count("TransactWriteItems") == 1
    day = DAY.date()
    assert sorted(store.active_tenants(day, day.replace(day=day.day + 1))) == ["alpha", "bravo"]
    deployment = store.day_tallies("*", day, day.replace(day=day.day + 1))[day]
    assert (deployment.clients_delivered, deployment.clients_skipped, deployment.clients_unknown) == (2, 1, 1)
    calls.clear()
    again = run_events("run-r", DAY, [{"client_id": "alpha", "status": "completed"},
                                      {"client_id": "bravo", "status": "completed"}])
    _batch(chalice_client, [event.model_dump_json() for event in again])
    assert "BatchGetItem" not in calls and "GetItem" not in calls

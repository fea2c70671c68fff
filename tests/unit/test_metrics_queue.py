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

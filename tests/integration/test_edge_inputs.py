"""Bad input at the edges: a service name of thousands of characters in the PDF, and a metric event
for a client that does not exist."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path

import pytest
from chalice import Chalice
from chalice.test import Client

from local.__main__ import main
from tests.factories import client_config, cost_rows
from tests.metrics_support import DAY, ENV, project_table, sample_runs

ACCOUNT = "111111111111"
LONG_WORD = "X" * 3000  # no space to break at
LONG_WORDS = " ".join(f"Service{i:04d}" for i in range(250)) + "!"  # 3,000 characters that do wrap


def _write(tmp_path: Path, clients: list, rows: list[dict]) -> tuple[Path, Path]:
    clients_path = tmp_path / "clients.json"
    clients_path.write_text(json.dumps(clients))
    costs_path = tmp_path / "costs.csv"
    with costs_path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["date", "account_id", "service", "amount"])
        writer.writeheader()
        writer.writerows(rows)
    return clients_path, costs_path


def test_a_3000_character_service_name_is_shortened_in_the_pdf_and_kept_whole_in_the_csv(tmp_path):
    """The PDF used to fail with LayoutError (a table row taller than a page), so no email went out."""
    rows = cost_rows([ACCOUNT])
    for day in ("2026-11-03", "2026-11-10", "2026-11-11"):
        rows += [{"date": day, "account_id": ACCOUNT, "service": LONG_WORD, "amount": "12.5"},
                 {"date": day, "account_id": ACCOUNT, "service": LONG_WORDS, "amount": "3.25"}]
    assert len(LONG_WORD) == len(LONG_WORDS) == 3000
    clients_path, costs_path = _write(tmp_path, [client_config("alpha", [ACCOUNT], attachments=["csv", "pdf"])], rows)
    out = tmp_path / "out"
    code = main(["run", "--clients", str(clients_path), "--costs", str(costs_path), "--out", str(out), "--as-of", "2026-11-18"])
    summary = json.loads((out / "summary.json").read_text())
    assert code == 0, summary["clients"]
    assert [c["status"] for c in summary["clients"]] == ["delivered"] and summary["emails_sent"] == 1
    message = message_from_bytes(next((out / "alpha").glob("*.eml")).read_bytes(), policy=default_policy)
    attachments = {part.get_filename().rsplit(".", 1)[1]: part for part in message.iter_attachments()}
    assert set(attachments) == {"csv", "pdf"}
    pdf = attachments["pdf"].get_content()
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    flat = "".join(text.split())
    assert "Nameslongerthan120charactersareshortenedinthisPDF" in flat
    assert "X" * 100 in flat and "X" * 200 not in flat  # shortened, not dropped
    assert "Service0000Service0001" in flat and "Service0200" not in flat
    services = {r["service"] for r in csv.DictReader(io.StringIO(attachments["csv"].get_content()))}
    assert {LONG_WORD, LONG_WORDS} <= services  # the CSV keeps the full names
    html = message.get_body(preferencelist=("html",)).get_content()
    assert LONG_WORD in html


# ---- a metric event for an unknown client -------------------------------------------------------------


@pytest.fixture
def metrics_queue(tmp_path):
    from chalicelib.core import clients
    from chalicelib.metrics.blueprint import bp

    app = Chalice(app_name="metrics-under-test", configure_logs=False)
    app.register_blueprint(bp)
    (tmp_path / ".chalice").mkdir()
    (tmp_path / ".chalice" / "config.json").write_text(json.dumps(
        {"version": "2.0", "app_name": "metrics-under-test", "stages": {"test": {"environment_variables": ENV}}}))
    with project_table() as dynamo, Client(app, stage_name="test", project_dir=str(tmp_path)) as client:
        for known in ("alpha", "bravo"):
            clients.put_client_config(client_config(known, [ACCOUNT]))
        yield client, dynamo


def _event(run_id: str, client_id: str, status: str) -> str:
    from chalicelib.core.metric_events import client_outcome

    return client_outcome(run_id, DAY, {"client_id": client_id, "status": status, "ce_requests": 1,
                                        "spend_reported": "10.0123456789"}).model_dump_json()


def test_a_metric_event_for_an_unknown_client_makes_no_tenant(metrics_queue):
    """Through the queue handler: an outcome for `ghost` (no config) or `entry[2]` (an invalid config
    entry, stored under its position) counts for the deployment only, with the reason kept."""
    from chalicelib.metrics import store
    from chalicelib.metrics.contracts import AggregationRun, PlanInput, TenantBatch
    from chalicelib.metrics.stages.aggregate_tenants import aggregate_tenants
    from chalicelib.metrics.stages.plan_aggregation import plan_aggregation

    client, dynamo = metrics_queue
    bodies = [_event("run-1", "alpha", "completed"), _event("run-1", "ghost", "completed"),
              _event("run-1", "entry[2]", "failed"), _event("run-1", "bravo", "skipped")]
    event = client.events.generate_sqs_event(queue_name="cost-reporter-local-metrics", message_bodies=bodies)
    assert client.lambda_.invoke("apply_metric_events", event).payload == {"batchItemFailures": []}
    day = DAY.date()
    assert store.active_tenants(day, day.replace(day=day.day + 1)) == {"alpha", "bravo"}
    for ghost in ("ghost", "entry[2]"):
        assert dynamo.query(KeyConditionExpression="pk = :pk",
                            ExpressionAttributeValues={":pk": f"METRICS#{ghost}"})["Items"] == []
    deployment = store.day_tallies("*", day, day.replace(day=day.day + 1))[day]
    assert (deployment.clients_delivered, deployment.clients_failed, deployment.clients_skipped) == (2, 1, 1)
    assert deployment.clients_unknown == 2
    rejected = dynamo.get_item(Key={"pk": "METRICS#EVENT#client:run-1:ghost", "sk": "EVENT"})["Item"]
    assert rejected["tenant_rejected"] == "no client config is stored under 'ghost'"
    invalid = dynamo.get_item(Key={"pk": "METRICS#EVENT#client:run-1:entry[2]", "sk": "EVENT"})["Item"]
    assert "is not a valid client id" in invalid["tenant_rejected"]
    # the aggregation plans, and writes summaries for, the real tenants only
    plan = plan_aggregation(PlanInput(input={"backfill": True, "start_date": day.isoformat(), "end_date": day.isoformat()},
                                      execution_name="agg-1", started_at=DAY))
    assert store.planned_batches("agg-1") == [["*", "alpha", "bravo"]] and plan.tenants_planned == 3
    for tenants in store.planned_batches("agg-1"):
        aggregate_tenants(TenantBatch(run=AggregationRun.model_validate(plan.run.model_dump()), tenants=tenants))
    assert sorted(store.summary_tenants()) == ["*", "alpha", "bravo"]


def test_the_known_clients_of_the_sample_runs_still_get_their_tenants(metrics_queue):
    from chalicelib.core import clients
    from chalicelib.metrics import store

    client, _ = metrics_queue
    for known in ("charlie", "paused"):
        clients.put_client_config(client_config(known, [ACCOUNT]))
    bodies = [event.model_dump_json() for event in sample_runs()]
    event = client.events.generate_sqs_event(queue_name="cost-reporter-local-metrics", message_bodies=bodies[:10])
    assert client.lambda_.invoke("apply_metric_events", event).payload == {"batchItemFailures": []}
    day = DAY.date()
    assert store.active_tenants(day, day.replace(day=day.day + 1)) == {"alpha", "bravo", "charlie", "paused"}
    assert store.day_tallies("*", day, day.replace(day=day.day + 1))[day].clients_unknown == 0


def test_an_invalid_config_entry_of_a_run_is_no_tenant_in_its_summaries(tmp_path):
    """`python -m local run` with an entry that has no client_id: the run reports it as failed under
    `entry[1]`, and its metrics count it for the deployment, never as a tenant of its own."""
    clients_path, costs_path = _write(tmp_path, [client_config("alpha", [ACCOUNT]), {"name": "no id"}], cost_rows([ACCOUNT]))
    out = tmp_path / "out"
    code = main(["run", "--clients", str(clients_path), "--costs", str(costs_path), "--out", str(out), "--as-of", "2026-11-18"])
    assert code == 3
    views = json.loads((out / "summaries.json").read_text())
    assert {v["tenant"] for v in views} == {"*", "alpha"}
    deployment = next(v for v in views if v["tenant"] == "*" and v["period_type"] == "daily")
    assert (deployment["clients_delivered"], deployment["clients_failed"], deployment["clients_unknown"]) == (1, 1, 1)

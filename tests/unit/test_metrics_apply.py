"""Metric events applied to day buckets exactly once (moto DynamoDB, the real transaction)."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

import pytest

from chalicelib.core.metric_events import METRIC_EVENT
from chalicelib.metrics import store
from chalicelib.metrics.histogram import bin_attribute, bin_index
from chalicelib.metrics.stages.apply_metric_events import apply_metric_record
from chalicelib.metrics.tally import Tally
from tests.metrics_support import project_table, sample_runs

TENANTS = ["*", "alpha", "bravo", "charlie", "paused"]
DAYS = (date(2026, 11, 18), date(2026, 11, 20))


def _buckets(table) -> dict[tuple[str, str], dict]:
    """Every day bucket of the known tenants, read by key."""
    found = {}
    for tenant in TENANTS:
        items = table.query(KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": f"METRICS#{tenant}"})["Items"]
        found.update({(item["pk"], item["sk"]): item for item in items})
    return found


def test_every_event_twice_in_shuffled_order_gives_the_same_buckets():
    events = sample_runs()
    with project_table() as table:
        outcomes = [store.apply_event(event) for event in events]
        once = _buckets(table)
    assert outcomes == ["applied"] * len(events)

    twice = events + events
    random.Random(20261118).shuffle(twice)
    with project_table() as table:
        outcomes = [store.apply_event(event) for event in twice]
        again = _buckets(table)
    assert sorted(outcomes) == sorted(["applied"] * len(events) + ["duplicate"] * len(events))
    assert again == once


def test_the_benchmark_seed_writes_what_applying_writes():
    from bench.metrics_data import seed

    events = sample_runs()
    with project_table() as table:
        for event in events:
            store.apply_event(event)
        applied = _buckets(table)
    with project_table() as table:
        seed(table, events + events[:3])
        seeded = _buckets(table)
    assert seeded == applied


def test_buckets_hold_the_counts_of_the_day_the_run_started():
    with project_table():
        for event in sample_runs():
            store.apply_event(event)
        deployment = store.day_tallies("*", *DAYS)
        alpha = store.day_tallies("alpha", *DAYS)
        tenants = store.active_tenants(*DAYS)
    # run-c started at 23:59 on Nov 18 and ended on Nov 19: it counts on Nov 18, and Nov 19 has nothing.
    assert set(deployment) == {date(2026, 11, 18)} and set(alpha) == {date(2026, 11, 18)}
    day = deployment[date(2026, 11, 18)]
    assert (day.runs, day.runs_with_failures) == (3, 2)
    assert (day.clients_delivered, day.clients_skipped, day.clients_failed) == (3, 2, 2)
    assert day.failed_by_category == {"throttling": 1, "authorization": 1}
    assert (day.emails_sent, day.ce_requests, day.spend_reported) == (3, 7, Decimal("210.75"))
    # durations: 6 clients started (paused never did), 3 runs; maxima are exact
    assert (day.client.count, day.client.max_ms, day.run.count, day.run.max_ms) == (6, 700_000, 3, 3_600_000)
    assert day.client.sum_ms == 1_500 + 40_000 + 95_000 + 200 + 3_000 + 700_000
    a = alpha[date(2026, 11, 18)]
    assert (a.runs, a.clients_delivered, a.clients_skipped, a.clients_failed, a.run.count) == (3, 1, 1, 1, 0)
    assert tenants == {"alpha", "bravo", "charlie", "paused"}


def test_histogram_bins_and_percentiles():
    assert [bin_index(ms) for ms in (0, 250, 251, 1_000, 59_999, 60_000, 60_001, 10**9)] == [0, 0, 1, 2, 8, 8, 9, 17]
    tally = Tally()
    for seconds in [1] * 90 + [100] * 9 + [250]:
        tally.client.bins[bin_index(seconds * 1000)] += 1
    tally.client.max_ms = 250_000
    stats = tally.client.stats()
    # p50 lies in the <=1 s bin; p95 in the <=120 s bin; max is exact
    assert (stats["count"], stats["p50_seconds"], stats["p95_seconds"], stats["max_seconds"]) == (100, 1, 120, 250.0)


def test_a_duplicate_whose_maximum_was_lost_is_repaired_by_the_redelivery():
    event = sample_runs()[-1]  # run-c's run_end: 3,600 s
    with project_table() as table:
        store.apply_event(event)
        key = store.day_key("*", event.day)
        table.update_item(Key=key, UpdateExpression="REMOVE run_ms_max")  # as if the Lambda died after the transaction
        assert store.apply_event(event) == "duplicate"
        item = table.get_item(Key=key)["Item"]
    assert (item["run_ms_max"], item["runs"], item[bin_attribute("run", bin_index(3_600_000))]) == (3_600_000, 1, 1)


def test_a_malformed_message_raises_and_counts_nothing():
    with project_table() as table:
        with pytest.raises(ValueError):
            apply_metric_record('{"kind": "client_outcome", "event_id": "x"}')
        with pytest.raises(ValueError):
            apply_metric_record("not json")
        assert _buckets(table) == {}


def test_a_queue_body_round_trips_to_the_same_event():
    for event in sample_runs():
        assert METRIC_EVENT.validate_json(event.model_dump_json()) == event


@pytest.fixture
def cheap_transactions():
    from local.aws.moto_patches import item_scoped_transactions

    uninstall = item_scoped_transactions()
    yield
    uninstall()


def test_the_local_transaction_backup_is_still_all_or_nothing(cheap_transactions):
    import boto3

    with project_table() as table:
        table.put_item(Item={"pk": "A", "sk": "x", "n": 1})
        table.put_item(Item={"pk": "B", "sk": "x", "n": 1})
        client = boto3.client("dynamodb")
        with pytest.raises(client.exceptions.TransactionCanceledException):
            client.transact_write_items(TransactItems=[
                {"Update": {"TableName": table.name, "Key": {"pk": {"S": "A"}, "sk": {"S": "x"}},
                            "UpdateExpression": "ADD n :one", "ExpressionAttributeValues": {":one": {"N": "1"}}}},
                {"Put": {"TableName": table.name, "Item": {"pk": {"S": "C"}, "sk": {"S": "x"}}}},
                {"Put": {"TableName": table.name, "Item": {"pk": {"S": "B"}, "sk": {"S": "x"}, "n": {"N": "9"}},
                         "ConditionExpression": "attribute_not_exists(pk)"}},
            ])
        assert table.get_item(Key={"pk": "A", "sk": "x"})["Item"]["n"] == 1
        assert table.get_item(Key={"pk": "B", "sk": "x"})["Item"]["n"] == 1
        assert "Item" not in table.get_item(Key={"pk": "C", "sk": "x"})


def test_duplicates_count_once_with_the_local_transaction_backup(cheap_transactions):
    test_every_event_twice_in_shuffled_order_gives_the_same_buckets()

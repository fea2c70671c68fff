"""Metric events applied to day buckets exactly once (moto DynamoDB, the real transaction)."""

from __future__ import annotations

import json
import random
from datetime import date
from decimal import Decimal

import pytest

from chalicelib.core.metric_events import METRIC_EVENT
from chalicelib.metrics import store
from chalicelib.metrics.histogram import bin_attribute, bin_index
from chalicelib.metrics.stages.apply_metric_events import apply_metric_record
from chalicelib.metrics.tally import Tally, bucket_changes
from tests.metrics_support import project_table, sample_runs

TENANTS = ["*", "alpha", "bravo", "charlie", "paused"]
DAYS = (date(2026, 11, 18), date(2026, 11, 20))


def _buckets(table) -> dict[tuple[str, str], dict]:
    """Every day bucket of the known tenants (the deployment's shards too), read by key."""
    from chalicelib.metrics.tally import deployment_buckets

    found = {}
    for tenant in [*TENANTS, *deployment_buckets()]:
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


def _synthetic_outcomes(clients: int, day_offset: int = 0) -> list:
    from datetime import UTC, datetime, timedelta

    from tests.metrics_support import run_events

    started = datetime(2026, 11, 18, 9, 0, tzinfo=UTC) + timedelta(days=day_offset)
    return run_events(f"run-{clients}", started, [
        {"client_id": f"client-{n:05d}", "status": "completed", "ce_requests": 2, "spend_reported": Decimal("12.5"),
         "seconds": 1 + n % 97} for n in range(clients)])


def _largest_item_bytes(table) -> int:
    items = table.scan()["Items"]
    return max(len(json.dumps(item, default=str)) for item in items)


def _count_writes(monkeypatch) -> list:
    """Every DynamoDB write request the store makes: ("transact", [keys]) or (operation, key)."""
    from chalicelib.core.store import table as table_module

    calls: list = []
    real_transact = table_module.transact_write

    def transact(items):
        calls.append(("transact", [next(iter(item.values()))["Key" if "Update" in item else "Item"]["pk"]["S"]
                                   for item in items]))
        return real_transact(items)

    monkeypatch.setattr(table_module, "transact_write", transact)
    real_table = table_module.table

    class Spy:
        def __init__(self, inner):
            self._inner = inner

        def __getattr__(self, name):
            attribute = getattr(self._inner, name)
            if name in ("update_item", "put_item"):
                def call(**kwargs):
                    calls.append((name, kwargs.get("Key") or kwargs.get("Item")))
                    return attribute(**kwargs)
                return call
            return attribute

    monkeypatch.setattr(table_module, "table", lambda: Spy(real_table()))
    return calls


def test_no_item_or_key_grows_with_the_number_of_clients(monkeypatch, cheap_transactions):
    """Applying a run of 100 and one of 400 clients: the largest item stays under a fixed bound (no
    set of the day's clients), the deployment's writes are spread so that no key takes more than its shard's
    share, each event is ONE write request (the maxima inside it) and no item holds `tenants`."""
    from chalicelib.core.constants import METRIC_SHARDS

    largest = {}
    for clients in (100, 400):
        with project_table() as table:
            calls = _count_writes(monkeypatch)
            events = _synthetic_outcomes(clients)
            assert [store.apply_event(event) for event in events] == ["applied"] * len(events)
            largest[clients] = _largest_item_bytes(table)
            assert not any("tenants" in item for item in table.scan()["Items"])
        assert [kind for kind, _ in calls] == ["transact"] * len(events)  # no second write for the maxima
        per_key: dict = {}
        for _, keys in calls:
            for key in keys:
                per_key[key] = per_key.get(key, 0) + 1
        assert max(per_key.values()) <= 3 * clients / METRIC_SHARDS, sorted(per_key.items(), key=lambda kv: -kv[1])[:3]
    # bounded by the tally's fixed attributes (more histogram bins filled, a digit more): under 1 KB,
    # one write unit, at any number of clients (a set of the day's clients: 400 ids alone are 6 KB)
    assert largest[400] < 1024 and largest[400] < 1.5 * largest[100], largest
    # the deployment's day is still the sum over every client, its maximum exact
    with project_table():
        for event in _synthetic_outcomes(400):
            store.apply_event(event)
        (day,) = store.day_tallies("*", *DAYS).values()
        assert (day.clients_delivered, day.client.count, day.client.max_ms, day.runs) == (400, 400, 97_000, 1)
        assert len(store.active_tenants(*DAYS)) == 400


def test_a_maximum_raised_meanwhile_by_another_event_is_kept(cheap_transactions):
    """Two containers: one learnt a low maximum, the other raised it; the first's event with a value
    between is applied (the cancelled transaction is written again without the maximum) and the
    stored maximum stays the higher one."""
    from chalicelib.core.caches import reset_all

    events = _synthetic_outcomes(40)
    with project_table() as table:
        quick = [e for e in events[:-1] if e.duration_ms < 10_000]
        slow = max(events[:-1], key=lambda e: e.duration_ms)
        middle = next(e for e in events[:-1] if 20_000 < e.duration_ms < slow.duration_ms)
        for event in quick:
            store.apply_event(event)
        reset_all()  # another container, which knows no maxima
        store.apply_event(slow)
        assert store.apply_event(middle) == "applied"
        (day,) = store.day_tallies("*", *DAYS).values()
        assert (day.client.count, day.client.max_ms) == (len(quick) + 2, slow.duration_ms)
        assert table.get_item(Key=store.day_key(middle.client_id, middle.day))["Item"]["client_ms_max"] == middle.duration_ms


def test_a_transaction_conflict_on_a_shared_bucket_is_written_again(monkeypatch, cheap_transactions):
    """DynamoDB cancels a transaction whose item another transaction is writing (the deployment's
    shards are shared): the event is written again after a short wait, counted once, not failed."""
    from botocore.exceptions import ClientError

    from chalicelib.core.store import table as table_module

    real = table_module.transact_write
    conflicts = []

    def conflicting(items):
        if len(conflicts) < 2:
            conflicts.append(1)
            raise ClientError({"Error": {"Code": "TransactionCanceledException", "Message": "conflict"},
                               "CancellationReasons": [{"Code": "None"}, {"Code": "None"},
                                                       {"Code": "TransactionConflict"}]}, "TransactWriteItems")
        return real(items)

    event = _synthetic_outcomes(1)[0]
    with project_table():
        monkeypatch.setattr(table_module, "transact_write", conflicting)
        monkeypatch.setattr(store, "CONFLICT_BACKOFF_SECONDS", 0.001)
        assert store.apply_event(event) == "applied"
        assert store.apply_event(event) == "duplicate"
        (day,) = store.day_tallies("*", *DAYS).values()
    assert len(conflicts) == 2 and day.clients_delivered == 1


def test_a_batch_applied_together_is_one_transaction_and_counts_as_applying_one_by_one(monkeypatch):
    """The queue's batches (up to 10 events; here 4) in one TransactWriteItems each, the buckets
    exactly as one by one; a batch holding an event already applied is refused whole and counts nothing."""
    events = sample_runs()
    with project_table() as table:
        for event in events:
            store.apply_event(event)
        one_by_one = _buckets(table)
    requests: list[int] = []
    transact_write = store.table.transact_write
    monkeypatch.setattr(store.table, "transact_write", lambda items: (requests.append(len(items)), transact_write(items))[1])
    with project_table() as table:
        batches = [events[start:start + 4] for start in range(0, len(events), 4)]
        assert all(store.apply_events_together([(event, None) for event in batch]) for batch in batches)
        assert _buckets(table) == one_by_one
        # each event's record, and each bucket once however many of the batch's events it counts; a
        # batch whose maximum was already higher (alpha's, from run-a) is written again without it
        buckets = [{(bucket, event.day) for event in batch for bucket, _, _ in bucket_changes(event)} for batch in batches]
        sizes = [len(batch) + len(changed) for batch, changed in zip(batches, buckets, strict=True)]
        assert len(batches) == 3 and requests in ([sizes[0], sizes[1], sizes[1], sizes[2]], sizes)
        assert sum(sizes) < sum(1 + len(bucket_changes(event)) for event in events)
        assert not store.apply_events_together([(events[0], None), (events[1], None)])
        assert _buckets(table) == one_by_one

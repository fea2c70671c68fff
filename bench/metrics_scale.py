"""Run metrics at scale: what one event and one tenant cost, and how large anything gets, at 50,000 clients.

    python -m bench.metrics_scale [--tenants 50000] [--apply 2000] [--machine 50 400]

Three parts, each with bounded loops and no report run:
  apply    --apply client outcomes (one run) applied one by one through the applier's real path
           (store.apply_event: one TransactWriteItems each): DynamoDB requests and write units per
           event, for the first and the last tenth of the events (constant: nothing grows).
  tenants  --tenants client outcomes of one day stored as applying them would (bench.metrics_data.seed),
           then the aggregation's stages as its Lambdas run them: the plan (lists the tenants with a
           paged Query, writes them to S3), every tenant's aggregation for a sample of 200 clients
           and for the deployment: items read and written per tenant, the largest item stored, the
           state payloads against 256 KB.
  machine  the aggregation state machine itself on the local engine (Distributed Map) with each
           --machine count of tenants: the parent's and the largest child's execution history
           (events) and the largest payload in them: constant in the number of tenants.
Write units follow DynamoDB's rules (1 per KB per item written, 2 in a transaction), with the
item sizes computed as DynamoDB does (moto's Item.size): the size after the write.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

ITEM_LIMIT = 400 * 1024
HISTORY_LIMIT = 25_000
PAYLOAD_LIMIT = 256 * 1024
DAY = datetime(2026, 11, 18, 8, 0, tzinfo=UTC)


def synthetic_run(clients: int, run_id: str = "bench-run", started: datetime = DAY) -> list[Any]:
    from bench.metrics_data import CATEGORIES
    from chalicelib.core.metric_events import client_outcome, run_end

    events = []
    for n in range(clients):
        status = "completed" if n % 50 else ("failed" if n % 100 else "skipped")
        seconds = 1 + (n * 7919) % 600
        begun = started + timedelta(seconds=n % 60)
        events.append(client_outcome(run_id, started, {
            "client_id": f"client-{n:05d}", "status": status, "category": CATEGORIES[n % len(CATEGORIES)],
            "ce_requests": 3, "spend_reported": Decimal(1000 + n % 9000) / 100,
            "started_at": begun.isoformat(), "updated_at": (begun + timedelta(seconds=seconds)).isoformat()}))
    events.append(run_end(run_id, "daily", started, started + timedelta(seconds=900), True))
    return events


class Meter:
    """DynamoDB requests, items read and write units of every call through the default session."""

    def __init__(self, table_name: str) -> None:
        self.table_name = table_name
        self.requests: dict[str, int] = defaultdict(int)
        self.items_read = 0
        self.write_units = 0
        self.largest_written = 0

    def _item_size(self, key: dict[str, Any]) -> int:
        from moto.dynamodb.models import dynamodb_backends
        from moto.dynamodb.models.dynamo_type import DynamoType

        table = dynamodb_backends["123456789012"]["us-east-1"].get_table(self.table_name)
        item = table.get_item(DynamoType(key["pk"]), DynamoType(key["sk"]))
        return item.size() if item is not None else 0

    def _units(self, key: dict[str, Any], transactional: bool) -> None:
        size = self._item_size(key)
        self.largest_written = max(self.largest_written, size)
        self.write_units += (2 if transactional else 1) * max(1, math.ceil(size / 1024))

    def remember(self, params: dict[str, Any], **_: Any) -> None:
        self._params = params  # the call's own parameters (before-parameter-build); one thread at a time

    def register(self, events: Any) -> None:
        events.register("before-parameter-build.dynamodb", self.remember)
        events.register("after-call.dynamodb", self)

    def __call__(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        name, params = model.name, self._params
        self.requests[name] += 1
        if name in ("Query", "Scan"):
            self.items_read += int(parsed.get("ScannedCount", len(parsed.get("Items", []))))
        elif name == "GetItem":
            self.items_read += 1 if parsed.get("Item") else 0
        elif name == "TransactWriteItems" and "CancellationReasons" not in parsed:
            for entry in params["TransactItems"]:
                operation = next(iter(entry.values()))
                key = operation.get("Key") or {k: operation["Item"][k] for k in ("pk", "sk")}
                self._units(key, transactional=True)
        elif name in ("PutItem", "UpdateItem"):
            key = params.get("Key") or {k: params["Item"][k] for k in ("pk", "sk")}
            self._units(key, transactional=False)
        elif name == "BatchWriteItem":
            for requests in params["RequestItems"].values():
                for request in requests:
                    if "PutRequest" in request:
                        self._units({k: request["PutRequest"]["Item"][k] for k in ("pk", "sk")}, transactional=False)

    def take(self) -> dict[str, Any]:
        taken = {"requests": dict(self.requests), "items_read": self.items_read, "write_units": self.write_units}
        self.requests, self.items_read, self.write_units = defaultdict(int), 0, 0
        return taken


def _project_aws(table_name: str, bucket: str) -> Any:
    import boto3

    boto3.setup_default_session()
    boto3.client("dynamodb").create_table(
        TableName=table_name, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}])
    boto3.client("s3").create_bucket(Bucket=bucket)
    return boto3.resource("dynamodb").Table(table_name)


def _largest_item(table_name: str) -> tuple[int, str]:
    from moto.dynamodb.models import dynamodb_backends

    table = dynamodb_backends["123456789012"]["us-east-1"].get_table(table_name)
    largest = max(table.all_items(), key=lambda item: item.size())
    return largest.size(), f"{largest.hash_key.value} / {largest.range_key.value}"


def part_apply(count: int) -> None:
    import boto3
    from moto import mock_aws

    from chalicelib.metrics import store
    from local.aws.moto_patches import exact_number_arithmetic, item_scoped_transactions, partition_queries
    from tests.metrics_support import ENV, TABLE, reset_caches

    print(f"\n== apply: {count:,} client outcomes and the run's end, one by one through store.apply_event")
    with mock_aws():
        undo = [exact_number_arithmetic(), item_scoped_transactions(), partition_queries()]
        _project_aws(TABLE, ENV["BUCKET_NAME"])
        meter = Meter(TABLE)
        meter.register(boto3.DEFAULT_SESSION.events)
        reset_caches()
        events = synthetic_run(count)
        tenth = max(1, count // 10)
        figures = []
        started = time.perf_counter()
        for index, event in enumerate(events):
            store.apply_event(event)
            if index + 1 in (tenth, count - tenth, count):
                figures.append((index + 1, meter.take()))
        seconds = time.perf_counter() - started
        size, key = _largest_item(TABLE)
        for apply_undo in undo:
            apply_undo()
    (_, first), _, (_, last) = figures
    for label, taken, n in (("first tenth", first, tenth), ("last tenth", last, tenth)):
        requests = sum(taken["requests"].values())
        print(f"{label:<12} per event: {requests / n:.2f} DynamoDB requests "
              f"({', '.join(f'{k} {v / n:.2f}' for k, v in sorted(taken['requests'].items()))}), "
              f"{taken['write_units'] / n:.2f} write units")
    print(f"largest item after {count:,} clients: {size:,} B ({key}); limit {ITEM_LIMIT:,} B "
          f"({size / ITEM_LIMIT:.3%}); {count / seconds:.0f} events/s locally")


def part_tenants(tenants: int, sample: int = 200) -> None:
    import boto3
    from moto import mock_aws

    from bench.metrics_data import seed
    from chalicelib.core.constants import AGGREGATION_BATCH_TENANTS
    from chalicelib.core.observability import run_stage
    from chalicelib.metrics import store
    from chalicelib.metrics.blueprint import STAGES
    from local.aws.moto_patches import exact_number_arithmetic, partition_queries
    from tests.metrics_support import ENV, TABLE, reset_caches

    print(f"\n== tenants: {tenants:,} client outcomes of one day, then the aggregation's stages")
    with mock_aws():
        undo = [exact_number_arithmetic(), partition_queries()]  # a Query reads its partition, as in DynamoDB
        table = _project_aws(TABLE, ENV["BUCKET_NAME"])
        started = time.perf_counter()
        written = seed(table, synthetic_run(tenants))
        print(f"seeded {written:,} items in {time.perf_counter() - started:.1f} s")
        size, key = _largest_item(TABLE)
        print(f"largest item at {tenants:,} clients: {size:,} B ({key}); limit {ITEM_LIMIT:,} B ({size / ITEM_LIMIT:.3%})")
        meter = Meter(TABLE)
        meter.register(boto3.DEFAULT_SESSION.events)
        reset_caches()
        name = "bench-aggregate-2026-11-19"
        started = time.perf_counter()
        plan = run_stage(STAGES["plan_aggregation"], {"input": {"run_date": "2026-11-19"}, "execution_name": name,
                                                       "started_at": "2026-11-19T02:00:00Z"})
        plan_seconds = time.perf_counter() - started
        taken = meter.take()
        batches = store.planned_batches(name)
        listed = [tenant for batch in batches for tenant in batch]
        object_bytes = len(json.dumps(batches))
        plan_bytes = len(json.dumps(plan))
        print(f"plan: {plan['tenants_planned']:,} tenants listed by {taken['requests'].get('Query', 0)} Queries "
              f"({taken['items_read']:,} items read, {taken['items_read'] / tenants:.2f} per tenant) in {plan_seconds:.1f} s; "
              f"the Map's items in S3 ({len(batches):,} batches of at most {AGGREGATION_BATCH_TENANTS}): {object_bytes:,} B; "
              f"the state it returns: {plan_bytes:,} B (limit {PAYLOAD_LIMIT:,} B)")
        # The deployment alone, then a batch of `sample` clients, each as one Map item runs it.
        picked = [[listed[0]], listed[1:: max(1, (len(listed) - 1) // sample)][:sample]]
        for label, tenants in (("deployment *", picked[0]), (f"{len(picked[1])} clients", picked[1])):
            started = time.perf_counter()
            result = run_stage(STAGES["aggregate_tenants"], {"run": plan["run"], "tenants": tenants})
            taken, seconds, n = meter.take(), time.perf_counter() - started, len(tenants)
            requests = sum(taken["requests"].values())
            print(f"aggregate {label:<14} per tenant: {taken['requests'].get('Query', 0) / n:.1f} Queries, "
                  f"{taken['items_read'] / n:.1f} items read, {taken['write_units'] / n:.1f} write units, "
                  f"{requests / n:.2f} requests ({', '.join(f'{k} {v}' for k, v in sorted(taken['requests'].items()))} "
                  f"for the batch), {seconds / n * 1000:.0f} ms; the batch's result {len(json.dumps(result))} B")
        for apply_undo in undo:
            apply_undo()


def part_machine(counts: list[int]) -> None:
    from bench.common import quiet_local_aws
    from bench.metrics_data import seed
    from chalicelib.core.constants import AGGREGATION_BATCH_TENANTS, ENV_AGGREGATION_STATE_MACHINE_ARN
    from local.aws.cost_explorer.data import CostData

    print("\n== machine: the aggregation state machine on the local engine (Distributed Map over S3)")
    for count in counts:
        with tempfile.TemporaryDirectory() as out, quiet_local_aws(out, CostData.from_rows([]), [], 10) as aws:
            table = aws.session.resource("dynamodb").Table(os.environ["TABLE_NAME"])
            seed(table, synthetic_run(count))
            arn = os.environ[ENV_AGGREGATION_STATE_MACHINE_ARN]
            started = time.perf_counter()
            execution = aws.sfn.start_execution(stateMachineArn=arn, name=f"bench-{count}",
                                                input=json.dumps({"run_date": "2026-11-19"}))["executionArn"]
            described = aws.wait(execution, timeout=3600, poll=0.5)
            seconds = time.perf_counter() - started
            parent = aws.history(execution)
            payload = max(len(json.dumps(event, default=str)) for event in parent)
            output = json.loads(described.get("output") or "{}")
            print(f"{count:>6,} tenants: {described['status']}, {output.get('tenants')} planned, "
                  f"{output.get('tenants_failed')} failed, {output.get('summaries_written')} summaries in {seconds:.1f} s; "
                  f"history: parent {len(parent)} events (limit {HISTORY_LIMIT:,}); largest parent event {payload:,} B "
                  f"(limit {PAYLOAD_LIMIT:,} B)")
    child, worst = child_history_bounds()
    print(f"a child execution (a batch of up to {AGGREGATION_BATCH_TENANTS} tenants): "
          f"{child} events when it succeeds, at most {worst} with every retry and the "
          f"catch path (counted from the ItemProcessor's states: moto runs Distributed Map items in process and keeps "
          f"no child history); limit {HISTORY_LIMIT:,}")


def child_history_bounds() -> tuple[int, int]:
    """Events of one child execution of the aggregation Map: (succeeding at once, the longest path).
    A Task is TaskStateEntered, TaskScheduled, TaskStarted, TaskSucceeded|Failed, TaskStateExited;
    each retry adds TaskScheduled, TaskStarted, TaskFailed; a Pass state is entered and exited."""
    from pathlib import Path

    definition = json.loads((Path(__file__).resolve().parents[1] / "statemachines" / "aggregate_summaries.asl.json").read_text())
    processor = next(s for s in definition["States"].values() if s["Type"] == "Map")["ItemProcessor"]
    states = processor["States"]
    frame = 2  # ExecutionStarted, ExecutionSucceeded

    def task(state: dict[str, Any], retried: bool) -> int:
        # every retrier can use all its attempts (each counts its own errors)
        retries = sum(r["MaxAttempts"] for r in state.get("Retry", [])) if retried else 0
        return 5 + 3 * retries

    ok = frame + task(states[processor["StartAt"]], False)
    longest = frame + sum(task(s, True) if s["Type"] == "Task" else 2 for s in states.values())
    return ok, longest


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=50_000)
    parser.add_argument("--apply", type=int, default=2_000)
    parser.add_argument("--machine", type=int, nargs="*", default=[50, 400])
    parser.add_argument("--parts", default="apply,tenants,machine")
    args = parser.parse_args(argv)
    if not (1 <= args.tenants <= 200_000 and 10 <= args.apply <= 50_000 and all(1 <= n <= 5_000 for n in args.machine)):
        parser.error("--tenants 1..200000, --apply 10..50000, --machine 1..5000 each")
    from tests.metrics_support import ENV

    os.environ.update({**ENV, "SUMMARY_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:bench-summaries",
                       "POWERTOOLS_LOG_LEVEL": "ERROR"})
    parts = args.parts.split(",")
    print(f"limits: item {ITEM_LIMIT:,} B, execution history {HISTORY_LIMIT:,} events, payload {PAYLOAD_LIMIT:,} B")
    if "apply" in parts:
        part_apply(args.apply)
    if "tenants" in parts:
        part_tenants(args.tenants)
    if "machine" in parts:
        part_machine(args.machine)


if __name__ == "__main__":
    main()

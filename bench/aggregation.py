"""Aggregation cost: DynamoDB items read and seconds, against a Scan-everything baseline.

    python -m bench.aggregation [--clients 500] [--days 366]

Writes a year of synthetic metrics (one daily run a day with every client: 500 x 366 = 183,000
client outcomes) to an in-process DynamoDB (moto), then times three aggregations through the
stage functions the state machine runs (plan, one aggregate_tenants per batch of tenants, publish):
  daily       an ordinary day (yesterday only)
  backfill    the whole range (366 days: every day, week, month and year touched)
  1 January   yesterday, December and the year (the year from the months the backfill wrote)
and, in the same run, the baseline these aggregations replace: Scan the whole table and compute the
same summaries in memory. "items read" counts what DynamoDB evaluates (ScannedCount for Query/Scan,
found items for GetItem), which is what read capacity is billed on.
"""

from __future__ import annotations

import argparse
import bisect
import os
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

FIRST_DAY = date(2026, 1, 1)


class ReadCounter:
    """Counts items DynamoDB read for every call made through the default boto3 session."""

    def __init__(self) -> None:
        self.items = 0
        self.calls: dict[str, int] = defaultdict(int)

    def __call__(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        name = model.name
        if name in ("Query", "Scan"):
            self.items += int(parsed.get("ScannedCount", len(parsed.get("Items", []))))
        elif name == "GetItem":
            self.items += 1 if parsed.get("Item") else 0
        elif name == "BatchGetItem":
            self.items += sum(len(items) for items in parsed.get("Responses", {}).values())
        else:
            return
        self.calls[name] += 1

    def take(self) -> tuple[int, dict[str, int]]:
        taken = (self.items, dict(self.calls))
        self.items, self.calls = 0, defaultdict(int)
        return taken


@contextmanager
def dynamodb_read_costs() -> Iterator[None]:
    """Make moto read like DynamoDB, so seconds compare what each approach reads: moto 5.2.5's
    Query sorts the whole table on every call (DynamoDB reads one partition), and each Scan page
    walks every item of the earlier pages again (DynamoDB starts at the page's key). The answers
    are unchanged: a Query here walks exactly its partition; a Scan page starts at its key in the
    same sorted order."""
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    original_query, original_scan = Table.query, Table.scan

    def query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
        if index_name or hash_key is None or not self.range_key_attr:
            return original_query(self, hash_key, *args, **kwargs)
        partition = list(self.items.get(hash_key, {}).values())
        self.all_items = lambda: partition
        try:
            return original_query(self, hash_key, *args, **kwargs)
        finally:
            del self.all_items

    def scan(self: Any, filters: Any, limit: Any, exclusive_start_key: Any, *args: Any, **kwargs: Any) -> Any:
        ordered = _scan_order.get(id(self))
        if ordered is None or not self.range_key_attr:
            return original_scan(self, filters, limit, exclusive_start_key, *args, **kwargs)
        keys, items = ordered
        start = 0
        if exclusive_start_key:
            start = bisect.bisect_left(keys, (DynamoType(exclusive_start_key[self.hash_key_attr]),
                                              DynamoType(exclusive_start_key[self.range_key_attr])))
        self.all_items = lambda: items[start:]
        try:
            return original_scan(self, filters, limit, exclusive_start_key, *args, **kwargs)
        finally:
            del self.all_items

    Table.query, Table.scan = query, scan
    try:
        yield
    finally:
        Table.query, Table.scan = original_query, original_scan


_scan_order: dict[int, tuple[list[Any], list[Any]]] = {}


@contextmanager
def scan_session(table_name: str) -> Iterator[None]:
    """While the baseline scans (no writes meanwhile), moto's table in key order, sorted once."""
    from moto.dynamodb.models import dynamodb_backends

    table = dynamodb_backends["123456789012"]["us-east-1"].get_table(table_name)
    items = table.all_items()
    _scan_order[id(table)] = ([(item.hash_key, item.range_key) for item in items], items)
    try:
        yield
    finally:
        _scan_order.pop(id(table), None)


def aggregate(run_input: dict[str, Any], name: str, started_at: str) -> dict[str, Any]:
    """The state machine's path, stage by stage, each as its Lambda runs it."""
    from chalicelib.core.observability import run_stage
    from chalicelib.metrics.blueprint import STAGES
    from chalicelib.metrics.store import planned_batches

    plan = run_stage(STAGES["plan_aggregation"], {"input": run_input, "execution_name": name, "started_at": started_at})
    for tenants in planned_batches(name):  # what the Distributed Map's ItemReader reads: one child per batch
        run_stage(STAGES["aggregate_tenants"], {"run": plan["run"], "tenants": tenants})
    return run_stage(STAGES["publish_summaries"], {"run": plan["run"], "tenants_planned": plan["tenants_planned"]})


def scan_baseline(table: Any, run_input: dict[str, Any], started_at: str) -> int:
    """Read every item (Scan, every page), keep the day buckets, sum each period per tenant."""
    from chalicelib.metrics.calendar import backfill_periods, scheduled_periods
    from chalicelib.metrics.tally import Tally

    if run_input.get("backfill"):
        periods = backfill_periods(date.fromisoformat(run_input["start_date"]), date.fromisoformat(run_input["end_date"]))
    else:
        periods = scheduled_periods(date.fromisoformat(run_input.get("run_date") or started_at[:10]))
    days: dict[str, dict[date, Tally]] = defaultdict(dict)
    kwargs: dict[str, Any] = {}
    with scan_session(table.name):
        while True:
            page = table.scan(**kwargs)
            for item in page["Items"]:
                if item["pk"].startswith("METRICS#") and item["sk"].startswith("DAY#"):
                    days[item["pk"][len("METRICS#"):]][date.fromisoformat(item["sk"][4:])] = Tally.from_item(item)
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    summaries = 0
    for tenant_days in days.values():
        for period in periods:
            present = [tenant_days[d] for d in period.each_day() if d in tenant_days]
            if present:
                Tally.total(present)
                summaries += 1
    return summaries


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--days", type=int, default=366, help="days of metrics from 2026-01-01 (also the backfill length)")
    args = parser.parse_args(argv)
    if not 1 <= args.days <= 366 or args.clients < 1:
        parser.error("--days must be 1..366 and --clients at least 1")

    import boto3
    from moto import mock_aws

    from bench.metrics_data import seed, synthetic_year
    from tests.metrics_support import ENV, TABLE, reset_caches

    os.environ.update({**ENV, "SUMMARY_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:bench-summaries",
                       "POWERTOOLS_LOG_LEVEL": "WARNING"})
    with mock_aws(), dynamodb_read_costs():
        boto3.setup_default_session()
        boto3.client("sns").create_topic(Name="bench-summaries")
        boto3.client("s3").create_bucket(Bucket=ENV["BUCKET_NAME"])  # the aggregation's planned tenants
        boto3.client("dynamodb").create_table(
            TableName=TABLE, BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}])
        seed_table = boto3.resource("dynamodb").Table(TABLE)
        started = time.perf_counter()
        events = list(synthetic_year(args.clients, FIRST_DAY, args.days))
        outcomes = sum(e.kind == "client_outcome" for e in events)
        written = seed(seed_table, events)
        del events
        print(f"seeded {outcomes:,} client outcomes of {args.clients} clients over {args.days} days: "
              f"{written:,} items in {time.perf_counter() - started:.1f} s")

        counter = ReadCounter()
        boto3.DEFAULT_SESSION.events.register("after-call.dynamodb", counter)
        reset_caches()  # project clients are created after the hook, so they carry it
        table = boto3.resource("dynamodb").Table(TABLE)
        last = FIRST_DAY + timedelta(days=args.days - 1)
        cases = [
            ("daily", {"run_date": (FIRST_DAY + timedelta(days=min(args.days, 322) - 1)).isoformat()}),
            (f"backfill {args.days} d", {"backfill": True, "start_date": FIRST_DAY.isoformat(), "end_date": last.isoformat()}),
            ("1 January", {"run_date": date(FIRST_DAY.year + 1, 1, 1).isoformat()}),
        ]
        print(f"{'aggregation':<16}{'summaries':>10}{'items read':>12}{'seconds':>9}   |{'Scan items':>12}{'seconds':>9}"
              f"   | ratio items{'':>3}ratio s")
        for label, run_input in cases:
            started_at = f"{run_input.get('run_date') or last.isoformat()}T02:00:00Z"
            started = time.perf_counter()
            output = aggregate(run_input, f"bench-{label.replace(' ', '-')}", started_at)
            ours_seconds = time.perf_counter() - started
            ours_items, _ = counter.take()
            started = time.perf_counter()
            scan_baseline(table, run_input, started_at)
            scan_seconds = time.perf_counter() - started
            scan_items, _ = counter.take()
            print(f"{label:<16}{output['summaries_written']:>10,}{ours_items:>12,}{ours_seconds:>9.1f}   |"
                  f"{scan_items:>12,}{scan_seconds:>9.1f}   | {scan_items / max(ours_items, 1):>8.1f}x"
                  f"{scan_seconds / max(ours_seconds, 1e-9):>9.1f}x")
        print("ours = the stage functions the state machine runs, summaries written included; "
              "Scan = read every item and sum the same periods in memory (no writes).")


if __name__ == "__main__":
    main()

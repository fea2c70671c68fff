"""Synthetic run metrics, and a fast way to store them.

`seed` writes the day buckets that applying the events one by one would leave (the same
`bucket_changes` the applier uses, folded in memory), plus one applied-event item per event, with
batch writes. The benchmark and the long tests need it: moto's TransactWriteItems deep-copies
the whole table on every call, so applying 180,000 events through the real transaction would
take hours locally (in DynamoDB a transaction costs the same whatever the table size).
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from chalicelib.core.constants import METRIC_EVENT_RETENTION_DAYS, PK_METRIC_EVENT_PREFIX, TTL_ATTRIBUTE
from chalicelib.core.metric_events import ClientOutcome, RunEnd, client_outcome, run_end
from chalicelib.metrics.store import day_key
from chalicelib.metrics.tally import bucket_changes


def fold(events: Iterable[ClientOutcome | RunEnd]) -> dict[tuple[str, str], dict[str, Any]]:
    """{(pk, sk): item} of the day buckets the events make (each event id counted once)."""
    buckets: dict[tuple[str, str], dict[str, Any]] = {}
    seen: set[str] = set()
    for event in events:
        if event.event_id in seen:
            continue
        seen.add(event.event_id)
        for tenant, adds, maxima in bucket_changes(event):
            key = day_key(tenant, event.day)
            item = buckets.setdefault((key["pk"], key["sk"]), dict(key))
            for name, value in adds.items():  # what ADD does: sum numbers, union sets
                item[name] = item.get(name, set()) | value if isinstance(value, set) else item.get(name, 0) + value
            for name, value in maxima.items():
                item[name] = max(item.get(name, 0), value)
    return buckets


def seed(table: Any, events: list[ClientOutcome | RunEnd], event_records: bool = True) -> int:
    """Write the folded buckets (and the applied-event items) with batch writes; returns items written."""
    buckets = fold(events)
    expiry = int(time.time()) + METRIC_EVENT_RETENTION_DAYS * 86400
    written = 0
    with table.batch_writer(overwrite_by_pkeys=["pk", "sk"]) as writer:
        for item in buckets.values():
            writer.put_item(Item=item)
            written += 1
        if event_records:
            for event in {e.event_id: e for e in events}.values():
                writer.put_item(Item={"pk": f"{PK_METRIC_EVENT_PREFIX}{event.event_id}", "sk": "EVENT", "kind": event.kind,
                                      "day": event.day.isoformat(), TTL_ATTRIBUTE: expiry})
                written += 1
    return written


CATEGORIES = ("throttling", "authorization", "configuration", "network", "service_unavailable")


def synthetic_year(clients: int, first_day: date, days: int, seed_value: int = 10) -> Iterator[ClientOutcome | RunEnd]:
    """One daily run a day with every client: ~94% delivered, 5% skipped, 1% failed; durations
    of seconds to minutes per client, the run about as long as its slowest client plus a margin."""
    rng = random.Random(seed_value)
    client_ids = [f"client-{n:04d}" for n in range(clients)]
    for offset in range(days):
        started = datetime.combine(first_day + timedelta(days=offset), datetime.min.time(), UTC).replace(hour=8)
        run_id = f"scheduled-daily-{started:%Y-%m-%d}"
        slowest = 0.0
        failures = False
        for client_id in client_ids:
            draw = rng.random()
            status = "completed" if draw < 0.94 else "skipped" if draw < 0.99 else "failed"
            failures |= status == "failed"
            seconds = rng.lognormvariate(1.5, 0.8) if status != "skipped" else None
            slowest = max(slowest, seconds or 0)
            begun = started + timedelta(seconds=rng.uniform(1, 60))
            record = {"client_id": client_id, "status": status,
                      "category": rng.choice(CATEGORIES) if status == "failed" else None,
                      "ce_requests": 1 + (rng.random() < 0.1) if status != "skipped" else 0,
                      "spend_reported": Decimal(rng.randint(1000, 500000)) / 100 if status == "completed" else 0,
                      "started_at": begun.isoformat() if seconds is not None else None,
                      "updated_at": (begun + timedelta(seconds=seconds or 0)).isoformat()}
            yield client_outcome(run_id, started, record)
        yield run_end(run_id, "daily", started, started + timedelta(seconds=90 + slowest), failures)

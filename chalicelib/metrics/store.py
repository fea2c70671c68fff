"""The metrics subsystem's items in the project table. Every read is by key (GetItem or Query
on one partition): nothing here scans, so cost grows with days x tenants, not with runs.

  pk                          sk                          what
  METRICS#<tenant>            DAY#<YYYY-MM-DD>            day bucket: a tally (tally.py), ADDed by events;
                                                          the deployment's day is the sum of `*` (run
                                                          ends) and `*#00`..`*#15` (client outcomes,
                                                          by the client's shard): no hot key
  METRICS#ACTIVE#<YYYY-MM>#<nn>  <day>#<client>#<digest>  an applied client outcome (written in the same
                                                          transaction as its increments): the index
                                                          of the month's active clients, shard nn
  METRICS#EVENT#<event id>    EVENT                       an applied run end or unknown client's
                                                          outcome (same transaction); TTL `expiration`
  SUMMARY#<tenant>            <type>#<YYYY-MM-DD>         a period summary (put: reruns overwrite)
  METRICS#TENANTS             <tenant>                    every tenant with summaries (the reader's index)
  AGGREGATION#<run id>        TENANT#<tenant>             a tenant's outcome in one aggregation run

<tenant> is a client id or "*" (the whole deployment); days are UTC days of execution start.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import time
from collections.abc import Collection, Iterable
from datetime import date, timedelta
from typing import Any, Literal

from chalicelib.core.caches import register as register_cache
from chalicelib.core.constants import (
    AGGREGATION_BATCH_TENANTS,
    AGGREGATION_TENANTS_OBJECT,
    AGGREGATIONS_PREFIX,
    DEPLOYMENT_TENANT,
    METRIC_EVENT_RETENTION_DAYS,
    METRIC_SHARDS,
    PK_AGGREGATION_PREFIX,
    PK_METRIC_ACTIVE_PREFIX,
    PK_METRIC_EVENT_PREFIX,
    PK_METRIC_TENANTS,
    PK_METRICS_PREFIX,
    PK_SUMMARY_PREFIX,
    TTL_ATTRIBUTE,
)
from chalicelib.core.errors import ServiceUnavailableError, classify_aws_error
from chalicelib.core.metric_events import ClientOutcome, RunEnd
from chalicelib.core.store import table
from chalicelib.metrics.calendar import SummaryPeriod
from chalicelib.metrics.contracts import ObjectRef
from chalicelib.metrics.tally import Tally, bucket_changes, deployment_buckets, shard_of

Applied = Literal["applied", "duplicate"]


def day_key(tenant: str, day: date) -> dict[str, str]:
    return {"pk": f"{PK_METRICS_PREFIX}{tenant}", "sk": f"DAY#{day.isoformat()}"}


def summary_key(tenant: str, period: SummaryPeriod) -> dict[str, str]:
    return {"pk": f"{PK_SUMMARY_PREFIX}{tenant}", "sk": period.key}


# ---- applying events -------------------------------------------------------------------------

def apply_event(event: ClientOutcome | RunEnd, unknown_client: str | None = None) -> Applied:
    """Count one event exactly once, in ONE transaction of constant size whatever the number of
    clients: a record that the event was applied (with attribute_not_exists, so a redelivered
    event cancels the whole write), the ADDs to its day buckets, and the maxima it raises.

    A known client's outcome is recorded as its active marker (METRICS#ACTIVE#<month>#<shard>, the
    index the aggregation lists the day's tenants from); a run end, or an outcome whose client is
    not known (`unknown_client`: why, kept on the record), as an applied-event item with a TTL.

    Maxima are SET in the same transaction under `attribute_not_exists(m) OR m < v`; when another
    event raised one higher meanwhile, the cancelled transaction is written again without it (the
    shards' maxima already known to this container are not tried at all)."""
    changes = bucket_changes(event, known_client=not unknown_client)
    record = _applied_record(event, unknown_client)
    pending = {bucket: dict(maxima) for bucket, _, maxima in changes}
    for bucket, maxima in pending.items():
        for name, value in list(maxima.items()):
            if value <= _known_maxima.get((bucket, event.day, name), -1):
                del maxima[name]
    conflicts = 0
    for _ in range(1 + len(changes) + MAX_CONFLICT_RETRIES):  # each retry drops a maximum or counts a conflict
        try:
            table.transact_write([record, *(_bucket_update(bucket, event.day, adds, pending[bucket])
                                            for bucket, adds, _ in changes)])
        except Exception as exc:
            if table.transaction_conflict(exc) and conflicts < MAX_CONFLICT_RETRIES:
                # Another event's transaction held a shared bucket (a deployment shard) at that
                # moment: nothing was written; again after a short, random wait.
                conflicts += 1
                time.sleep(random.uniform(0, CONFLICT_BACKOFF_SECONDS * 2 ** conflicts))
                continue
            failed = table.cancelled_items(exc)
            if failed is None:
                raise classify_aws_error(exc, f"apply metric event {event.event_id}") from exc
            if 0 in failed:  # applied before: repair what a lost maximum may have missed
                for bucket, _, maxima in changes:
                    for name, value in maxima.items():
                        _raise_maximum(day_key(bucket, event.day), name, value)
                return "duplicate"
            for index in failed:  # a maximum already higher: learn it, write without it
                bucket = changes[index - 1][0]
                for name, value in pending[bucket].items():
                    _learn_maximum(bucket, event.day, name, value)
                pending[bucket] = {}
            continue
        for bucket, maxima in pending.items():
            for name, value in maxima.items():
                _learn_maximum(bucket, event.day, name, value)
        return "applied"
    raise ServiceUnavailableError(f"apply metric event {event.event_id}: maxima kept changing, retry")


MAX_CONFLICT_RETRIES = 4  # then the record fails and SQS delivers it again (the batch item failure)
MAX_TRANSACTION_ITEMS = 100  # DynamoDB's limit for one TransactWriteItems


def apply_events_together(events: list[tuple[ClientOutcome | RunEnd, str | None]]) -> bool:
    """Several events (each with its `unknown_client` reason or None) in ONE TransactWriteItems:
    each event's applied record, as apply_event writes it, and each day bucket they change ONCE,
    with the ADDs of every event that changes it summed and the highest of their maxima. A batch of
    the queue (10 events) is one request instead of ten, and the deployment shards two events
    share are one update.

    All or nothing, as one event's transaction is: a redelivered event (its record exists), a
    maximum already higher, a conflict or any other failure cancels the whole write, nothing is
    counted, and False tells the caller to apply the events one by one (apply_event tells those
    cases apart). True when every event was applied."""
    if len(events) < 2:
        return False
    records = [_applied_record(event, unknown) for event, unknown in events]
    buckets: dict[tuple[str, date], tuple[dict[str, Any], dict[str, int]]] = {}
    for event, unknown in events:
        for bucket, adds, maxima in bucket_changes(event, known_client=not unknown):
            summed, highest = buckets.setdefault((bucket, event.day), ({}, {}))
            for name, value in adds.items():
                summed[name] = summed.get(name, 0) + value
            for name, value in maxima.items():
                highest[name] = max(value, highest.get(name, value))
    for (bucket, day), (_, highest) in buckets.items():
        for name, value in list(highest.items()):
            if value <= _known_maxima.get((bucket, day, name), -1):
                del highest[name]
    if len(records) + len(buckets) > MAX_TRANSACTION_ITEMS:
        return False
    keys = list(buckets)
    for _ in range(1 + len(keys)):  # each retry drops the maxima of at least one bucket
        updates = [_bucket_update(bucket, day, *buckets[bucket, day]) for bucket, day in keys]
        try:
            table.transact_write([*records, *updates])
        except Exception as exc:  # noqa: BLE001 - nothing was written
            failed = table.cancelled_items(exc)
            if not failed or min(failed) < len(records):
                return False  # a record exists (a redelivery), a conflict, any failure: one by one
            for index in failed:  # a maximum already higher: learn it, write without it
                bucket, day = keys[index - len(records)]
                for name, value in buckets[bucket, day][1].items():
                    _learn_maximum(bucket, day, name, value)
                buckets[bucket, day][1].clear()
            continue
        for bucket, day in keys:
            for name, value in buckets[bucket, day][1].items():
                _learn_maximum(bucket, day, name, value)
        return True
    return False

CONFLICT_BACKOFF_SECONDS = 0.02


def _applied_record(event: ClientOutcome | RunEnd, unknown_client: str | None) -> dict[str, Any]:
    """The transaction's first item: the event's applied record, under attribute_not_exists."""
    if isinstance(event, ClientOutcome) and not unknown_client:
        item: dict[str, Any] = {**active_key(event.client_id, event.day, event.event_id), "tenant": event.client_id,
                                "run_id": event.run_id}
    else:
        item = {"pk": f"{PK_METRIC_EVENT_PREFIX}{event.event_id}", "sk": "EVENT", "kind": event.kind,
                "day": event.day.isoformat(), TTL_ATTRIBUTE: table.expiry(METRIC_EVENT_RETENTION_DAYS)}
        if unknown_client:
            item["tenant_rejected"] = unknown_client
    return {"Put": {"TableName": table.table_name(), "Item": table.serialized(item),
                    "ConditionExpression": "attribute_not_exists(pk)"}}


def active_key(client_id: str, day: date, event_id: str) -> dict[str, str]:
    """A client outcome's applied record: one small item per event, in its month's shard of active
    clients (sorted by day, then client id; the digest tells events of one day apart)."""
    digest = base64.urlsafe_b64encode(hashlib.sha256(event_id.encode("utf-8")).digest()[:16]).decode().rstrip("=")
    return {"pk": f"{PK_METRIC_ACTIVE_PREFIX}{day:%Y-%m}#{shard_of(client_id):02d}",
            "sk": f"{day.isoformat()}#{client_id}#{digest}"}


def _bucket_update(bucket: str, day: date, adds: dict[str, Any], maxima: dict[str, int]) -> dict[str, Any]:
    names = {f"#a{i}": name for i, name in enumerate(adds)}
    values = {f":a{i}": value for i, value in enumerate(adds.values())}
    update: dict[str, Any] = {"TableName": table.table_name(), "Key": table.serialized(day_key(bucket, day))}
    expression = "ADD " + ", ".join(f"#a{i} :a{i}" for i in range(len(adds)))
    if maxima:
        names.update({f"#m{i}": name for i, name in enumerate(maxima)})
        values.update({f":m{i}": value for i, value in enumerate(maxima.values())})
        expression += " SET " + ", ".join(f"#m{i} = :m{i}" for i in range(len(maxima)))
        update["ConditionExpression"] = " AND ".join(f"(attribute_not_exists(#m{i}) OR #m{i} < :m{i})"
                                                     for i in range(len(maxima)))
    update.update(UpdateExpression=expression, ExpressionAttributeNames=names,
                  ExpressionAttributeValues=table.serialized(values))
    return {"Update": update}


# Maxima of the deployment's buckets this container knows are at least this high (a client's own
# bucket takes a few events a day: not worth remembering). Never more than a few days x shards.
_known_maxima: dict[tuple[str, date, str], int] = {}
MAX_KNOWN_MAXIMA = 4096


@register_cache
def _forget_known_maxima() -> None:
    _known_maxima.clear()


def _learn_maximum(bucket: str, day: date, name: str, value: int) -> None:
    if not bucket.startswith(DEPLOYMENT_TENANT):
        return
    if len(_known_maxima) >= MAX_KNOWN_MAXIMA:
        _known_maxima.clear()
    key = (bucket, day, name)
    _known_maxima[key] = max(value, _known_maxima.get(key, value))


_known_clients: set[str] = set()  # ids with a stored config, per warm container (a client stays known)


@register_cache
def _forget_known_clients() -> None:
    _known_clients.clear()


def unknown_client_reason(client_id: str, absent: Collection[str] = ()) -> str | None:
    """None when `client_id` is a client (a valid id with a config stored under it), else why not.
    Outcomes of anything else (an invalid config entry stored under its position, `entry[3]`; a
    deleted client; a forged message) are counted for the deployment only and never make a tenant."""
    from chalicelib.core import clients
    from chalicelib.core.models import CLIENT_ID_PATTERN

    if client_id in _known_clients:
        return None
    if not CLIENT_ID_PATTERN.fullmatch(client_id):
        return f"{client_id[:80]!r} is not a valid client id"
    if client_id in absent or not clients.is_stored(client_id):  # absent: just asked (learn_known_clients)
        return f"no client config is stored under {client_id!r}"
    _known_clients.add(client_id)
    return None


def learn_known_clients(client_ids: Iterable[str]) -> set[str]:
    """Ask at once which of these ids (those not yet known, valid) are clients: one BatchGetItem for
    a batch of the queue instead of a GetItem per new client in unknown_client_reason. Returns the
    ids asked that have no config (for unknown_client_reason's `absent`)."""
    from chalicelib.core import clients
    from chalicelib.core.models import CLIENT_ID_PATTERN

    asked = [client_id for client_id in dict.fromkeys(client_ids)
             if client_id not in _known_clients and CLIENT_ID_PATTERN.fullmatch(client_id)]
    if not asked:
        return set()
    stored = clients.stored_ids(asked)
    _known_clients.update(stored)
    return set(asked) - stored


def _raise_maximum(key: dict[str, str], name: str, value: int) -> None:
    try:
        table.table().update_item(Key=key, UpdateExpression="SET #m = :v",
                                  ConditionExpression="attribute_not_exists(#m) OR #m < :v",
                                  ExpressionAttributeNames={"#m": name}, ExpressionAttributeValues={":v": value})
    except Exception as exc:
        if not table.condition_failed(exc):  # already as high: nothing to do
            raise classify_aws_error(exc, f"raise {name}") from exc


# ---- reading buckets and summaries (Query on one partition, every page) ------------------------

def _between(pk: str, low: str, high: str, **extra: Any) -> dict[str, Any]:
    return {"KeyConditionExpression": "pk = :pk AND sk BETWEEN :lo AND :hi",
            "ExpressionAttributeValues": {":pk": pk, ":lo": low, ":hi": high}, **extra}


def day_tallies(tenant: str, start: date, end: date) -> dict[date, Tally]:
    """A tenant's day buckets in [start, end) (days without one are absent). The deployment's day
    is the sum of its buckets (tally.deployment_buckets: the run ends and one per shard)."""
    last = end - timedelta(days=1)
    days: dict[date, Tally] = {}
    for bucket in deployment_buckets() if tenant == DEPLOYMENT_TENANT else [tenant]:
        query = _between(f"{PK_METRICS_PREFIX}{bucket}", f"DAY#{start.isoformat()}", f"DAY#{last.isoformat()}",
                         ConsistentRead=True)
        for item in table.query("read day buckets", **query):
            day = date.fromisoformat(item["sk"][4:])
            if day in days:
                days[day].add(Tally.from_item(item))
            else:
                days[day] = Tally.from_item(item)
    return days


def active_tenants(start: date, end: date) -> set[str]:
    """Clients with at least one outcome applied in [start, end): a paged Query of each month's
    shards of active markers, for the days of the range (16 Queries a month, whatever the number
    of clients; the items grow with clients x days, no item does)."""
    found: set[str] = set()
    last = end - timedelta(days=1)
    month = start.replace(day=1)
    while month <= last:
        for shard in range(METRIC_SHARDS):
            query = _between(f"{PK_METRIC_ACTIVE_PREFIX}{month:%Y-%m}#{shard:02d}", start.isoformat(),
                             f"{last.isoformat()}#~", ProjectionExpression="tenant")  # "~" sorts after any client id
            found.update(item["tenant"] for item in table.query("read active tenants", **query))
        month = (month + timedelta(days=31)).replace(day=1)
    return found


def monthly_summaries(tenant: str, year: int) -> list[dict[str, Any]]:
    query = _between(f"{PK_SUMMARY_PREFIX}{tenant}", f"monthly#{year:04d}-01-01", f"monthly#{year:04d}-12-01",
                     ConsistentRead=True)
    return list(table.query("read monthly summaries", **query))


def summaries(tenant: str, period_type: str | None = None) -> list[dict[str, Any]]:
    """A tenant's stored summaries, optionally of one period type, oldest first."""
    if period_type:
        query = {"KeyConditionExpression": "pk = :pk AND begins_with(sk, :type)",
                 "ExpressionAttributeValues": {":pk": f"{PK_SUMMARY_PREFIX}{tenant}", ":type": f"{period_type}#"}}
    else:
        query = {"KeyConditionExpression": "pk = :pk", "ExpressionAttributeValues": {":pk": f"{PK_SUMMARY_PREFIX}{tenant}"}}
    return list(table.query("read summaries", **query))


def summary_tenants() -> list[str]:
    query = {"KeyConditionExpression": "pk = :pk", "ExpressionAttributeValues": {":pk": PK_METRIC_TENANTS}}
    return [item["sk"] for item in table.query("read summary tenants", **query)]


# ---- writing summaries and aggregation outcomes ---------------------------------------------------

def put_summaries(items_by_tenant: dict[str, list[dict[str, Any]]]) -> int:
    """Write summary items (deterministic keys: a rerun overwrites) and register each tenant, for
    many tenants in one stream of BatchWriteItem requests (25 items each)."""
    written = 0
    with table.translated("write summaries"), table.table().batch_writer(overwrite_by_pkeys=["pk", "sk"]) as writer:
        for tenant, items in items_by_tenant.items():
            for item in items:
                writer.put_item(Item=item)
                written += 1
            writer.put_item(Item={"pk": PK_METRIC_TENANTS, "sk": tenant})
    return written


def planned_tenants_key(run_id: str) -> str:
    return f"{AGGREGATIONS_PREFIX}{run_id}/{AGGREGATION_TENANTS_OBJECT}"


def put_planned_tenants(run_id: str, tenants: list[str]) -> ObjectRef:
    """The aggregation Map's items: a JSON list of batches (lists of at most AGGREGATION_BATCH_TENANTS
    tenant ids), what its ItemReader reads; each batch is one child execution."""
    from chalicelib.core.settings import get_settings
    from chalicelib.core.store.objects import put_text

    size = AGGREGATION_BATCH_TENANTS
    batches = [tenants[start:start + size] for start in range(0, len(tenants), size)]
    key = put_text(planned_tenants_key(run_id), json.dumps(batches), "application/json")
    return ObjectRef(bucket=get_settings().bucket_name, key=key)


def planned_batches(run_id: str) -> list[list[str]]:
    from chalicelib.core.store.objects import get_text

    return [list(batch) for batch in json.loads(get_text(planned_tenants_key(run_id)))]


def tenant_outcome_item(run_id: str, tenant: str, attrs: dict[str, Any]) -> dict[str, Any]:
    return {"pk": f"{PK_AGGREGATION_PREFIX}{run_id}", "sk": f"TENANT#{tenant}", "tenant": tenant, **attrs,
            **table.run_record_expiry()}  # a run's record: kept the stage's run_record_days


def put_tenant_outcomes(run_id: str, outcomes: dict[str, dict[str, Any]]) -> None:
    """Each tenant's outcome in one aggregation run (BatchWriteItem, 25 a request; reruns overwrite)."""
    with table.translated("record tenant outcomes"), table.table().batch_writer(overwrite_by_pkeys=["pk", "sk"]) as writer:
        for tenant, attrs in outcomes.items():
            writer.put_item(Item=tenant_outcome_item(run_id, tenant, attrs))


def tenant_outcomes(run_id: str) -> list[dict[str, Any]]:
    query = {"KeyConditionExpression": "pk = :pk", "ExpressionAttributeValues": {":pk": f"{PK_AGGREGATION_PREFIX}{run_id}"},
             "ConsistentRead": True}
    return list(table.query("read tenant outcomes", **query))


def get_summary(tenant: str, period: SummaryPeriod) -> dict[str, Any] | None:
    with table.translated("read summary"):
        return table.table().get_item(Key=summary_key(tenant, period), ConsistentRead=True).get("Item")

"""The metrics subsystem's items in the project table. Every read is by key (GetItem or Query
on one partition): nothing here scans, so cost grows with days x tenants, not with runs.

  pk                          sk                          what
  METRICS#<tenant>            DAY#<YYYY-MM-DD>            day bucket: a tally (tally.py), ADDed by events;
                                                          the deployment's (tenant "*") also holds
                                                          `tenants`, the set of clients active that day
  METRICS#EVENT#<event id>    EVENT                       an applied event (written in the same
                                                          transaction as its increments); TTL `expiration`
  SUMMARY#<tenant>            <type>#<YYYY-MM-DD>         a period summary (put: reruns overwrite)
  METRICS#TENANTS             <tenant>                    every tenant with summaries (the reader's index)
  AGGREGATION#<run id>        TENANT#<tenant>             a tenant's outcome in one aggregation run

<tenant> is a client id or "*" (the whole deployment); days are UTC days of execution start.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any, Literal

from chalicelib.core.caches import register as register_cache
from chalicelib.core.constants import (
    DEPLOYMENT_TENANT,
    METRIC_EVENT_RETENTION_DAYS,
    PK_AGGREGATION_PREFIX,
    PK_METRIC_EVENT_PREFIX,
    PK_METRIC_TENANTS,
    PK_METRICS_PREFIX,
    PK_SUMMARY_PREFIX,
    TTL_ATTRIBUTE,
)
from chalicelib.core.errors import classify_aws_error
from chalicelib.core.metric_events import ClientOutcome, RunEnd
from chalicelib.core.store import table
from chalicelib.metrics.calendar import SummaryPeriod
from chalicelib.metrics.tally import Tally, bucket_changes

Applied = Literal["applied", "duplicate"]


def day_key(tenant: str, day: date) -> dict[str, str]:
    return {"pk": f"{PK_METRICS_PREFIX}{tenant}", "sk": f"DAY#{day.isoformat()}"}


def summary_key(tenant: str, period: SummaryPeriod) -> dict[str, str]:
    return {"pk": f"{PK_SUMMARY_PREFIX}{tenant}", "sk": period.key}


# ---- applying events -------------------------------------------------------------------------

def apply_event(event: ClientOutcome | RunEnd, unknown_client: str | None = None) -> Applied:
    """Count one event exactly once: its id and its increments are written in ONE transaction
    (the id with attribute_not_exists), so a redelivered event cancels the whole write.

    `unknown_client`: why the outcome's client is not a tenant (unknown_client_reason); it is then
    counted for the deployment only, and the reason is kept on the applied-event item.

    Maxima cannot be added, so they are raised after the transaction with a conditional SET;
    raising a maximum twice changes nothing, so it is also done for a duplicate (a crash between
    the transaction and the maxima is repaired by the redelivery)."""
    from chalicelib.core.settings import get_settings

    table_name = get_settings().table_name
    event_item = {"pk": f"{PK_METRIC_EVENT_PREFIX}{event.event_id}", "sk": "EVENT", "kind": event.kind,
                  "day": event.day.isoformat(), TTL_ATTRIBUTE: table.expiry(METRIC_EVENT_RETENTION_DAYS)}
    if unknown_client:
        event_item["tenant_rejected"] = unknown_client
    transact: list[dict[str, Any]] = [{"Put": {
        "TableName": table_name, "Item": table.serialized(event_item), "ConditionExpression": "attribute_not_exists(pk)"}}]
    changes = bucket_changes(event, known_client=not unknown_client)
    for tenant, adds, _ in changes:
        names = {f"#a{i}": name for i, name in enumerate(adds)}
        values = table.serialized({f":a{i}": value for i, value in enumerate(adds.values())})
        transact.append({"Update": {
            "TableName": table_name,
            "Key": table.serialized(day_key(tenant, event.day)),
            "UpdateExpression": "ADD " + ", ".join(f"#a{i} :a{i}" for i in range(len(adds))),
            "ExpressionAttributeNames": names, "ExpressionAttributeValues": values}})
    outcome: Applied = "applied"
    try:
        table.transact_write(transact)
    except Exception as exc:
        # Cancelled by the event-id condition (the first item), nothing else: applied before.
        if not table.cancelled_by_condition(exc, first_only=True):
            raise classify_aws_error(exc, f"apply metric event {event.event_id}") from exc
        outcome = "duplicate"
    for tenant, _, maxima in changes:
        for name, value in maxima.items():
            _raise_maximum(day_key(tenant, event.day), name, value)
    return outcome


_known_clients: set[str] = set()  # ids with a stored config, per warm container (a client stays known)


@register_cache
def _forget_known_clients() -> None:
    _known_clients.clear()


def unknown_client_reason(client_id: str) -> str | None:
    """None when `client_id` is a client (a valid id with a config stored under it), else why not.
    Outcomes of anything else (an invalid config entry stored under its position, `entry[3]`; a
    deleted client; a forged message) are counted for the deployment only and never make a tenant."""
    from chalicelib.core import clients
    from chalicelib.core.models import CLIENT_ID_PATTERN

    if client_id in _known_clients:
        return None
    if not CLIENT_ID_PATTERN.fullmatch(client_id):
        return f"{client_id[:80]!r} is not a valid client id"
    if not clients.is_stored(client_id):
        return f"no client config is stored under {client_id!r}"
    _known_clients.add(client_id)
    return None


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
    """A tenant's day buckets in [start, end) (days without one are absent)."""
    last = end - timedelta(days=1)
    query = _between(f"{PK_METRICS_PREFIX}{tenant}", f"DAY#{start.isoformat()}", f"DAY#{last.isoformat()}",
                     ConsistentRead=True)
    return {date.fromisoformat(item["sk"][4:]): Tally.from_item(item) for item in table.query("read day buckets", **query)}


def active_tenants(start: date, end: date) -> set[str]:
    """Clients with at least one event in [start, end), from the deployment's day buckets."""
    last = end - timedelta(days=1)
    query = _between(f"{PK_METRICS_PREFIX}{DEPLOYMENT_TENANT}", f"DAY#{start.isoformat()}", f"DAY#{last.isoformat()}",
                     ProjectionExpression="tenants", ConsistentRead=True)
    found: set[str] = set()
    for item in table.query("read active tenants", **query):
        found.update(item.get("tenants", ()))
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

def put_summaries(tenant: str, items: Iterable[dict[str, Any]]) -> int:
    """Write summary items (deterministic keys: a rerun overwrites) and register the tenant."""
    written = 0
    with table.translated("write summaries"), table.table().batch_writer(overwrite_by_pkeys=["pk", "sk"]) as writer:
        for item in items:
            writer.put_item(Item=item)
            written += 1
        writer.put_item(Item={"pk": PK_METRIC_TENANTS, "sk": tenant})
    return written


def put_tenant_outcome(run_id: str, tenant: str, attrs: dict[str, Any]) -> None:
    item = {"pk": f"{PK_AGGREGATION_PREFIX}{run_id}", "sk": f"TENANT#{tenant}", "tenant": tenant, **attrs}
    with table.translated("record tenant outcome"):
        table.table().put_item(Item=item)


def tenant_outcomes(run_id: str) -> list[dict[str, Any]]:
    query = {"KeyConditionExpression": "pk = :pk", "ExpressionAttributeValues": {":pk": f"{PK_AGGREGATION_PREFIX}{run_id}"},
             "ConsistentRead": True}
    return list(table.query("read tenant outcomes", **query))


def get_summary(tenant: str, period: SummaryPeriod) -> dict[str, Any] | None:
    with table.translated("read summary"):
        return table.table().get_item(Key=summary_key(tenant, period), ConsistentRead=True).get("Item")

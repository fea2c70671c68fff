"""The cost report's own records: in the project table (chalicelib/core/store/table.py) and, for each
run's artefacts, in the reports bucket.

  DELIVERY#<client>  / <type>#<period start>  a delivered report (message id, run, time): the ledger
                                              that decides whether a period's report is due
  RUN#<run_id>       / META | CLIENT#<id>     a run and its per-client records
  RUNS               / <started_at>#<run_id>  run history, newest last
  s3://<bucket>/runs/<run_id>/<client_id>/<name>  a run's artefacts (the costs with their context, the rendered
                                              report, the MIME message); runs/<run_id>/eligible.json
                                              holds the Distributed Map's items. States pass these
                                              keys, never the bodies (256 KB payload limit).
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterator, Sequence
from typing import Any

from pydantic import BaseModel

from chalicelib.core import aws
from chalicelib.core.constants import (
    ELIGIBLE_IDS_OBJECT,
    PK_DELIVERY_PREFIX,
    PK_RUN_PREFIX,
    PK_RUNS,
    RUNS_PREFIX,
    SK_CLIENT_PREFIX,
    SK_RUN_META,
)
from chalicelib.core.errors import ThrottlingError
from chalicelib.core.periods import utcnow
from chalicelib.core.settings import get_settings
from chalicelib.core.store import table

# The report stages read and write their artefacts through their own store: the object helpers are
# shared with every subsystem (chalicelib/core/store/objects.py) and handed on here.
from chalicelib.core.store.objects import get_bytes, get_model, get_text, put_bytes, put_model, put_text  # noqa: F401

# ---- the delivery ledger --------------------------------------------------------------------------


def delivery_key(client_id: str, report_type: str, period_start: str) -> dict[str, str]:
    return {"pk": f"{PK_DELIVERY_PREFIX}{client_id}", "sk": f"{report_type}#{period_start}"}


# BatchGetItem returns the keys it could not serve (throughput) as UnprocessedKeys: asked again with
# exponential backoff (AWS's advice); still unserved after that, the stage fails with ThrottlingError
# and the ASL retries it, rather than carry on as if those items did not exist.
BATCH_GET_ROUNDS = 6
BATCH_GET_BACKOFF_SECONDS = 0.05


def batch_get(keys: list[dict[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
    """Ledger items by (pk, sk); 100 keys a request, unprocessed keys asked again after a backoff."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    table_name = get_settings().table_name
    resource = aws.resource("dynamodb")
    unique = list({(k["pk"], k["sk"]): k for k in keys}.values())
    for start in range(0, len(unique), 100):
        request: dict[str, Any] = {table_name: {"Keys": unique[start : start + 100], "ConsistentRead": True}}
        for attempt in range(BATCH_GET_ROUNDS):
            if attempt:
                time.sleep(random.uniform(0, BATCH_GET_BACKOFF_SECONDS * 2**attempt))  # full jitter
            with table.translated("read delivery ledger"):
                reply = resource.batch_get_item(RequestItems=request)
            for item in reply.get("Responses", {}).get(table_name, []):
                found[(item["pk"], item["sk"])] = item
            request = reply.get("UnprocessedKeys") or {}
            if not request:
                break
        else:
            left = len(request.get(table_name, {}).get("Keys", []))
            raise ThrottlingError(f"read delivery ledger: {left} keys still unprocessed after {BATCH_GET_ROUNDS} "
                                  "BatchGetItem rounds")
    return found


def record_delivery(client_id: str, report_type: str, period_start: str, message_id: str, run_id: str,
                    recipients: list[dict[str, Any]] | None = None) -> None:
    """The ledger entry of a period (its latest send: a forced re-send replaces it). It never expires:
    a rerun may name any past period, and only this entry keeps it from being sent again.
    `recipients`: per recipient (masked), sent, already sent or unsubscribed, and its message id."""
    attrs: dict[str, Any] = {"message_id": message_id, "run_id": run_id, "delivered_at": utcnow().isoformat()}
    if recipients is not None:
        attrs["recipients"] = recipients
    with table.translated("record delivery"):
        table.table().put_item(Item={**delivery_key(client_id, report_type, period_start), **attrs})


# ---- runs and per-client records --------------------------------------------------------------------


def update_run_meta(run_id: str, attrs: dict[str, Any]) -> None:
    table.update({"pk": f"{PK_RUN_PREFIX}{run_id}", "sk": SK_RUN_META}, {**attrs, **table.run_record_expiry()},
                 "record run")


def put_client_records(run_id: str, records: list[dict[str, Any]]) -> None:
    """Write many per-client records (batch writer: 25 per request, retries unprocessed items)."""
    expiration = table.run_record_expiry()
    with table.translated("record client records"), table.table().batch_writer(overwrite_by_pkeys=["pk", "sk"]) as writer:
        for record in records:
            writer.put_item(Item={**_client_record_key(run_id, record["client_id"]), **table.clean(record), **expiration})


def _client_record_key(run_id: str, client_id: str) -> dict[str, str]:
    return {"pk": f"{PK_RUN_PREFIX}{run_id}", "sk": f"{SK_CLIENT_PREFIX}{client_id}"}


def put_client_record(run_id: str, client_id: str, attrs: dict[str, Any]) -> None:
    """Replace a client's record with its latest state (a put: cheaper than an update, same result)."""
    item = {**_client_record_key(run_id, client_id), "client_id": client_id, **table.clean(attrs),
            **table.run_record_expiry()}
    with table.translated("record client state"):
        table.table().put_item(Item=item)


def iter_run_items(run_id: str) -> Iterator[dict[str, Any]]:
    return table.query("read run records", KeyConditionExpression="pk = :pk",
                       ExpressionAttributeValues={":pk": f"{PK_RUN_PREFIX}{run_id}"}, ConsistentRead=True)


def iter_client_records(run_id: str) -> Iterator[dict[str, Any]]:
    """The run's per-client records (its META item left out)."""
    return (item for item in iter_run_items(run_id) if item["sk"].startswith(SK_CLIENT_PREFIX))


def put_run_history(run_id: str, started_at: str, summary: dict[str, Any]) -> None:
    with table.translated("record run history"):
        table.table().put_item(Item={"pk": PK_RUNS, "sk": f"{started_at}#{run_id}", "run_id": run_id,
                                     "summary": json.dumps(summary), **table.run_record_expiry()})


# ---- a run's artefacts in S3 -----------------------------------------------------------------------


def artefact_key(run_id: str, client_id: str, name: str) -> str:
    # Tenant isolation by prefix: a run's objects for a client live under its own prefix only.
    return f"{RUNS_PREFIX}{run_id}/{client_id}/{name}"


def eligible_ids_key(run_id: str) -> str:
    return f"{RUNS_PREFIX}{run_id}/{ELIGIBLE_IDS_OBJECT}"


def put_eligible_items(run_id: str, items: Sequence[BaseModel]) -> dict[str, str]:
    """The run's Map items as a JSON list of objects: what the Distributed Map's ItemReader reads."""
    body = "[" + ",".join(item.model_dump_json() for item in items) + "]"
    key = put_text(eligible_ids_key(run_id), body, "application/json")
    return {"bucket": get_settings().bucket_name, "key": key}


# ---- read back by the operator's clients tool (admin/clients.py) --------------------------------------


def last_delivery(client_id: str, report_type: str) -> dict[str, Any] | None:
    """The ledger entry of the latest period delivered for (client, report type), or None (one Query,
    newest first: the sort key's period start is an ISO date, so key order is period order)."""
    with table.translated("read delivery ledger"):
        reply = table.table().query(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :type)", ScanIndexForward=False, Limit=1,
            ExpressionAttributeValues={":pk": f"{PK_DELIVERY_PREFIX}{client_id}", ":type": f"{report_type}#"})
    items = reply.get("Items", [])
    return items[0] if items else None


def recent_runs(limit: int) -> list[dict[str, Any]]:
    """The run history's `limit` latest runs, newest first."""
    with table.translated("read run history"):
        reply = table.table().query(KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": PK_RUNS},
                                    ScanIndexForward=False, Limit=limit)
    return reply.get("Items", [])


def client_records(client_id: str, run_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """run id -> the client's record in that run, for the runs that have one (BatchGetItem)."""
    found = batch_get([_client_record_key(run_id, client_id) for run_id in run_ids])
    return {pk.removeprefix(PK_RUN_PREFIX): item for (pk, _), item in found.items()}

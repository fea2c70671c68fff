"""The project's DynamoDB table: client configs, the delivery ledger, run records.

One table, composite key (pk, sk):
  CLIENTS            / <client_id>            a client config, stored as the raw JSON a person wrote
  DELIVERY#<client>  / <type>#<period start>  a delivered report (message id, run, time): the ledger
                                              that decides whether a period's report is due
  RUN#<run_id>       / META | CLIENT#<id>     a run and its per-client records
  RUNS               / <started_at>#<run_id>  run history, newest last
  idempotency#...    / <hash>                 Powertools idempotency records (deliver stage)
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterator
from typing import Any

from chalicelib.core import aws
from chalicelib.core.constants import (
    PK_CLIENTS,
    PK_DELIVERY_PREFIX,
    PK_RUN_PREFIX,
    PK_RUNS,
    SK_CLIENT_PREFIX,
    SK_RUN_META,
)
from chalicelib.core.errors import ThrottlingError, classify_aws_error
from chalicelib.core.periods import utcnow
from chalicelib.core.settings import get_settings


def _table() -> Any:
    return aws.dynamodb_table(get_settings().table_name)


def _call(doing: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return fn(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - translated into the taxonomy
        raise classify_aws_error(exc, doing) from exc


# ---- client configs -------------------------------------------------------------------------

def put_client_config(raw: dict[str, Any] | str, client_id: str | None = None) -> None:
    """Store a config as written (validation happens when a run reads it, so a bad one is reported, not lost)."""
    text = raw if isinstance(raw, str) else json.dumps(raw, default=str)
    key = client_id or (raw.get("client_id") if isinstance(raw, dict) else None)
    if not isinstance(key, str) or not key:
        raise ValueError("client_id: field required to store a client config")
    _call("store client config", _table().put_item, Item={"pk": PK_CLIENTS, "sk": key, "config": text})


def iter_client_configs() -> Iterator[tuple[str, str]]:
    """(stored key, raw JSON) for every client, in key order."""
    kwargs: dict[str, Any] = {"KeyConditionExpression": "pk = :pk", "ExpressionAttributeValues": {":pk": PK_CLIENTS}}
    while True:
        page = _call("list client configs", _table().query, **kwargs)
        for item in page.get("Items", []):
            yield item["sk"], item.get("config", "")
        if "LastEvaluatedKey" not in page:
            return
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def get_client_config(client_id: str) -> str | None:
    item = _call("read client config", _table().get_item, Key={"pk": PK_CLIENTS, "sk": client_id}).get("Item")
    return item.get("config") if item else None


# ---- delivery ledger -----------------------------------------------------------------------

def delivery_key(client_id: str, report_type: str, period_start: str) -> dict[str, str]:
    return {"pk": f"{PK_DELIVERY_PREFIX}{client_id}", "sk": f"{report_type}#{period_start}"}


# BatchGetItem returns the keys it could not serve (throughput) as UnprocessedKeys: asked again with
# exponential backoff (AWS's advice); still unserved after that, the stage fails with ThrottlingError
# and the ASL retries it, rather than carry on as if those items did not exist.
BATCH_GET_ROUNDS = 6
BATCH_GET_BACKOFF_SECONDS = 0.05


def batch_get(keys: list[dict[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
    """Items by (pk, sk); 100 keys a request, unprocessed keys asked again after a backoff."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    table_name = get_settings().table_name
    resource = aws.resource("dynamodb")
    unique = list({(k["pk"], k["sk"]): k for k in keys}.values())
    for start in range(0, len(unique), 100):
        request: dict[str, Any] = {table_name: {"Keys": unique[start : start + 100], "ConsistentRead": True}}
        for attempt in range(BATCH_GET_ROUNDS):
            if attempt:
                time.sleep(random.uniform(0, BATCH_GET_BACKOFF_SECONDS * 2**attempt))  # full jitter
            reply = _call("read delivery ledger", resource.batch_get_item, RequestItems=request)
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


def record_delivery(client_id: str, report_type: str, period_start: str, message_id: str, run_id: str) -> None:
    """The ledger entry of a period (its latest send: a forced re-send replaces it)."""
    attrs = {"message_id": message_id, "run_id": run_id, "delivered_at": utcnow().isoformat()}
    _call("record delivery", _table().put_item, Item={**delivery_key(client_id, report_type, period_start), **attrs})


# ---- runs and per-client records -----------------------------------------------------------

def update_run_meta(run_id: str, attrs: dict[str, Any]) -> None:
    _update({"pk": f"{PK_RUN_PREFIX}{run_id}", "sk": SK_RUN_META}, attrs, "record run")


def put_client_records(run_id: str, records: list[dict[str, Any]]) -> None:
    """Write many per-client records (batch writer: 25 per request, retries unprocessed items)."""
    def write() -> None:
        with _table().batch_writer(overwrite_by_pkeys=["pk", "sk"]) as writer:
            for record in records:
                writer.put_item(Item={**_client_record_key(run_id, record["client_id"]), **_clean(record)})

    _call("record client records", write)


def _client_record_key(run_id: str, client_id: str) -> dict[str, str]:
    return {"pk": f"{PK_RUN_PREFIX}{run_id}", "sk": f"{SK_CLIENT_PREFIX}{client_id}"}


def put_client_record(run_id: str, client_id: str, attrs: dict[str, Any]) -> None:
    """Replace a client's record with its latest state (a put: cheaper than an update, same result)."""
    item = {**_client_record_key(run_id, client_id), "client_id": client_id, **_clean(attrs)}
    _call("record client state", _table().put_item, Item=item)


def _update(key: dict[str, str], attrs: dict[str, Any], doing: str) -> None:
    attrs = _clean(attrs)
    names = {f"#a{i}": name for i, name in enumerate(attrs)}
    values = {f":v{i}": value for i, value in enumerate(attrs.values())}
    expression = "SET " + ", ".join(f"#a{i} = :v{i}" for i in range(len(attrs)))
    _call(doing, _table().update_item, Key=key, UpdateExpression=expression,
          ExpressionAttributeNames=names, ExpressionAttributeValues=values)


def iter_run_items(run_id: str) -> Iterator[dict[str, Any]]:
    kwargs: dict[str, Any] = {
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": f"{PK_RUN_PREFIX}{run_id}"},
        "ConsistentRead": True,
    }
    while True:
        page = _call("read run records", _table().query, **kwargs)
        yield from page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            return
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def iter_client_records(run_id: str) -> Iterator[dict[str, Any]]:
    """The run's per-client records (its META item left out)."""
    return (item for item in iter_run_items(run_id) if item["sk"].startswith(SK_CLIENT_PREFIX))


def put_run_history(run_id: str, started_at: str, summary: dict[str, Any]) -> None:
    _call(
        "record run history",
        _table().put_item,
        Item={"pk": PK_RUNS, "sk": f"{started_at}#{run_id}", "run_id": run_id, "summary": json.dumps(summary)},
    )


def _clean(attrs: dict[str, Any]) -> dict[str, Any]:
    """Leave out attributes without a value (None or ""): an absent attribute reads back the same."""
    return {k: v for k, v in attrs.items() if v is not None and v != ""}

"""Count every AWS API call made through the in-process AWS, by service and operation.

A botocore `provide-client-params` hook on the session sees each call with its API parameters,
before any emulator answers it (the Lambda bridge, the local Cost Explorer and the SES outbox are
`before-call` hooks, which stop the event chain once one answers). Calls made while a stage handler
runs are counted as the stages'; the rest are the engine's own (Lambda invokes, the Map's ItemReader)
or the runtime's (seeding, progress).

DynamoDB and S3 are billed per request unit, not per API call: a BatchWriteItem of 25 items is 25
write request units. `units` counts items for the batch read operations and 1 for every other
call, except DynamoDB writes, counted as AWS bills them once the call has answered: one write unit
per KB (rounded up) of each item written, twice that inside TransactWriteItems; the size is the
item's as DynamoDB measures it (attribute names and values), after the write for an update.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

DYNAMODB_READS = frozenset({"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"})
DYNAMODB_WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})
S3_GETS = frozenset({"GetObject", "HeadObject", "ListObjectsV2", "ListObjects"})
BATCHED = frozenset({"BatchWriteItem", "BatchGetItem", "TransactWriteItems", "TransactGetItems"})
S3_PUTS = frozenset({"PutObject", "CopyObject", "DeleteObject", "CreateMultipartUpload", "UploadPart"})

# Owners of a call: a stage handler (set per thread by the Lambda bridge) or everything else.
STAGES = "stages"
OTHER = "engine/runtime"


def category(service: str, operation: str) -> str:
    """The bill line a call belongs to, e.g. `dynamodb write`, `s3 get`, `sts`."""
    if service == "dynamodb":
        if operation in DYNAMODB_READS:
            return "dynamodb read"
        return "dynamodb write" if operation in DYNAMODB_WRITES else "dynamodb other"
    if service == "s3":
        return "s3 get" if operation in S3_GETS else "s3 put" if operation in S3_PUTS else "s3 other"
    return service


def request_units(operation: str, params: dict[str, Any]) -> int:
    """Billed units of one call: items for DynamoDB batch/transaction operations, else 1."""
    if operation == "BatchWriteItem":
        return sum(len(requests) for requests in (params.get("RequestItems") or {}).values())
    if operation == "BatchGetItem":
        return sum(len(spec.get("Keys", [])) for spec in (params.get("RequestItems") or {}).values())
    if operation in ("TransactWriteItems", "TransactGetItems"):
        return len(params.get("TransactItems") or [])
    return 1


class AwsCallCounter:
    def __init__(self) -> None:
        self.calls: Counter[tuple[str, str, str]] = Counter()  # (owner, service, operation) -> API calls
        self.units: Counter[tuple[str, str, str]] = Counter()  # same key -> billed request units
        self._owner = threading.local()
        self._lock = threading.Lock()

    # The Lambda bridge marks the thread while a handler runs.
    def enter_stage(self) -> None:
        self._owner.depth = getattr(self._owner, "depth", 0) + 1

    def leave_stage(self) -> None:
        self._owner.depth = getattr(self._owner, "depth", 1) - 1

    def in_stage(self) -> bool:
        """Whether this thread is running a stage handler now."""
        return getattr(self._owner, "depth", 0) > 0

    def __call__(self, model: Any = None, params: Any = None, context: Any = None, **_: Any) -> None:
        if isinstance(context, dict) and context.get("is_presign_request"):
            return None  # botocore signs a URL locally: no request is made or billed until someone opens it
        service = model.service_model.endpoint_prefix if model is not None else "?"
        service = {"email": "sesv2", "states": "stepfunctions"}.get(service, service)
        operation = model.name if model is not None else "?"
        owner = STAGES if self.in_stage() else OTHER
        key = (owner, service, operation)
        if service == "dynamodb" and operation in DYNAMODB_WRITES and isinstance(context, dict):
            context[_PENDING_WRITE] = (key, params)  # its units once it has answered (write_units_answered)
            units = 0
        else:
            units = request_units(operation, params if isinstance(params, dict) else {}) if operation in BATCHED else 1
        with self._lock:
            self.calls[key] += 1
            self.units[key] += units
        return None  # never answers the call: the emulators (or moto) do

    def write_units_answered(self, context: Any = None, model: Any = None, **_: Any) -> None:
        """after-call: the write units of a DynamoDB write that was asked for (its params are by now
        in the low-level typed form, the resource layer's serialisation done)."""
        pending = context.pop(_PENDING_WRITE, None) if isinstance(context, dict) else None
        if pending is None:
            return
        key, params = pending
        try:
            units = write_units(key[2], params)
        except (KeyError, TypeError, ValueError, AttributeError):  # never let metering break a call
            units = 1
        with self._lock:
            self.units[key] += units

    def by_category(self, owner: str | None = STAGES, units: bool = False) -> Counter[str]:
        source = self.units if units else self.calls
        totals: Counter[str] = Counter()
        for (who, service, operation), count in source.items():
            if owner is None or who == owner:
                totals[category(service, operation)] += count
        return totals

    def by_operation(self, owner: str | None = STAGES) -> Counter[str]:
        totals: Counter[str] = Counter()
        for (who, service, operation), count in self.calls.items():
            if owner is None or who == owner:
                totals[f"{service}.{operation}"] += count
        return totals

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.units.clear()

    def install(self, session: Any) -> Callable[[], None]:
        session.events.register("provide-client-params", self, unique_id="local-aws-call-counter")
        session.events.register("after-call.dynamodb", self.write_units_answered, unique_id="local-aws-write-units")

        def uninstall() -> None:
            session.events.unregister("provide-client-params", unique_id="local-aws-call-counter")
            session.events.unregister("after-call.dynamodb", unique_id="local-aws-write-units")

        return uninstall


_PENDING_WRITE = "local_metering_pending_write"
KB = 1024


def write_units(operation: str, params: dict[str, Any]) -> int:
    """DynamoDB write request units of one answered write: 1 per KB (rounded up) per item, 2 per KB
    in a transaction. Puts are sized from the request; updates from the stored item after the
    write; deletes and condition checks count one KB."""
    def per_item(table: str, entry: dict[str, Any], kind: str) -> int:
        if kind == "Put":
            size = item_size(entry["Item"])
        elif kind == "Update":
            size = stored_item_size(table, entry["Key"])
        else:
            size = 1
        return max(1, -(-size // KB))

    if operation == "PutItem":
        return per_item(params["TableName"], params, "Put")
    if operation == "UpdateItem":
        return per_item(params["TableName"], params, "Update")
    if operation == "DeleteItem":
        return 1
    if operation == "BatchWriteItem":
        return sum(per_item(table, request["PutRequest"], "Put") if "PutRequest" in request else 1
                   for table, requests in params["RequestItems"].items() for request in requests)
    if operation == "TransactWriteItems":
        return sum(2 * per_item(operation_spec["TableName"], operation_spec, kind)
                   for entry in params["TransactItems"] for kind, operation_spec in entry.items())
    return 1


def item_size(item: dict[str, Any]) -> int:
    """An item's size as DynamoDB counts it: each attribute's name plus its (typed) value."""
    return sum(len(name.encode("utf-8")) + _value_size(value) for name, value in item.items())


def _value_size(value: Any) -> int:
    if not isinstance(value, dict) or len(value) != 1:
        return len(str(value).encode("utf-8"))
    (kind, inner), = value.items()
    if kind == "S":
        return len(inner.encode("utf-8"))
    if kind == "N":
        return len(str(inner).lstrip("-").replace(".", "")) // 2 + 2
    if kind == "B":
        return len(inner)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind in ("SS", "NS", "BS"):
        return sum(_value_size({kind[0]: element}) for element in inner)
    if kind == "M":
        return 3 + sum(1 + len(name.encode("utf-8")) + _value_size(element) for name, element in inner.items())
    if kind == "L":
        return 3 + sum(1 + _value_size(element) for element in inner)
    return len(str(inner))


def stored_item_size(table_name: str, key: dict[str, Any]) -> int:
    """The size of the item now stored under `key` in the in-process moto table (0 if none)."""
    import os

    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodb.models.dynamo_type import DynamoType

    table = dynamodb_backends[DEFAULT_ACCOUNT_ID][os.environ.get("AWS_DEFAULT_REGION", "us-east-1")].get_table(table_name)
    hash_value = DynamoType(key[table.hash_key_attr])
    range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
    item = table.get_item(hash_value, range_value)
    return item_size(item.to_json()["Attributes"]) if item is not None else 0


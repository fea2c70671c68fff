"""Count every AWS API call made through the in-process AWS, by service and operation.

A botocore `provide-client-params` hook on the session sees each call with its API parameters,
before any emulator answers it (the Lambda bridge, the local Cost Explorer and the SES outbox are
`before-call` hooks, which stop the event chain once one answers). Calls made while a stage handler
runs are counted as the stages'; the rest are the engine's own (Lambda invokes, the Map's ItemReader)
or the runtime's (seeding, progress).

DynamoDB and S3 are billed per request unit, not per API call: a BatchWriteItem of 25 items is 25
write request units. `units` counts items for the batch operations and 1 for every other call.
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

    def __call__(self, model: Any = None, params: Any = None, **_: Any) -> None:
        service = model.service_model.endpoint_prefix if model is not None else "?"
        service = {"email": "sesv2", "states": "stepfunctions"}.get(service, service)
        operation = model.name if model is not None else "?"
        owner = STAGES if self.in_stage() else OTHER
        units = request_units(operation, params if isinstance(params, dict) else {}) if operation in BATCHED else 1
        key = (owner, service, operation)
        with self._lock:
            self.calls[key] += 1
            self.units[key] += units
        return None  # never answers the call: the emulators (or moto) do

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
        return lambda: session.events.unregister("provide-client-params", unique_id="local-aws-call-counter")


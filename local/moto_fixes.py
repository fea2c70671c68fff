"""Where moto differs from AWS in a way our code depends on, made faithful for local runs and tests.

Speed, where moto's cost grows with the data and a local run at scale spent its time:
`partition_queries` (moto sorts the whole table for every Query) and `fast_sqs_clock` (every
receive walked the whole queue through datetime arithmetic).

DynamoDB conditional writes are atomic in AWS. moto checks the condition and applies the write as
separate Python steps, so two threads (two "Lambdas" of one local process) can both pass the same
condition: the rate limiter's slot reservation and the chunk checkpoint rely on that atomicity.
One lock around moto's item handlers restores it: the writes (condition, write and the returned
attributes: moto builds ReturnValues from the live item after the write, where another thread's write
may already show) and the reads, which iterate the same dicts a concurrent write resizes ("dictionary
changed size during iteration" in a Query beside a PutItem: a failure DynamoDB never gives).
"""

from __future__ import annotations

import functools
import threading
from typing import Any, Callable

_OPERATIONS = ("put_item", "update_item", "delete_item", "transact_write_items", "batch_write_item",
               "get_item", "batch_get_item", "transact_get_items", "query", "scan")
_lock = threading.RLock()


def _serialise(cls: Any, names: tuple[str, ...], lock: Any) -> Callable[[], None]:
    """Wrap methods `names` of moto handler class `cls` in `lock`; returns the function that undoes
    it. Idempotent when nested: a method already wrapped by an outer caller is left alone."""
    originals: dict[str, Any] = {}
    for name in names:
        method = getattr(cls, name)
        if getattr(method, "_atomic", False):
            continue

        @functools.wraps(method)
        def locked(self: Any, *args: Any, __method: Any = method, **kwargs: Any) -> Any:
            with lock:
                return __method(self, *args, **kwargs)

        locked._atomic = True  # type: ignore[attr-defined]
        originals[name] = method
        setattr(cls, name, locked)

    def undo() -> None:
        for name, method in originals.items():
            setattr(cls, name, method)

    return undo


def atomic_dynamodb() -> Callable[[], None]:
    """Serialise moto's DynamoDB item operations; returns the function that undoes it (idempotent when nested)."""
    from moto.dynamodb.responses import DynamoHandler

    return _serialise(DynamoHandler, _OPERATIONS, _lock)


def partition_queries() -> Callable[[], None]:
    """moto answers a Query on a table's own key by sorting every item of the table, then keeping
    the partition's: each query costs O(table), so a local run's aggregation of 1,000 tenants spent
    minutes sorting. DynamoDB reads one partition; this reads the partition's items alone (the same
    order, the same filters after). Returns the function that undoes it (idempotent when nested)."""
    from moto.dynamodb.models.table import Table

    if getattr(Table.query, "_partitioned", False):
        return lambda: None
    original_query, original_all_items = Table.query, Table.all_items
    querying = threading.local()

    def all_items(self: Any) -> Any:
        hash_key = getattr(querying, "hash_key", None)
        if hash_key is None or not self.range_key_attr:
            return original_all_items(self)
        partition = self.items.get(hash_key, {})
        return sorted(partition.values(), key=lambda item: item.range_key)

    @functools.wraps(original_query)
    def query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = kwargs.get("index_name") if "index_name" in kwargs else (args[6] if len(args) > 6 else None)
        querying.hash_key = None if index_name else hash_key
        try:
            return original_query(self, hash_key, *args, **kwargs)
        finally:
            querying.hash_key = None

    query._partitioned = True  # type: ignore[attr-defined]
    Table.query, Table.all_items = query, all_items  # type: ignore[method-assign]

    def undo() -> None:
        Table.query, Table.all_items = original_query, original_all_items  # type: ignore[method-assign]

    return undo


def fast_sqs_clock() -> Callable[[], None]:
    """moto's SQS reads the clock through datetime arithmetic for every message on every call (a
    receive checks each message's retention through the queue's whole attribute set, counts
    included), so a queue of a few thousand metric events made each receive cost O(queue) slow
    steps and a 1,000-client run spent most of its time there. The same clock from time.time(), and
    the retention check reading the one attribute it needs: the same answers, far fewer steps.
    Returns the function that undoes it (idempotent when nested)."""
    import time

    import moto.sqs.models as sqs_models

    if getattr(sqs_models.unix_time, "_fast", False):
        return lambda: None
    original_time, original_millis = sqs_models.unix_time, sqs_models.unix_time_millis
    original_valid = sqs_models.SQSBackend.is_message_valid_based_on_retention_period

    def unix_time(dt: Any = None) -> float:
        return time.time() if dt is None else original_time(dt)

    def unix_time_millis(dt: Any = None) -> float:
        return time.time() * 1000.0 if dt is None else original_millis(dt)

    def is_message_valid_based_on_retention_period(self: Any, queue_name: str, message: Any) -> bool:
        retention = int(self.get_queue(queue_name).message_retention_period)
        return retention + message.sent_timestamp / 1000 > time.time()

    unix_time._fast = True  # type: ignore[attr-defined]
    sqs_models.unix_time, sqs_models.unix_time_millis = unix_time, unix_time_millis
    sqs_models.SQSBackend.is_message_valid_based_on_retention_period = is_message_valid_based_on_retention_period

    def undo() -> None:
        sqs_models.unix_time, sqs_models.unix_time_millis = original_time, original_millis
        sqs_models.SQSBackend.is_message_valid_based_on_retention_period = original_valid

    return undo


_s3_lock = threading.RLock()


def atomic_s3() -> Callable[[], None]:
    """Serialise moto's S3 object and bucket requests. Two "Lambdas" writing the same key at once
    (clients of one payer caching its account names) made moto dispose the first key's buffer while
    it was still computing that key's ETag ("I/O operation on closed file"), a failure S3 never
    gives: the last writer wins. Returns the function that undoes it (idempotent when nested)."""
    from moto.s3.responses import S3Response

    return _serialise(S3Response, ("key_response", "bucket_response"), _s3_lock)


def exact_number_arithmetic() -> Callable[[], None]:
    """DynamoDB adds numbers exactly, to 38 significant digits, whatever notation they were sent in.
    moto's ADD parses an operand as an integer unless it holds a ".", so a number boto3 serializes
    in exponent notation (Decimal("1E-10"), a sub-cent amount with 10 decimals, is sent as "1E-10")
    failed the whole transaction with ValueError, and its digits were added in a 28-digit context.
    The same arithmetic with Decimal for every non-integer, in DynamoDB's 38 digits. Returns the
    function that undoes it (idempotent when nested)."""
    from decimal import Context, Decimal

    from moto.dynamodb.models.dynamo_type import DDBType, DynamoType

    if getattr(DynamoType.__add__, "_exact", False):
        return lambda: None
    original_add, original_sub = DynamoType.__add__, DynamoType.__sub__
    context = Context(prec=38)

    def number(value: str) -> Decimal | int:
        return int(value) if value.lstrip("-").isdigit() else Decimal(value)

    def arithmetic(original: Any, operation: Callable[[Any, Any], Any]) -> Any:
        @functools.wraps(original)
        def exact(self: Any, other: Any) -> Any:
            if self.type != DDBType.NUMBER or other.type != DDBType.NUMBER:
                return original(self, other)
            left, right = number(self.value), number(other.value)
            if isinstance(left, int) and isinstance(right, int):
                return DynamoType({DDBType.NUMBER: str(operation(left, right))})
            return DynamoType({DDBType.NUMBER: str(context.create_decimal(operation(Decimal(left), Decimal(right))))})

        exact._exact = True  # type: ignore[attr-defined]
        return exact

    DynamoType.__add__ = arithmetic(original_add, lambda a, b: context.add(a, b) if isinstance(a, Decimal) else a + b)
    DynamoType.__sub__ = arithmetic(original_sub, lambda a, b: context.subtract(a, b) if isinstance(a, Decimal) else a - b)

    def undo() -> None:
        DynamoType.__add__, DynamoType.__sub__ = original_add, original_sub  # type: ignore[method-assign]

    return undo

"""Where moto differs from AWS in a way our code depends on, made faithful for local runs and tests.

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


def atomic_dynamodb() -> Callable[[], None]:
    """Serialise moto's DynamoDB item operations; returns the function that undoes it (idempotent when nested)."""
    from moto.dynamodb.responses import DynamoHandler

    originals: dict[str, Any] = {}
    for name in _OPERATIONS:
        method = getattr(DynamoHandler, name)
        if getattr(method, "_atomic", False):
            continue  # already patched by an outer caller

        @functools.wraps(method)
        def locked(self: Any, *args: Any, __method: Any = method, **kwargs: Any) -> Any:
            with _lock:
                return __method(self, *args, **kwargs)

        locked._atomic = True  # type: ignore[attr-defined]
        originals[name] = method
        setattr(DynamoHandler, name, locked)

    def undo() -> None:
        for name, method in originals.items():
            setattr(DynamoHandler, name, method)

    return undo

"""TransactWriteItems at the cost of the items it writes, not of the table.

moto 5.2.5 backs up a transaction by deep-copying every table it names, once per item, before
writing: the cost grows with the table, so on a table with a few thousand items (a local run of
many clients: configs, run records, metric events) each metric event costs a large fraction of a
second. This keeps moto's own transaction logic and replaces only that backup: the items the
transaction names are copied before it runs and put back if it is cancelled, which is the same
all-or-nothing outcome. The cost is then per item, as in DynamoDB.
"""

from __future__ import annotations

import copy
import threading
import types
from typing import Any, Callable

_lock = threading.Lock()


def install() -> Callable[[], None]:
    from moto.dynamodb import models
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    original_copy, original_transact = models.copy, DynamoDBBackend.transact_write_items

    def deepcopy(value: Any, memo: Any = None) -> Any:
        # Tables are no longer copied (their touched items are, below); anything else still is.
        return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> Any:
        with _lock:  # moto's backend is not thread-safe across a transaction either
            saved = _snapshot(self, transact_items)
            try:
                return original_transact(self, transact_items)
            except Exception:
                for table, hash_key, range_key, before in reversed(saved):
                    if table.get_item(hash_key, range_key) is not None:
                        table.delete_item(hash_key, range_key)
                    if before is not None:
                        if range_key is not None:
                            table.items[hash_key][range_key] = before
                        else:
                            table.items[hash_key] = before
                raise

    def _snapshot(self: Any, transact_items: list[dict[str, Any]]) -> list[tuple[Any, Any, Any, Any]]:
        """(table, hash key, range key, a copy of the item before or None) for every item named."""
        saved = []
        for entry in transact_items:
            operation = next(iter(entry.values()))
            if operation.get("TableName") not in self.tables:
                continue
            table = self.tables[operation["TableName"]]
            key = operation.get("Key") or operation.get("Item") or {}
            if table.hash_key_attr not in key:
                continue
            hash_key = DynamoType(key[table.hash_key_attr])
            range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr in key else None
            before = table.get_item(hash_key, range_key)
            saved.append((table, hash_key, range_key, copy.deepcopy(before) if before else None))
        return saved

    models.copy = types.SimpleNamespace(deepcopy=deepcopy, copy=copy.copy)
    DynamoDBBackend.transact_write_items = transact_write_items

    def uninstall() -> None:
        models.copy = original_copy
        DynamoDBBackend.transact_write_items = original_transact

    return uninstall

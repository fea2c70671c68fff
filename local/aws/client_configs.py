"""The client configs a local AWS is seeded with: read from a clients file, stored as written.

A file is refused as a whole only for what no run could report (not a JSON list, a duplicate
client_id, an entry too large for a table item); any other bad entry is stored under its position
so the run reports what is wrong with it, as it would for a config edited in the table.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from chalicelib.core.clients import MAX_STORED_CONFIG_BYTES  # the limit the clients tool applies too


def load_clients(path: Path) -> list[dict[str, Any] | str]:
    """A JSON list; each entry is kept as written so a bad one is reported by the run, not here.
    Refused here, naming the entry: a duplicate client_id (the later entry would replace the earlier)
    and an entry too large to be stored at all (DynamoDB refuses it: no run could report it), with
    what the config loader finds wrong in it. Messages say what is wrong; the CLI names the option
    and the file before them (local/cli/common.from_option)."""
    try:
        data = json.loads(Path(path).read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON: {exc}") from exc
    if not isinstance(data, list):
        raise ValueError("expected a JSON list of client configs")
    clients = [entry if isinstance(entry, dict) else json.dumps(entry) for entry in data]
    check_unique_client_ids(clients)
    check_storable(clients)
    return clients


_CLIENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


def entry_key(position: int) -> str:
    """Where an entry without a usable client_id is stored: its position in the list, written so that
    it can never be a real client_id (`[` is not allowed in one)."""
    return f"entry[{position}]"


def client_id_of(client: dict[str, Any] | str) -> str | None:
    parsed: Any = client
    if isinstance(client, str):
        try:
            parsed = json.loads(client)
        except ValueError:
            parsed = None
    client_id = parsed.get("client_id") if isinstance(parsed, dict) else None
    return client_id if isinstance(client_id, str) and _CLIENT_ID.fullmatch(client_id) else None


def check_unique_client_ids(clients: list[dict[str, Any] | str]) -> None:
    """Two entries with one client_id: refused, naming the id and both positions (the later one
    would otherwise silently replace the earlier)."""
    first: dict[str, int] = {}
    for position, client in enumerate(clients):
        client_id = client_id_of(client)
        if client_id is None:
            continue
        if client_id in first:
            raise ValueError(f"duplicate client_id {client_id!r}: entries [{first[client_id]}] and [{position}]")
        first[client_id] = position


def check_storable(clients: list[dict[str, Any] | str]) -> None:
    """An entry larger than a table item can hold is refused, naming its position, its client and
    every problem the config loader (chalicelib/core/clients.py, the runs' own rules) finds in it."""
    from chalicelib.core.clients import check_configs

    texts = [client if isinstance(client, str) else json.dumps(client, default=str) for client in clients]
    too_large = [position for position, text in enumerate(texts) if len(text.encode("utf-8")) > MAX_STORED_CONFIG_BYTES]
    if not too_large:
        return
    keys = [client_id_of(client) or entry_key(position) for position, client in enumerate(clients)]
    verdicts = check_configs(list(zip(keys, texts, strict=True)))
    position = too_large[0]
    verdict = verdicts[keys[position]]
    problems = verdict if isinstance(verdict, str) else "the config is valid but holds too much"
    raise ValueError(f"entry [{position}] (client {keys[position]!r}) is {len(texts[position].encode('utf-8')):,} bytes, "
                     f"more than a stored config can hold ({MAX_STORED_CONFIG_BYTES:,} bytes): {problems}")


def store_clients(clients: list[dict[str, Any] | str]) -> list[str]:
    """Store every entry (see store_client_config); refuses duplicate client_ids first."""
    check_unique_client_ids(clients)
    return [store_client_config(client, entry_key(position)) for position, client in enumerate(clients)]


def store_client_config(client: dict[str, Any] | str, fallback_id: str) -> str:
    """Store a config as written, under its client_id when it has a valid one (else `fallback_id`,
    its position): the run then reports what is wrong with it instead of refusing the whole file."""
    from chalicelib.core import clients as table

    client_id = client_id_of(client) or fallback_id
    table.put_client_config(client, client_id=client_id)
    return client_id

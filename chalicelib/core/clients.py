"""Client configs: stored as a person wrote them, and the one loader every path that reads a config
goes through (nothing else reads the CLIENTS partition).

  CLIENTS / <client_id>   a client config, stored as the raw JSON a person wrote (validation happens
                          when a run reads it, so a bad one is reported, not lost)

A config is valid when it passes the per-client rules (`parse_client_config`: the ClientConfig
model of core/models.py, its stored key, the allowed sender domains) AND every cross-client rule
(`check_configs`): a client_id claimed by two stored configs, an account listed by two clients that
are not DISABLED unless both declare it in `shared_accounts`. Three ways in, one per kind of caller:

  load_configs(only)                 every stored config with every rule (one Query of the CLIENTS
                                     partition): eligibility and the budget check's plan
  load_client(client_id)             one client, every rule applied: paths without a run (report_pdf,
                                     `python -m local report`); it reads every config, as the rules need
  load_checked(client_id, fingerprint)
                                     a Map child (collect, budget spend and alert): its own config by
                                     key (one GetItem, never a scan: 50,000 children must not read
                                     50,000 configs each), valid on its own and identical to what its
                                     run's plan validated against every other client (the fingerprint
                                     in its Map item); a config edited since then stops that client

Why the fingerprint rather than a re-check in every child: docs/decisions.md ("A fingerprint, not a
cross-client check in every child"); how configs are loaded: docs/clients.md.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from typing import Annotated, Any

from pydantic import StringConstraints, ValidationError

from chalicelib.core.constants import PK_CLIENTS
from chalicelib.core.errors import ConfigChangedError, ConfigurationError
from chalicelib.core.models import ClientConfig, ClientId, StrictModel, describe_validation_error

# sha256 of the validated config, first 128 bits: detects any edit; short enough that the budget
# check's inline Map items (id + fingerprint) stay small.
FINGERPRINT_HEX_CHARS = 32
Fingerprint = Annotated[str, StringConstraints(pattern=rf"^[0-9a-f]{{{FINGERPRINT_HEX_CHARS}}}$")]


class CheckedClient(StrictModel):
    """A Map item: a client whose config passed every rule when the run was planned, and which config."""

    client_id: ClientId
    fingerprint: Fingerprint


def config_fingerprint(config: ClientConfig) -> str:
    """Names one validated config: the same content (whatever its key order or spacing) gives the same value."""
    canonical = json.dumps(config.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:FINGERPRINT_HEX_CHARS]


def checked(config: ClientConfig) -> CheckedClient:
    return CheckedClient(client_id=config.client_id, fingerprint=config_fingerprint(config))


# ---- stored as written ----------------------------------------------------------------------------


def put_client_config(raw: dict[str, Any] | str, client_id: str | None = None) -> None:
    """Store a config as written (validation happens when a run reads it, so a bad one is reported, not lost)."""
    from chalicelib.core.store import table

    text = raw if isinstance(raw, str) else json.dumps(raw, default=str)
    key = client_id or (raw.get("client_id") if isinstance(raw, dict) else None)
    if not isinstance(key, str) or not key:
        raise ValueError("client_id: field required to store a client config")
    with table.translated("store client config"):
        table.table().put_item(Item={"pk": PK_CLIENTS, "sk": key, "config": text})


def _stored_configs() -> Iterator[tuple[str, str]]:
    """(stored key, raw JSON) for every client, in key order (one Query of the CLIENTS partition)."""
    from chalicelib.core.store import table

    for item in table.query("list client configs", KeyConditionExpression="pk = :pk",
                            ExpressionAttributeValues={":pk": PK_CLIENTS}):
        yield item["sk"], item.get("config", "")


def _stored_config(client_id: str) -> str | None:
    from chalicelib.core.store import table

    with table.translated("read client config"):
        item = table.table().get_item(Key={"pk": PK_CLIENTS, "sk": client_id}).get("Item")
    return item.get("config") if item else None


def is_stored(client_id: str) -> bool:
    """Whether a config (valid or not) is stored under `client_id`: a client the deployment knows."""
    return _stored_config(client_id) is not None


MAX_BATCH_GET_KEYS = 100  # DynamoDB's limit per BatchGetItem
MAX_UNPROCESSED_ROUNDS = 5  # keys DynamoDB left unprocessed are asked again this many times, then each alone


def stored_ids(client_ids: Sequence[str]) -> set[str]:
    """Which of `client_ids` have a config (valid or not) stored: is_stored for many ids, in
    BatchGetItem requests of 100 keys reading the keys only (not the configs)."""
    from chalicelib.core import aws
    from chalicelib.core.store import table

    ids = list(dict.fromkeys(client_ids))
    found: set[str] = set()
    for start in range(0, len(ids), MAX_BATCH_GET_KEYS):
        request: dict[str, Any] = {table.table_name(): {
            "Keys": [{"pk": {"S": PK_CLIENTS}, "sk": {"S": client_id}} for client_id in ids[start:start + MAX_BATCH_GET_KEYS]],
            "ProjectionExpression": "sk"}}
        for _ in range(MAX_UNPROCESSED_ROUNDS):
            with table.translated("read client config keys"):
                reply = aws.client("dynamodb").batch_get_item(RequestItems=request)
            found.update(item["sk"]["S"] for items in reply.get("Responses", {}).values() for item in items)
            request = reply.get("UnprocessedKeys") or {}
            if not request:
                break
        for keys in request.values():  # still unprocessed after the rounds: one GetItem each
            found.update(key["sk"]["S"] for key in keys["Keys"] if is_stored(key["sk"]["S"]))
    return found


# ---- the rules --------------------------------------------------------------------------------------


def parse_client_config(key: str, raw: str) -> ClientConfig | str:
    """A stored config (raw JSON, kept as written) as a ClientConfig, or why it is invalid: the per-client
    rules (the model's, the stored key, the allowed sender domains)."""
    try:
        config = ClientConfig.model_validate_json(raw)
    except ValidationError as exc:
        return f"invalid client config: {describe_validation_error(exc)}"
    if config.client_id != key:
        return f"invalid client config: client_id: {config.client_id!r} does not match its stored key {key!r}"
    from chalicelib.core.settings import get_settings  # lazily: settings are for the stages only

    outside = sender_outside_allowed_domains(config, get_settings().allowed_sender_domains)
    if outside:
        return f"invalid client config: {outside}"
    return config


def sender_outside_allowed_domains(config: ClientConfig, allowed: tuple[str, ...]) -> str:
    """'' when sender and reply_to are in the deployment's allowed sender domains, else the problem."""
    for field, addresses in (("sender", [config.sender] if config.sender else []), ("reply_to", config.reply_to)):
        for index, address in enumerate(addresses):
            if address.rpartition("@")[2].lower() not in allowed:
                where = field if field == "sender" else f"{field}[{index}]"
                return (f"{where}: {address} is outside the allowed sender domains "
                        f"({', '.join(allowed) or 'none configured'})")
    return ""


def check_configs(stored: Sequence[tuple[str, str]]) -> dict[str, ClientConfig | str]:
    """(stored key, raw JSON) of every client -> each one's validated config, or why it is invalid
    (the per-client rules, then every cross-client rule)."""
    configs: dict[str, ClientConfig | str] = {key: parse_client_config(key, raw) for key, raw in stored}
    for client_id, keys in duplicate_client_ids(stored).items():
        for key in keys:
            configs[key] = (f"invalid client config: client_id: duplicate client_id {client_id!r}, "
                            f"stored as {' and '.join(repr(k) for k in keys)}")
    return check_account_overlaps(configs)


def duplicate_client_ids(stored: Sequence[tuple[str, str]]) -> dict[str, list[str]]:
    """client_id -> the stored keys of every config claiming it, for ids claimed more than once."""
    claims: dict[str, list[str]] = {}
    for key, raw in stored:
        try:
            client_id = json.loads(raw).get("client_id")
        except (ValueError, AttributeError):
            continue
        if isinstance(client_id, str):
            claims.setdefault(client_id, []).append(key)
    return {client_id: keys for client_id, keys in claims.items() if len(keys) > 1}


def check_account_overlaps(configs: dict[str, ClientConfig | str]) -> dict[str, ClientConfig | str]:
    """An account listed by two clients (not DISABLED) is an error for both, unless both declare it
    in shared_accounts: one client's numbers must never reach another's inbox by a typo."""
    owners: dict[str, list[str]] = {}
    for client_id, config in configs.items():
        if isinstance(config, ClientConfig) and config.status != "DISABLED":
            for account in config.accounts:
                owners.setdefault(account, []).append(client_id)
    problems: dict[str, list[str]] = {}
    for account, clients in owners.items():
        shared_by_all = all(account in configs[c].shared_accounts for c in clients)  # type: ignore[union-attr]
        if len(clients) < 2 or shared_by_all:
            continue
        for client_id in clients:
            others = ", ".join(repr(c) for c in clients if c != client_id)
            problems.setdefault(client_id, []).append(
                f"accounts: {account} is also listed by client {others}; if they really share it, "
                f"declare it in shared_accounts of both")
    return {cid: (f"invalid client config: {'; '.join(problems[cid])}" if cid in problems else config)
            for cid, config in configs.items()}


# ---- the three ways in ------------------------------------------------------------------------------


def load_configs(only: str | None = None) -> dict[str, ClientConfig | str]:
    """Each client's validated config, or the reason it is invalid (all clients, or only client `only`).
    Every config is read, even for one client: an account listed by two clients is an error for both."""
    configs = check_configs(list(_stored_configs()))
    if only:
        if only not in configs:
            raise ConfigurationError(f"client_id: no client {only!r} is configured")
        return {only: configs[only]}
    return configs


def load_client(client_id: str) -> ClientConfig:
    """One client's config with every rule applied, for a path without a run (a report on demand).
    Reads every config (the cross-client rules need them): fine for one synchronous request, never
    done per Map child."""
    verdict = load_configs(client_id)[client_id]
    if isinstance(verdict, str):
        raise ConfigurationError(verdict)
    return verdict


def load_checked(client_id: str, fingerprint: str) -> ClientConfig:
    """A Map child's config: read by key, valid on its own, and the very config its run validated
    against every other client (same fingerprint). Anything else stops this client, never the run."""
    raw = _stored_config(client_id)
    if raw is None:
        raise ConfigurationError(f"client_id: no client {client_id!r} is configured (removed during the run?)")
    parsed = parse_client_config(client_id, raw)
    if isinstance(parsed, str):
        raise ConfigurationError(parsed)
    if config_fingerprint(parsed) != fingerprint:
        raise ConfigChangedError(
            f"config changed during the run: client {client_id!r} was edited after this run checked it against "
            f"the other clients, so nothing was collected or sent from the unchecked config; rerun the same input")
    return parsed


# ---- the operator's clients tool (admin/clients.py): reads and writes through here ----------------

# DynamoDB's item limit (400 KB) less room for the keys and attribute names: a config the table cannot hold.
MAX_STORED_CONFIG_BYTES = 400 * 1024 - 1024


def stored_configs() -> list[tuple[str, str]]:
    """(stored key, raw JSON) of every stored config, in key order: what `check_configs` takes."""
    return list(_stored_configs())


def stored_config(client_id: str) -> str | None:
    """One stored config as written, or None when nothing is stored under `client_id`."""
    return _stored_config(client_id)


def storable_problem(raw: str) -> str:
    """'' when a config fits in a table item, else why it cannot be stored at all."""
    size = len(raw.encode("utf-8"))
    if size <= MAX_STORED_CONFIG_BYTES:
        return ""
    return f"the config is {size:,} bytes, more than a stored config can hold ({MAX_STORED_CONFIG_BYTES:,} bytes)"


def config_write(client_id: str, new: str | None, old: str | None) -> dict[str, Any]:
    """One TransactWriteItems action that moves the config stored under `client_id` from `old` to `new`
    (None: no item), and only if it is still `old`: an edit by someone else since it was read cancels
    the whole transaction instead of being overwritten."""
    from chalicelib.core.store import table

    key = {"pk": PK_CLIENTS, "sk": client_id}
    if old is None:
        condition: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(pk)"}
    else:
        condition = {"ConditionExpression": "#config = :old", "ExpressionAttributeNames": {"#config": "config"},
                     "ExpressionAttributeValues": table.serialized({":old": old})}
    name = table.table().table_name
    if new is None:
        return {"Delete": {"TableName": name, "Key": table.serialized(key), **condition}}
    return {"Put": {"TableName": name, "Item": table.serialized({**key, "config": new}), **condition}}

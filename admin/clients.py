"""The clients of a stage, as an operator manages them: a clients file checked with the runs' own
rules, the difference between it and the table, and that difference written all or nothing.

A clients file is a JSON list of client configs (docs/clients.md), the whole set the stage should
have: `apply` adds what is new, rewrites what differs, and removes what the file no longer lists.
Every rule is chalicelib/core/clients.py's (`check_configs`: the per-client and every cross-client
rule, with the stage's allowed sender domains): the file is valid exactly when a run would accept
every config in it once applied.

All or nothing: every write is one action of a DynamoDB transaction, conditioned on the item still
being what the plan read (an edit by someone else meanwhile cancels it rather than being lost). Up
to TRANSACTION_ACTIONS changes are one transaction: DynamoDB commits all of them or none. A larger
change set is written in several transactions; when one is refused, the ones already committed are
undone (each undo again conditioned on the item being what this apply wrote), so the table is left
as it was. What a run might read between two of those transactions is covered in docs/clients.md
("Applying a clients file").
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

from chalicelib.core import clients as loader
from chalicelib.core.constants import REPORT_TYPES
from chalicelib.core.models import CLIENT_ID_PATTERN, ClientConfig

# DynamoDB: at most 100 actions and 4 MB per TransactWriteItems (a config is at most ~400 KB).
TRANSACTION_ACTIONS = 100
TRANSACTION_BYTES = 3_500_000
# How far back `show` looks for a client's failures and problem skips: the latest runs of the stage.
RECENT_RUNS = 30

ChangeKind = Literal["add", "change", "pause", "resume", "remove"]
# Written first: what takes accounts away or stops sends; last: what adds them or starts sends, so
# a run that reads between two transactions of a large apply sees fewer false account overlaps.
_WRITE_ORDER: dict[str, int] = {"remove": 0, "pause": 1, "change": 2, "resume": 3, "add": 4}


class ClientsFileError(ValueError):
    """The clients file cannot be read as a JSON list."""


class ApplyFailed(RuntimeError):
    """A transaction was refused or failed; `rolled_back` says whether the table is as it was."""

    def __init__(self, message: str, rolled_back: bool, left_over: Sequence[Change] = ()) -> None:
        super().__init__(message)
        self.rolled_back = rolled_back
        self.left_over = list(left_over)


@dataclass(frozen=True)
class Entry:
    """An entry of a clients file: its position, the key it would be stored under, its JSON text."""

    position: int
    key: str
    raw: str


@dataclass
class Change:
    kind: ChangeKind
    client_id: str
    old: str | None
    new: str | None
    fields: list[str] = field(default_factory=list)  # the top-level fields that differ (a change)
    undelivered: list[str] = field(default_factory=list)  # periods not delivered yet (a remove)

    def describe(self) -> str:
        text = f"{self.kind:<7} {self.client_id}"
        if self.fields:
            text += f" ({', '.join(self.fields)})"
        if self.undelivered:
            text += f"; undelivered: {', '.join(self.undelivered)}"
        return text


# ---- the file and its rules ---------------------------------------------------------------------------


def read_file(path: Path) -> list[Entry]:
    """The entries of a clients file, each kept as written (its JSON text)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ClientsFileError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ClientsFileError(f"{path}: not valid JSON: {exc}") from None
    if not isinstance(data, list):
        raise ClientsFileError(f"{path}: expected a JSON list of client configs (docs/clients.md)")
    entries, keys = [], set()
    for position, item in enumerate(data):
        client_id = item.get("client_id") if isinstance(item, dict) else None
        usable = isinstance(client_id, str) and CLIENT_ID_PATTERN.fullmatch(client_id) and client_id not in keys
        # An entry without a usable client_id (or repeating one) is keyed by its position, which can
        # never be a client_id ("[" is not allowed): the rules then name what is wrong with it.
        key = client_id if usable else f"entry[{position}]"
        keys.add(key)
        entries.append(Entry(position, key, json.dumps(item, ensure_ascii=False)))
    return entries


def problems(entries: Sequence[Entry]) -> list[str]:
    """Every problem of the file, one line each naming the entry and the field: the runs' own rules
    over the whole set (per client and across clients), and what the table could not hold."""
    verdicts = loader.check_configs([(entry.key, entry.raw) for entry in entries])
    found = []
    for entry in entries:
        name = f"entry [{entry.position}]" + ("" if entry.key.startswith("entry[") else f" (client {entry.key!r})")
        verdict = verdicts[entry.key]
        if isinstance(verdict, str):
            found.append(f"{name}: {verdict.removeprefix('invalid client config: ')}")
        too_large = loader.storable_problem(entry.raw)
        if too_large:
            found.append(f"{name}: {too_large}")
    return found


# ---- the difference ---------------------------------------------------------------------------------


def plan(entries: Sequence[Entry], today: date) -> list[Change]:
    """What applying the (valid) file changes in the table: adds, changes, pauses, resumes, removes."""
    stored = dict(loader.stored_configs())
    wanted = {entry.key: entry.raw for entry in entries}
    changes = []
    for client_id, new in wanted.items():
        old = stored.get(client_id)
        if old is None:
            changes.append(Change("add", client_id, None, new))
            continue
        before, after = _as_object(old), json.loads(new)
        if before == after:
            continue
        fields = sorted(k for k in set(before or {}) | set(after) if (before or {}).get(k) != after.get(k))
        changes.append(Change(_kind(before, after), client_id, old, new, fields))
    removed = [Change("remove", client_id, old, None) for client_id, old in stored.items() if client_id not in wanted]
    undelivered = undelivered_periods({change.client_id: change.old or "" for change in removed}, today)
    for change in removed:
        change.undelivered = undelivered.get(change.client_id, [])
    return sorted(changes + removed, key=lambda change: (_WRITE_ORDER[change.kind], change.client_id))


def _as_object(raw: str) -> dict[str, Any] | None:
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _kind(before: dict[str, Any] | None, after: dict[str, Any]) -> ChangeKind:
    was_active = (before or {}).get("status") == "ACTIVE"
    if was_active and after.get("status") in ("PAUSED", "DISABLED"):
        return "pause"
    if before and not was_active and after.get("status") == "ACTIVE":
        return "resume"
    return "change"


def undelivered_periods(raw_configs: dict[str, str], today: date) -> dict[str, list[str]]:
    """client id -> its report periods that are complete but not in the delivery ledger: for each
    report type its config enables, the last complete period as of `today` (the one the next
    scheduled run sends). A DISABLED client has none (it gets nothing); a PAUSED one keeps them (it
    gets them when resumed)."""
    from chalicelib.core.periods import report_periods
    from chalicelib.reports import store

    wanted: dict[str, list[tuple[str, Any]]] = {}
    for client_id, raw in raw_configs.items():
        config = _as_object(raw) or {}
        if config.get("status") == "DISABLED":
            continue
        reports = [r for r in config.get("reports") or [] if r in REPORT_TYPES] if isinstance(config.get("reports"), list) else []
        wanted[client_id] = [(report_type, report_periods(report_type, today)[0]) for report_type in reports]
    keys = [store.delivery_key(cid, rtype, period.start.isoformat()) for cid, periods in wanted.items()
            for rtype, period in periods]
    delivered = store.batch_get(keys) if keys else {}
    result: dict[str, list[str]] = {}
    for client_id, periods in wanted.items():
        missing = [f"{rtype} {period.label()}" for rtype, period in periods
                   if tuple(store.delivery_key(client_id, rtype, period.start.isoformat()).values()) not in delivered]
        if missing:
            result[client_id] = missing
    return result


# ---- writing it, all or nothing --------------------------------------------------------------------------


def apply(changes: Sequence[Change]) -> int:
    """Write every change (all or nothing, see the module's docstring); the number of transactions."""
    from chalicelib.core.store import table

    max_actions = TRANSACTION_ACTIONS
    batches = _batches(changes, max_actions)
    committed: list[Change] = []
    for batch in batches:
        try:
            table.transact_write([loader.config_write(c.client_id, c.new, c.old) for c in batch])
        except Exception as exc:  # undone below, then raised as ApplyFailed naming the cause
            reason = _why(exc, batch)
            left_over = _undo(committed, max_actions)
            if left_over:
                raise ApplyFailed(f"{reason}; undoing the {len(committed)} change(s) already written failed for "
                                  f"{', '.join(c.client_id for c in left_over)}", rolled_back=False,
                                  left_over=left_over) from exc
            raise ApplyFailed(f"{reason}; nothing was changed" + (
                f" (the {len(committed)} change(s) already written were undone)" if committed else ""),
                rolled_back=True) from exc
        committed.extend(batch)
    return len(batches)


def _batches(changes: Sequence[Change], max_actions: int) -> list[list[Change]]:
    batches: list[list[Change]] = []
    size = 0
    for change in changes:
        weight = len((change.new or "").encode("utf-8")) + len((change.old or "").encode("utf-8")) + 200
        if not batches or len(batches[-1]) >= max_actions or size + weight > TRANSACTION_BYTES:
            batches.append([])
            size = 0
        batches[-1].append(change)
        size += weight
    return batches


def _why(exc: Exception, batch: Sequence[Change]) -> str:
    from chalicelib.core.store import table

    if table.cancelled_by_condition(exc):
        reasons = getattr(exc, "response", {}).get("CancellationReasons") or []
        edited = [c.client_id for c, r in zip(batch, reasons, strict=False) if r.get("Code") == "ConditionalCheckFailed"]
        return (f"the stored config of {', '.join(edited) or 'a client'} changed since this apply read it "
                "(someone else edited it): run diff again")
    return f"writing the table failed: {type(exc).__name__}: {exc}"


def _undo(committed: Sequence[Change], max_actions: int) -> list[Change]:
    """Put back what `committed` replaced (newest first); the changes that could not be undone."""
    from chalicelib.core.store import table

    reverse = [Change(c.kind, c.client_id, old=c.new, new=c.old) for c in reversed(committed)]
    left_over: list[Change] = []
    for batch in _batches(reverse, max_actions):
        try:
            table.transact_write([loader.config_write(c.client_id, c.new, c.old) for c in batch])
        except Exception:  # noqa: BLE001 - reported to the operator with the configs to restore
            left_over.extend(Change(c.kind, c.client_id, old=c.new, new=c.old) for c in batch)
    return left_over


# ---- one client -----------------------------------------------------------------------------------------


def with_status(client_id: str, status: str) -> tuple[Change | None, str]:
    """(the change that sets one client's status, ""); (None, "") when it has that status already;
    (None, why) when it cannot be set: no such client, not a JSON object, or the result would break a
    rule (named)."""
    stored = dict(loader.stored_configs())
    old = stored.get(client_id)
    if old is None:
        return None, f"client_id: no client {client_id!r} is stored"
    config = _as_object(old)
    if config is None:
        return None, f"client {client_id!r}: the stored config is not a JSON object; fix it with apply"
    if config.get("status") == status:
        return None, ""
    new = json.dumps({**config, "status": status}, ensure_ascii=False)
    verdict = loader.check_configs([*((k, v) for k, v in stored.items() if k != client_id), (client_id, new)])[client_id]
    if isinstance(verdict, str):
        return None, f"client {client_id!r} {status} would be invalid: {verdict.removeprefix('invalid client config: ')}"
    return Change(_kind(config, {**config, "status": status}), client_id, old, new, ["status"]), ""


def overview() -> list[dict[str, Any]]:
    """Every stored client: id, name, status, report types, valid or why not (every rule applied)."""
    rows = []
    for client_id, verdict in loader.load_configs().items():
        if isinstance(verdict, ClientConfig):
            rows.append({"client_id": client_id, "name": verdict.name, "status": verdict.status,
                         "reports": list(verdict.reports), "problem": None})
        else:
            config = _as_object(loader.stored_config(client_id) or "") or {}
            rows.append({"client_id": client_id, "name": config.get("name"), "status": config.get("status"),
                         "reports": config.get("reports"), "problem": verdict.removeprefix("invalid client config: ")})
    return rows


def details(client_id: str, today: date) -> dict[str, Any] | None:
    """One client as `show` prints it, or None when nothing is stored under `client_id`: its config as
    stored and whether every rule accepts it, per report type the last delivery and the next period
    due, and its failures and problem skips in the stage's latest runs."""
    from chalicelib.core.executions import is_problem
    from chalicelib.core.periods import period_containing, report_periods
    from chalicelib.reports import store

    raw = loader.stored_config(client_id)
    if raw is None:
        return None
    verdict = loader.load_configs(client_id)[client_id]
    config = _as_object(raw)
    enabled = list(verdict.reports) if isinstance(verdict, ClientConfig) else \
        [r for r in (config or {}).get("reports") or [] if r in REPORT_TYPES]
    status = verdict.status if isinstance(verdict, ClientConfig) else (config or {}).get("status")
    reports = {}
    for report_type in REPORT_TYPES:
        last = store.last_delivery(client_id, report_type)
        entry: dict[str, Any] = {"enabled": report_type in enabled, "last_delivery": None, "next_due": None}
        if last:
            entry["last_delivery"] = {"period_start": last["sk"].partition("#")[2], "delivered_at": last.get("delivered_at"),
                                      "run_id": last.get("run_id"), "message_id": last.get("message_id")}
        if report_type in enabled:
            current = report_periods(report_type, today)[0]
            if last and entry["last_delivery"]["period_start"] >= current.start.isoformat():
                upcoming = period_containing(report_type, current.end)
                entry["next_due"] = {"period": upcoming.label(), "due_from": upcoming.end.isoformat()}
            else:
                entry["next_due"] = {"period": current.label(), "due_from": current.end.isoformat(), "overdue": True}
            if status != "ACTIVE":
                entry["next_due"]["held"] = f"status is {status}: nothing is sent until it is ACTIVE"
        reports[report_type] = entry
    runs = store.recent_runs(RECENT_RUNS)
    records = store.client_records(client_id, [run["run_id"] for run in runs])
    recent = []
    for run in runs:
        record = records.get(run["run_id"])
        if record and is_problem(str(record.get("status")), record):
            recent.append({"run_id": run["run_id"], "started_at": run["sk"].rpartition("#")[0],
                           "status": record.get("status"), "kind": record.get("category") or record.get("skip"),
                           "reason": record.get("reason"), "updated_at": record.get("updated_at")})
    return {"client_id": client_id, "config": config if config is not None else raw,
            "problem": None if isinstance(verdict, ClientConfig) else verdict.removeprefix("invalid client config: "),
            "reports": reports, "recent_problems": recent, "runs_looked_at": len(runs),
            "unsubscribed": unsubscribed(client_id)}


def unsubscribed(client_id: str) -> list[dict[str, Any]]:
    """The client's recipients who unsubscribed, whole (the operator owns the list; `resubscribe` needs
    the address), oldest first, with when and how (one Query)."""
    from chalicelib.core.subscriptions import unsubscribed_recipients

    items = unsubscribed_recipients(client_id).values()
    return sorted(({"address": item["address"], "unsubscribed_at": item.get("unsubscribed_at"),
                    "method": item.get("method")} for item in items), key=lambda row: str(row["unsubscribed_at"]))


def resubscribe(client_id: str, address: str) -> str | None:
    """Remove the client's suppression of `address` (compared as the links compare it: the domain
    without regard to case, then, failing that, the whole address); the address removed, or None."""
    from chalicelib.core.subscriptions import normalise_address, resubscribe as remove

    wanted = normalise_address(address)
    for row in unsubscribed(client_id):
        if row["address"] == wanted or row["address"].lower() == wanted.lower():
            return row["address"] if remove(client_id, row["address"]) else None
    return None

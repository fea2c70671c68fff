"""eligibility: which clients get this run's report, and why each other one does not.

A report is due when the delivery ledger has no entry for (client, report type, period): a send
for one period never blocks another. A config that fails validation (or lists an account another
client also lists, or a sender outside the allowed domains) is recorded as failed (category
configuration, reason naming the field) and never stops the others. A skip is benign only when the
period was already delivered, the client is not ACTIVE or the report type is not enabled; any other
skip is a problem the operator alert lists (chalicelib/core/run_problems.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.core.errors import ConfigurationError
from chalicelib.core.models import ClientConfig, check_account_overlaps, duplicate_client_ids, parse_client_config
from chalicelib.core.run_problems import short_reason, skip_record
from chalicelib.core.store import artefacts, table
from chalicelib.reports.contracts import EligibilityInput, EligibilityResult, RunContext


def eligibility(event: EligibilityInput) -> EligibilityResult:
    run = event.run
    configs = load_configs(run.client_id)
    eligible: list[str] = []
    records: list[dict[str, Any]] = []
    now = table.utcnow()
    valid = {cid: cfg for cid, cfg in configs.items() if isinstance(cfg, ClientConfig)}
    ledger = _ledger(run, list(valid))

    for client_id, config in configs.items():
        if isinstance(config, str):
            records.append(_record(client_id, "failed", config, category="configuration"))
            continue
        kind, reason = _skip_reason(run, config, ledger, now)
        if reason:
            records.append(skip_record(client_id, kind, reason))
        else:
            eligible.append(client_id)
            records.append(_record(client_id, "pending", ""))
    table.put_client_records(run.run_id, records)
    # The Distributed Map reads the ids from S3 (ItemReader): the state output stays a few bytes
    # whatever the number of clients (256 KB payload limit).
    return EligibilityResult(
        items=artefacts.put_eligible_ids(run.run_id, eligible),
        eligible=len(eligible),
        skipped=sum(r["status"] == "skipped" for r in records),
        invalid=sum(r["status"] == "failed" for r in records),
    )


def load_configs(only: str | None) -> dict[str, ClientConfig | str]:
    """Each client's validated config, or the reason it is invalid (all clients, or only client `only`).
    Every config is read, even for a one-client run: an account listed by two clients is an error for
    both. The budget check reads them the same way."""
    stored = list(table.iter_client_configs())
    configs: dict[str, ClientConfig | str] = {key: parse_client_config(key, raw) for key, raw in stored}
    for client_id, keys in duplicate_client_ids(stored).items():
        for key in keys:
            configs[key] = (f"invalid client config: client_id: duplicate client_id {client_id!r}, "
                            f"stored as {' and '.join(repr(k) for k in keys)}")
    configs = check_account_overlaps(configs)
    if only:
        if only not in configs:
            raise ConfigurationError(f"client_id: no client {only!r} is configured")
        return {only: configs[only]}
    return configs


def _ledger(run: RunContext, client_ids: list[str]) -> dict[tuple[str, str], dict[str, Any]]:
    keys = [table.delivery_key(client_id, run.report_type, run.current.start.isoformat()) for client_id in client_ids]
    return table.batch_get(keys)


def _skip_reason(run: RunContext, config: ClientConfig, ledger: dict[tuple[str, str], dict[str, Any]],
                 now: datetime) -> tuple[str, str]:
    """(kind, reason) of a skip, or ("", "") when the report is due."""
    if config.status != "ACTIVE":
        return "inactive", f"status is {config.status}"
    if run.report_type not in config.reports:
        return "not_enabled", f"{run.report_type} reports are not enabled for this client"
    if not config.accounts:
        return "configuration", "no accounts configured"
    if not config.recipients:
        return "configuration", "no recipients configured"
    delivered = ledger.get(tuple(table.delivery_key(config.client_id, run.report_type, run.current.start.isoformat()).values()))
    if not delivered:
        return "", ""
    already = (f"already delivered for {run.current.label()} by run {delivered.get('run_id')} "
               f"(message {delivered.get('message_id')})")
    if not run.force:
        return "already_delivered", f"{already}; use force to re-send"
    # min_interval_hours only spaces out forced re-sends of this same period: it never drops a period.
    min_hours = config.min_interval_for(run.report_type)
    if min_hours and delivered.get("delivered_at"):
        elapsed_hours = (now - datetime.fromisoformat(delivered["delivered_at"])).total_seconds() / 3600
        if elapsed_hours < min_hours:
            return "already_delivered", (f"{already} {elapsed_hours:.1f} h ago; a forced re-send waits "
                                         f"min_interval_hours ({min_hours} h)")
    return "", ""


def _record(client_id: str, status: str, reason: str, category: str | None = None) -> dict[str, Any]:
    return {"client_id": client_id, "status": status, "reason": short_reason(reason), "category": category,
            "updated_at": table.utcnow().isoformat()}

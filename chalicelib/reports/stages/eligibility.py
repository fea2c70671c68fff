"""eligibility: which clients get this run's report, and why each other one does not.

A config that fails validation is recorded as failed (category configuration, reason naming the
field) and never stops the others.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.core.errors import ConfigurationError
from chalicelib.core.models import ClientConfig, parse_client_config
from chalicelib.core.store import table
from chalicelib.reports.contracts import EligibilityInput, EligibilityResult, RunContext


def eligibility(event: EligibilityInput) -> EligibilityResult:
    run = event.run
    configs = _load_configs(run)
    eligible: list[str] = []
    records: list[dict[str, Any]] = []
    now = table.utcnow()
    valid = {cid: cfg for cid, cfg in configs.items() if isinstance(cfg, ClientConfig)}
    ledger = _ledger(run, list(valid))

    for client_id, config in configs.items():
        if isinstance(config, str):
            records.append(_record(client_id, "failed", config, category="configuration"))
            continue
        reason = _skip_reason(run, config, ledger, now)
        if reason:
            records.append(_record(client_id, "skipped", reason))
        else:
            eligible.append(client_id)
            records.append(_record(client_id, "pending", ""))
    table.put_client_records(run.run_id, records)
    if len(eligible) > INLINE_MAP_SOFT_LIMIT:
        from chalicelib.core.observability import logger

        logger().warning("eligible clients near the inline Map history limit (25,000 events): "
                         "switch ProcessClients to a DISTRIBUTED Map", extra={"eligible": len(eligible)})
    return EligibilityResult(
        client_ids=eligible,
        eligible=len(eligible),
        skipped=sum(r["status"] == "skipped" for r in records),
        invalid=sum(r["status"] == "failed" for r in records),
    )


# About 22 history events per client: above this an inline Map nears the 25,000-event limit.
INLINE_MAP_SOFT_LIMIT = 900


def _load_configs(run: RunContext) -> dict[str, ClientConfig | str]:
    """Each client's validated config, or the reason it is invalid."""
    if run.client_id:
        raw = table.get_client_config(run.client_id)
        if raw is None:
            raise ConfigurationError(f"client_id: no client {run.client_id!r} is configured")
        stored = [(run.client_id, raw)]
    else:
        stored = list(table.iter_client_configs())
    configs: dict[str, ClientConfig | str] = {}
    for key, raw in stored:
        configs[key] = parse_client_config(key, raw)
    return configs


def _ledger(run: RunContext, client_ids: list[str]) -> dict[tuple[str, str], dict[str, Any]]:
    keys = []
    for client_id in client_ids:
        keys.append(table.delivery_key(client_id, run.report_type, run.current.start.isoformat()))
        keys.append(table.last_delivery_key(client_id, run.report_type))
    return table.batch_get(keys)


def _skip_reason(run: RunContext, config: ClientConfig, ledger: dict[tuple[str, str], dict[str, Any]], now: datetime) -> str:
    if config.status != "ACTIVE":
        return f"status is {config.status}"
    if run.report_type not in config.reports:
        return f"{run.report_type} reports are not enabled for this client"
    if not config.accounts:
        return "no accounts configured"
    if not config.recipients:
        return "no recipients configured"
    if run.force:
        return ""
    delivered = ledger.get(tuple(table.delivery_key(config.client_id, run.report_type, run.current.start.isoformat()).values()))
    if delivered:
        return (f"already delivered for {run.current.label()} by run {delivered.get('run_id')} "
                f"(message {delivered.get('message_id')}); use force to re-send")
    last = ledger.get(tuple(table.last_delivery_key(config.client_id, run.report_type).values()))
    min_hours = config.min_interval_for(run.report_type)
    if last and min_hours:
        elapsed_hours = (now - datetime.fromisoformat(last["delivered_at"])).total_seconds() / 3600
        if elapsed_hours < min_hours:
            return (f"minimum interval not met: last {run.report_type} report sent {elapsed_hours:.1f} h ago, "
                    f"minimum is {min_hours} h; use force to re-send")
    return ""


# A reason quotes the config's own field names: a huge one must not push the record past DynamoDB's
# 400 KB item limit or the run summary past the 256 KB Step Functions payload limit.
MAX_REASON_CHARS = 1000


def _record(client_id: str, status: str, reason: str, category: str | None = None) -> dict[str, Any]:
    if len(reason) > MAX_REASON_CHARS:
        reason = reason[: MAX_REASON_CHARS - 1] + "\u2026"
    return {"client_id": client_id, "status": status, "reason": reason, "category": category,
            "updated_at": table.utcnow().isoformat()}

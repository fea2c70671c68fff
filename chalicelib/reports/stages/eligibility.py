"""eligibility: which clients get this run's report, and why each other one does not.

A report is due when the delivery ledger has no entry for (client, report type, period): a send
for one period never blocks another. A config that fails validation (or lists an account another
client also lists, or a sender outside the allowed domains: chalicelib/core/clients.py applies every
rule) is recorded as failed (category configuration, reason naming the field) and never stops the
others. A skip is benign only when the period was already delivered, the client is not ACTIVE or
the report type is not enabled; any other skip is a problem the operator alert lists
(chalicelib/core/executions.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.core.clients import CheckedClient, checked, load_configs
from chalicelib.core.executions import SKIP_ACTIONS, short_reason, skip_record
from chalicelib.core.models import ClientConfig
from chalicelib.core.periods import Granularity, Period, utcnow
from chalicelib.costs.sources import reads_export, source_of
from chalicelib.reports import store
from chalicelib.reports.contracts import EligibilityInput, EligibilityResult, RunContext


def eligibility(event: EligibilityInput) -> EligibilityResult:
    run = event.run
    configs = load_configs(run.client_id)
    eligible: list[CheckedClient] = []
    records: list[dict[str, Any]] = []
    now = utcnow()
    valid = {cid: cfg for cid, cfg in configs.items() if isinstance(cfg, ClientConfig)}
    ledger = _ledger(run, list(valid))

    for client_id, config in configs.items():
        if run.send_slot is not None and not in_send_slot(run, config):
            continue  # an hourly run holds only the clients whose local send time is this slot
        if isinstance(config, str):
            records.append({**_record(client_id, "failed", config, category="configuration"),
                            "recommended_action": SKIP_ACTIONS["configuration"]})
            continue
        kind, reason = _skip_reason(run, config, ledger, now)
        if not reason:
            reason = _unknown_export(config)
            if reason:
                records.append(_record(client_id, "failed", reason, category="configuration"))
                continue
        if reason:
            records.append(skip_record(client_id, kind, reason))
        else:
            eligible.append(checked(config))
            records.append(_record(client_id, "pending", ""))
    store.put_client_records(run.run_id, records)
    exporting = [c for c in (configs[e.client_id] for e in eligible) if isinstance(c, ClientConfig) and reads_export(c)]
    # The Distributed Map reads the items from S3 (ItemReader): the state output stays a few bytes
    # whatever the number of clients (256 KB payload limit). Each item carries the fingerprint of the
    # config checked here: the child reports on that config or on none (core/clients.py).
    return EligibilityResult(
        items=store.put_eligible_items(run.run_id, eligible),
        eligible=len(eligible),
        skipped=sum(r["status"] == "skipped" for r in records),
        invalid=sum(r["status"] == "failed" for r in records),
        export_clients=len(exporting),
        export_plan_key=_export_plan(run, exporting) if exporting else "",
    )


def dataset_window(run: RunContext) -> tuple[Period, Granularity]:
    """The one window (and its buckets) every export client's dataset covers for this run: exactly
    what the report's figures read (chalicelib/costs/windows.py), so the export and Cost Explorer agree."""
    from chalicelib.costs.windows import report_window

    return report_window(run.report_type, run.current, run.previous, run.as_of)


def _unknown_export(config: ClientConfig) -> str:
    """'' when the client's source is Cost Explorer or an export the stage declares, else why not."""
    if not reads_export(config):
        return ""
    from chalicelib.core.errors import ConfigurationError
    from chalicelib.costs.export.declarations import export_named

    try:
        export_named(source_of(config))
    except ConfigurationError as exc:
        return f"invalid client config: {exc}"
    return ""


def _export_plan(run: RunContext, clients: list[ClientConfig]) -> str:
    """The run's accounts object (what the run-accounts table reads) and its export plan; the plan's key."""
    from chalicelib.core.constants import EXPORT_PLAN_OBJECT, RUNS_PREFIX
    from chalicelib.core.store.objects import put_model
    from chalicelib.costs.export.contracts import ExportClientEntry, ExportPlan
    from chalicelib.costs.export.run import put_run_accounts

    put_run_accounts(run.run_id, [(a, c.client_id) for c in clients for a in c.accounts])
    window, granularity = dataset_window(run)
    plan = ExportPlan(run_id=run.run_id, window=window, granularity=granularity)
    for config in clients:
        plan.exports.setdefault(source_of(config), []).append(
            ExportClientEntry(client_id=config.client_id, accounts=list(config.accounts), metric=config.cost_metric))
    return put_model(f"{RUNS_PREFIX}{run.run_id}/{EXPORT_PLAN_OBJECT}", plan)


def _ledger(run: RunContext, client_ids: list[str]) -> dict[tuple[str, str], dict[str, Any]]:
    keys = [store.delivery_key(client_id, run.report_type, run.current.start.isoformat()) for client_id in client_ids]
    return store.batch_get(keys)


def _skip_reason(run: RunContext, config: ClientConfig, ledger: dict[tuple[str, str], dict[str, Any]],
                 now: datetime) -> tuple[str, str]:
    """(kind, reason) of a skip, or ("", "") when the report is due."""
    if run.utc_schedule and config.send_hour is not None:
        return "local_send_time", (f"sent at {config.send_hour}:00 {config.timezone or 'UTC'} by the hourly schedule, "
                                   "not by the stage's UTC schedule")
    if config.status != "ACTIVE":
        return "inactive", f"status is {config.status}"
    if run.report_type not in config.reports:
        return "not_enabled", f"{run.report_type} reports are not enabled for this client"
    if not config.accounts:
        return "configuration", "no accounts configured"
    if not config.recipients:
        return "configuration", "no recipients configured"
    delivered = ledger.get(tuple(store.delivery_key(config.client_id, run.report_type, run.current.start.isoformat()).values()))
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


def in_send_slot(run: RunContext, config: ClientConfig | str) -> bool:
    """A valid client with a local send time whose slot for this run's as_of is the run's slot."""
    from chalicelib.core.send_times import due_now

    return (isinstance(config, ClientConfig) and config.send_hour is not None and run.send_slot is not None
            and due_now(run.send_slot, run.as_of, config.timezone, config.send_hour))


def _record(client_id: str, status: str, reason: str, category: str | None = None) -> dict[str, Any]:
    return {"client_id": client_id, "status": status, "reason": short_reason(reason), "category": category,
            "updated_at": utcnow().isoformat()}

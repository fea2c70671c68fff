"""summarize: the run's outcome from its per-client records (the Map passes nothing back)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from chalicelib.reports.alerts import send_failure_alert
from chalicelib.core.metrics import publish
from chalicelib.core.models import RunContext
from chalicelib.core.store import table

STATUS_FOR_SUMMARY = {"completed": "delivered", "skipped": "skipped", "failed": "failed"}
MAX_LISTED_FAILURES = 50  # keeps the execution output far below the 256 KB limit


def summarize_run(event: dict[str, Any]) -> dict[str, Any]:
    run = RunContext.model_validate(event["run"])
    clients = []
    for item in table.iter_client_records(run.run_id):
        # A branch that never reached record (should not happen: every path records) counts as failed.
        status = STATUS_FOR_SUMMARY.get(item.get("status", ""), "failed")
        reason = item.get("reason", "") if status != "failed" or item.get("reason") else f"stopped while {item.get('status')}"
        clients.append({"client_id": item["client_id"], "status": status, "reason": reason,
                        "category": item.get("category"), "recommended_action": item.get("recommended_action"),
                        "message_id": item.get("message_id"), "ce_requests": int(item.get("ce_requests", 0) or 0)})
    counts = Counter(c["status"] for c in clients)
    summary = {
        "run_id": run.run_id,
        "report_type": run.report_type,
        "period": {"start": run.current.start.isoformat(), "end": run.current.end.isoformat()},
        "clients_total": len(clients),
        "delivered": counts["delivered"],
        "skipped": counts["skipped"],
        "failed": counts["failed"],
        "ce_requests": sum(c["ce_requests"] for c in clients),
        "status": "completed_with_failures" if counts["failed"] else "completed",
        "failures": [
            {k: c[k] for k in ("client_id", "category", "reason", "recommended_action")}
            for c in clients if c["status"] == "failed"
        ][:MAX_LISTED_FAILURES],
    }
    summary["alert_message_id"] = send_failure_alert(summary)
    table.update_run_meta(run.run_id, {"status": summary["status"], "summary": _json(summary),
                                    "finished_at": table.utcnow().isoformat()})
    table.put_run_history(run.run_id, run.started_at.isoformat(), summary)
    outcome = "ExecutionFailed" if counts["failed"] else "ExecutionSucceeded"
    publish(run.report_type, ClientsProcessed=len(clients), **{outcome: 1})
    return summary


def _json(value: Any) -> str:
    import json

    return json.dumps(value)

"""record: the outcome of one client's branch, success or caught failure, in the run records."""

from __future__ import annotations

from typing import Any

from chalicelib.core.errors import error_details
from chalicelib.core.store import table


def record_result(event: dict[str, Any]) -> dict[str, Any]:
    run_id = event["run"]["run_id"]
    client_id = event["client_id"]
    now = table.utcnow().isoformat()
    if "error" in event:
        details = error_details(str(event["error"].get("Error", "")), event["error"].get("Cause"))
        attrs = {"status": "failed", "reason": details["message"] or details["error"], "category": details["category"],
                 "error": details["error"], "severity": details["severity"],
                 "recommended_action": details["recommended_action"], "updated_at": now}
    elif event.get("delivery", {}).get("duplicate"):
        delivery = event["delivery"]
        attrs = {"status": "skipped", "reason": f"already delivered by run {delivery['sent_by_run']}",
                 "message_id": delivery["message_id"], "updated_at": now}
    else:
        attrs = {"status": "completed", "message_id": event["delivery"]["message_id"],
                 "ce_requests": event.get("collected", {}).get("ce_requests"), "completed_at": now, "updated_at": now}
    table.put_client_record(run_id, client_id, attrs)
    return {"client_id": client_id, "status": attrs["status"]}

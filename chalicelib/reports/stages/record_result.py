"""record: the outcome of one client's branch, success or caught failure, in the run records."""

from __future__ import annotations

from typing import Any

from chalicelib.core.errors import error_details
from chalicelib.core.executions import skip_record
from chalicelib.core.periods import utcnow
from chalicelib.reports import store
from chalicelib.reports.contracts import RecordResultInput, RecordResultOutput


def record(event: RecordResultInput) -> RecordResultOutput:
    now = utcnow().isoformat()
    attrs: dict[str, Any]
    if event.error is not None:
        details = error_details(event.error.error, event.error.cause)
        attrs = {"status": "failed", "reason": details["message"] or details["error"], "category": details["category"],
                 "error": details["error"], "severity": details["severity"],
                 "recommended_action": details["recommended_action"], "updated_at": now}
    elif event.collected is not None and event.collected.skip_reason is not None:
        # No cost data: nothing sent, nothing in the ledger, and a problem for the operator alert.
        attrs = {**skip_record(event.client_id, "no_data", event.collected.skip_reason),
                 "ce_requests": event.collected.ce_requests, "updated_at": now}
    elif event.delivery is not None and event.delivery.message_id is None:
        # Every recipient unsubscribed: nothing was sent, so never "delivered" (and nothing in the ledger).
        attrs = {**skip_record(event.client_id, "unsubscribed",
                               f"every recipient ({event.delivery.unsubscribed}) has unsubscribed: nothing was sent"),
                 "unsubscribed": event.delivery.unsubscribed, "updated_at": now}
    elif event.delivery is not None and event.delivery.duplicate:
        attrs = {**skip_record(event.client_id, "already_delivered", f"already delivered by run {event.delivery.sent_by_run}"),
                 "message_id": event.delivery.message_id, "updated_at": now}
    elif event.delivery is not None:
        attrs = {"status": "completed", "message_id": event.delivery.message_id,
                 "ce_requests": event.collected.ce_requests if event.collected else None,
                 "completed_at": now, "updated_at": now}
    else:
        from chalicelib.core.errors import DataValidationError

        raise DataValidationError("record_result: neither `delivery` nor `error` in the branch state")
    if event.collected is not None and event.collected.started_at is not None:
        attrs["started_at"] = event.collected.started_at.isoformat()  # with updated_at: the client's duration
    if event.delivery is not None and event.delivery.recipients:  # per recipient (masked): sent, already sent, unsubscribed
        attrs["recipients"] = [outcome.model_dump(exclude_none=True) for outcome in event.delivery.recipients]
        attrs["unsubscribed"] = event.delivery.unsubscribed
    if attrs["status"] == "completed" and event.rendered is not None:
        attrs["spend_reported"] = event.rendered.spend_reported
        if event.rendered.change_reported:
            attrs["change_reported"] = event.rendered.change_reported
    store.put_client_record(event.run.run_id, event.client_id, attrs)
    return RecordResultOutput(client_id=event.client_id, status=attrs["status"])

"""record_batch_failure: a batch's caught error (after its retries), recorded for each of its tenants."""

from __future__ import annotations

from chalicelib.core.errors import error_details
from chalicelib.core.periods import utcnow
from chalicelib.metrics import store
from chalicelib.metrics.contracts import BatchFailure, BatchResult


def record_batch_failure(failure: BatchFailure) -> BatchResult:
    """The whole batch failed (a service in the way after the ASL's retries, or the stage itself):
    each of its tenants is recorded as failed with the error's category; the Map goes on."""
    details = error_details(failure.error.error, failure.error.cause)
    outcome = {"status": "failed", "error": details["error"], "category": details["category"],
               "reason": details["message"] or details["error"], "recommended_action": details["recommended_action"],
               "finished_at": utcnow().isoformat()}
    store.put_tenant_outcomes(failure.run.run_id, dict.fromkeys(failure.tenants, outcome))
    return BatchResult(tenants=len(failure.tenants), ok=0, failed=len(failure.tenants))

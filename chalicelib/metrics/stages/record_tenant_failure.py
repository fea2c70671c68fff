"""record_tenant_failure: a tenant's caught error, recorded with its category."""

from __future__ import annotations

from chalicelib.core.errors import error_details
from chalicelib.core.periods import utcnow
from chalicelib.metrics import store
from chalicelib.metrics.contracts import TenantFailure, TenantResult


def record_tenant_failure(failure: TenantFailure) -> TenantResult:
    """A tenant's caught error, recorded with its category; the Map goes on with the others."""
    details = error_details(failure.error.error, failure.error.cause)
    store.put_tenant_outcome(failure.run.run_id, failure.tenant, {
        "status": "failed", "error": details["error"], "category": details["category"],
        "reason": details["message"] or details["error"], "recommended_action": details["recommended_action"],
        "finished_at": utcnow().isoformat()})
    return TenantResult(tenant=failure.tenant, status="failed")

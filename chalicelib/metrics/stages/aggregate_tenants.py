"""aggregate_tenants: one Map item, every period of the run for a batch of tenants."""

from __future__ import annotations

from typing import Any

from chalicelib.core.constants import DEPLOYMENT_TENANT
from chalicelib.core.errors import NetworkError, ServiceUnavailableError, ThrottlingError, error_details
from chalicelib.core.periods import utcnow
from chalicelib.metrics import store
from chalicelib.metrics.aggregation import summaries_from_days, yearly_from_months
from chalicelib.metrics.calendar import SummaryPeriod, covered_days
from chalicelib.metrics.contracts import AggregationRun, BatchResult, TenantBatch

# A service in the way (after boto3's retries) fails the whole batch: the ASL retries it with
# backoff (puts overwrite, so a retry is harmless). Anything else is the tenant's own failure.
BATCH_ERRORS = (ThrottlingError, ServiceUnavailableError, NetworkError)


def aggregate_tenants(batch: TenantBatch) -> BatchResult:
    """Every period of the run for each tenant of the batch: days, weeks and months from one Query
    of its day buckets, years from its monthly summaries (the months just computed included). Then
    every summary of the batch in one stream of BatchWriteItem, then each tenant's outcome.

    A tenant whose own aggregation fails is recorded as failed (its error, category and reason) and
    the others go on; only a failure of the services (BATCH_ERRORS) fails the batch."""
    run = batch.run
    periods = run.periods()
    items: dict[str, list[dict[str, Any]]] = {}
    outcomes: dict[str, dict[str, Any]] = {}
    for tenant in batch.tenants:
        try:
            items[tenant] = _tenant_summaries(run, tenant, periods)
        except BATCH_ERRORS:
            raise
        except Exception as exc:  # noqa: BLE001 - this tenant's failure: recorded, the batch goes on
            details = error_details(type(exc).__name__)
            outcomes[tenant] = {"status": "failed", "error": details["error"], "category": details["category"],
                                "reason": str(exc)[:2000] or details["error"],
                                "recommended_action": details["recommended_action"]}
    written = store.put_summaries(items) if items else 0
    finished = utcnow().isoformat()
    for tenant, tenant_items in items.items():
        outcomes[tenant] = {"status": "ok", "summaries_written": len(tenant_items)}
    store.put_tenant_outcomes(run.run_id, {tenant: {**outcome, "finished_at": finished}
                                           for tenant, outcome in outcomes.items()})
    return BatchResult(tenants=len(batch.tenants), ok=len(items), failed=len(batch.tenants) - len(items),
                       summaries_written=written)


def _tenant_summaries(run: AggregationRun, tenant: str, periods: list[SummaryPeriod]) -> list[dict[str, Any]]:
    """One tenant's summary items for the run (not yet written)."""
    keep_empty = tenant == DEPLOYMENT_TENANT
    from_days = [p for p in periods if p.period_type != "yearly"]
    span = covered_days(from_days)
    days = store.day_tallies(tenant, *span) if span else {}
    items = summaries_from_days(tenant, from_days, days, run.run_id, keep_empty)
    for period in (p for p in periods if p.period_type == "yearly"):
        # the stored months, with this run's own months in place of what they were before
        months = {item["sk"]: item for item in store.monthly_summaries(tenant, period.start.year)}
        months.update({item["sk"]: item for item in items if item["period_type"] == "monthly"})
        item = yearly_from_months(tenant, period, months.values(), run.run_id, keep_empty)
        if item:
            items.append(item)
    return items

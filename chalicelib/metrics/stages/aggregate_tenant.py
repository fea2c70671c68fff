"""aggregate_tenant: one Map iteration, every period of the run for one tenant."""

from __future__ import annotations

from chalicelib.core.constants import DEPLOYMENT_TENANT
from chalicelib.core.periods import utcnow
from chalicelib.metrics import store
from chalicelib.metrics.aggregation import summaries_from_days, yearly_from_months
from chalicelib.metrics.calendar import covered_days
from chalicelib.metrics.contracts import TenantResult, TenantTask


def aggregate_tenant(task: TenantTask) -> TenantResult:
    """Every period of the run for one tenant: days/weeks/months from one Query of its day
    buckets, then years from its (just written) monthly summaries."""
    run, tenant = task.run, task.tenant
    keep_empty = tenant == DEPLOYMENT_TENANT
    periods = run.periods()
    from_days = [p for p in periods if p.period_type != "yearly"]
    span = covered_days(from_days)
    days = store.day_tallies(tenant, *span) if span else {}
    items = summaries_from_days(tenant, from_days, days, run.run_id, keep_empty)
    written = store.put_summaries(tenant, items) if items else 0
    for period in (p for p in periods if p.period_type == "yearly"):
        item = yearly_from_months(tenant, period, store.monthly_summaries(tenant, period.start.year), run.run_id, keep_empty)
        if item:
            written += store.put_summaries(tenant, [item])
    store.put_tenant_outcome(run.run_id, tenant, {"status": "ok", "summaries_written": written,
                                                  "finished_at": utcnow().isoformat()})
    return TenantResult(tenant=tenant, status="ok", summaries_written=written)

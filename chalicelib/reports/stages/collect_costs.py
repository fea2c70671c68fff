"""collect: the client's one cost dataset for the run (its export slice, or Cost Explorer), and
what the report computes from it: both periods as a CostDataset, the trend, month to date, the
forecast, the why and the account names as a ReportContext, both written to S3 as one object.

No rows at all for the client's accounts in both periods is not a report: collect answers
`skip_reason` (the state machine records the client as skipped, a problem the operator alert
lists) unless the client opted in with send_empty_reports.
"""

from __future__ import annotations

from datetime import timedelta

from chalicelib.core.clients import load_checked
from chalicelib.core.constants import COSTS_ARTEFACT
from chalicelib.core.periods import utcnow
from chalicelib.reports import store
from chalicelib.reports.contracts import CollectCostsInput, CollectCostsResult
from chalicelib.reports.costs.context import CollectedReport
from chalicelib.reports.costs.reading import read_report


def collect(task: CollectCostsInput) -> CollectCostsResult:
    run = task.run
    started_at = utcnow()
    # The config eligibility checked against every other client, or none (ConfigChangedError).
    config = load_checked(task.client_id, task.fingerprint)
    inputs = read_report(config, run, in_run=True)
    if inputs.context is None:
        last_day = run.current.end - timedelta(days=1)
        return CollectCostsResult(
            skip_reason=(f"no cost data for {', '.join(config.accounts)} from {run.previous.start.isoformat()} "
                         f"to {last_day.isoformat()}: check the account ids or the payer role "
                         f"(send_empty_reports: true sends a report anyway)"),
            ce_requests=inputs.ce_requests, started_at=started_at)
    key = store.put_model(store.artefact_key(run.run_id, task.client_id, COSTS_ARTEFACT),
                          CollectedReport(dataset=inputs.dataset, context=inputs.context))
    return CollectCostsResult(data_key=key, ce_requests=inputs.ce_requests, started_at=started_at)

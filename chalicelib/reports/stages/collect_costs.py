"""collect: the client's costs for both periods, written to S3 as a CostDataset, and what the report
needs beyond them (trend, month to date, forecast, the why, account names) as a ReportContext.

No rows at all for the client's accounts in both periods is not a report: collect answers
`skip_reason` (the state machine records the client as skipped, a problem the operator alert
lists) unless the client opted in with send_empty_reports.
"""

from __future__ import annotations

from datetime import timedelta

from chalicelib.core.clients import load_checked
from chalicelib.core.constants import CONTEXT_ARTEFACT, COSTS_ARTEFACT
from chalicelib.core.periods import utcnow
from chalicelib.reports import store
from chalicelib.reports.contracts import CollectCostsInput, CollectCostsResult
from chalicelib.reports.costs.analysis import analyze
from chalicelib.reports.costs.context import fetch_context
from chalicelib.reports.costs.explorer import ce_client_for, fetch_costs, payer_credentials
from chalicelib.reports.costs.insights import explainer


def collect(task: CollectCostsInput) -> CollectCostsResult:
    run = task.run
    started_at = utcnow()
    # The config eligibility checked against every other client, or none (ConfigChangedError).
    config = load_checked(task.client_id, task.fingerprint)
    credentials = payer_credentials(config)  # one AssumeRole serves Cost Explorer and Organizations
    ce = ce_client_for(config, credentials)
    dataset = fetch_costs(config, run, ce)
    if not dataset.has_data() and not config.send_empty_reports:
        last_day = run.current.end - timedelta(days=1)
        return CollectCostsResult(
            skip_reason=(f"no cost data for {', '.join(config.accounts)} from {run.previous.start.isoformat()} "
                         f"to {last_day.isoformat()}: check the account ids or the payer role "
                         f"(send_empty_reports: true sends a report anyway)"),
            ce_requests=dataset.ce_requests, started_at=started_at)
    key = store.put_model(store.artefact_key(run.run_id, task.client_id, COSTS_ARTEFACT), dataset)
    context = fetch_context(ce, config, run, credentials, explain=explainer(analyze(dataset), config.change_alert))
    context_key = store.put_model(store.artefact_key(run.run_id, task.client_id, CONTEXT_ARTEFACT), context)
    return CollectCostsResult(data_key=key, context_key=context_key, ce_requests=dataset.ce_requests + context.ce_requests,
                              started_at=started_at)

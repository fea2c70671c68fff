"""collect: the client's costs for both periods, written to S3 as a CostDataset, and what the report
needs beyond them (trend, month to date, forecast, the why, account names) as a ReportContext.

No rows at all for the client's accounts in both periods is not a report: collect answers
`skip_reason` (the state machine records the client as skipped, a problem the operator alert
lists) unless the client opted in with send_empty_reports.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalicelib.core.clients import load_checked
from chalicelib.core.constants import COSTS_ARTEFACT, CONTEXT_ARTEFACT
from chalicelib.core.models import ClientConfig
from chalicelib.core.periods import utcnow
from chalicelib.reports import store
from chalicelib.reports.contracts import CollectCostsInput, CollectCostsResult, CostDataset, RunContext
from chalicelib.reports.costs.analysis import CostReport, analyze
from chalicelib.reports.costs.context import ReportContext, fetch_context, with_breakdown
from chalicelib.reports.costs.explorer import ce_client_for, fetch_costs, payer_credentials
from chalicelib.reports.costs.insights import service_to_explain


def collect(task: CollectCostsInput) -> CollectCostsResult:
    run = task.run
    started_at = utcnow()
    # The config eligibility checked against every other client, or none (ConfigChangedError).
    config = load_checked(task.client_id, task.fingerprint)
    credentials = payer_credentials(config)  # one AssumeRole serves Cost Explorer and Organizations
    ce = ce_client_for(config, credentials)
    dataset = collect_dataset(config, run, ce)
    if not dataset.has_data() and not config.send_empty_reports:
        last_day = run.current.end - timedelta(days=1)
        return CollectCostsResult(
            skip_reason=(f"no cost data for {', '.join(config.accounts)} from {run.previous.start.isoformat()} "
                         f"to {last_day.isoformat()}: check the account ids or the payer role "
                         f"(send_empty_reports: true sends a report anyway)"),
            ce_requests=dataset.ce_requests, started_at=started_at)
    key = store.put_model(store.artefact_key(run.run_id, task.client_id, COSTS_ARTEFACT), dataset)
    context = collect_context(ce, config, run, analyze(dataset), credentials)
    context_key = store.put_model(store.artefact_key(run.run_id, task.client_id, CONTEXT_ARTEFACT), context)
    return CollectCostsResult(data_key=key, context_key=context_key, ce_requests=dataset.ce_requests + context.ce_requests,
                              started_at=started_at)


def collect_context(ce: Any, config: ClientConfig, run: RunContext, report: CostReport,
                    credentials: dict[str, str] | None, forecast: bool = True) -> ReportContext:
    """What the report needs beyond its cost lines (collect, and report_pdf on demand): the history,
    forecast and names, then the breakdown of the one move the report explains, if any."""
    context = fetch_context(ce, config, run, credentials, forecast)
    service = service_to_explain(report, context.totals, config.change_alert)
    return with_breakdown(ce, config, run, context, service) if service else context


def collect_dataset(config: ClientConfig, run: RunContext, ce: Any) -> CostDataset:
    """The client's costs for both periods (collect, and report_pdf on demand)."""
    fetched = fetch_costs(config, run, ce)
    return CostDataset(client=config, run=run, currency=fetched.currency, estimated=fetched.estimated,
                       lines=fetched.lines, charges=fetched.charges, charges_separated=fetched.charges_separated,
                       ce_requests=fetched.requests)


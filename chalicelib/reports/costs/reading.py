"""One report's inputs from one dataset: read the client's costs once (chalicelib/costs), compute
both periods, analyse them, and from the same rows the trend, month to date, the forecast and the
why-line. The only extra reading is the usage types of the one move the report explains, when the
source did not give them with every row (Cost Explorer), and Cost Explorer's forecast for a client
that opted in. Used by collect (a scheduled run) and report_pdf (on demand).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from chalicelib.core.models import ClientConfig
from chalicelib.costs.contracts import ClientCosts
from chalicelib.costs.source import credentials_for, forecast_usage, read_costs, service_detail
from chalicelib.reports.contracts import CostDataset, RunContext
from chalicelib.reports.costs.analysis import analyze
from chalicelib.reports.costs.context import (
    ReportContext,
    both_periods,
    breakdown_of,
    bucket_totals,
    forecast_window,
    names_or_config,
    report_context,
    report_dataset,
    report_request,
)
from chalicelib.reports.costs.insights import explainer


class ReportInputs(NamedTuple):
    costs: ClientCosts  # the one dataset every figure below comes from
    dataset: CostDataset
    context: ReportContext | None  # None: no data to report (collect skips the client)

    @property
    def ce_requests(self) -> int:
        return self.dataset.ce_requests + (self.context.ce_requests if self.context else 0)


def read_report(config: ClientConfig, run: RunContext, *, in_run: bool, with_empty: bool = False,
                ce: Any = None) -> ReportInputs:
    """The client's dataset for the run's report and everything computed from it. `in_run`: an
    export client reads the slice the run's export stage wrote; otherwise the source is asked.
    `ce`: a Cost Explorer client to ask instead of the deployment's (benchmarks)."""
    credentials = credentials_for(config)  # one AssumeRole serves Cost Explorer and Organizations
    periods = both_periods(run)
    costs = read_costs(config, report_request(config, run), run_id=run.run_id if in_run else None,
                       services_in=periods, credentials=credentials, ce=ce)
    dataset = report_dataset(config, run, costs)
    if not dataset.has_data() and not (with_empty or config.send_empty_reports):
        return ReportInputs(costs, dataset, None)
    report = analyze(dataset)
    detail_requests = 0
    service = explainer(report, config.change_alert)(bucket_totals(config, costs, costs.window, usage_only=True))
    breakdown = None
    if service is not None:
        detail = service_detail(config, costs, service, periods, credentials, ce)
        detail_requests = detail.ce_requests
        breakdown = breakdown_of(detail, run)
    forecast, note, forecast_requests = None, None, 0
    window = forecast_window(run.report_type, run.as_of)
    if window is not None:
        forecast, note, forecast_requests = forecast_usage(config, costs, window, credentials=credentials, ce=ce)
    context = report_context(config, run, costs, names=names_or_config(run, config, credentials), breakdown=breakdown,
                             forecast=forecast, forecast_note=note,
                             ce_requests=detail_requests + forecast_requests)
    return ReportInputs(costs, dataset, context)

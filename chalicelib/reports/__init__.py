"""Cost reports: per client, a report of a period's costs by account and service, explained (trend,
month to date and forecast, the why of the biggest move) and emailed once per (client, report type,
period), through one Step Functions run (statemachines/cost_report.asl.json) with a Distributed Map.

  blueprint.py   the Lambda functions: one line per stage, the three schedules, report_pdf
  contracts.py   each stage's input and result, as the state machine passes them
  stages/        one module per Lambda: plan, eligibility, collect_costs, render_report,
                 deliver_report, record_result, summarize_run, report_pdf (a report on demand)
  store.py       the delivery ledger, run records and history, each run's S3 artefacts
  trigger.py     the schedules' start: one execution per report type and period
  alerts.py      the operator alert a run with problems queues
  costs/         a report's figures from the client's one cost dataset (chalicelib/costs), the
                 analysis and the insights
  rendering/     one ReportView, rendered as HTML, text, CSV, XLSX and PDF; the change alert

The face below is what app.py registers; no other subsystem imports this package.
"""

from chalicelib.reports.blueprint import STAGES, bp

__all__ = ["STAGES", "bp"]

"""render: HTML, text, CSV (and the XLSX and PDF a client asks for) from the collected costs and
context, and the MIME message deliver sends as is."""

from __future__ import annotations

from chalicelib.core.email import build_message
from chalicelib.core.metrics import publish
from chalicelib.core.periods import report_granularity
from chalicelib.core.settings import get_settings
from chalicelib.reports import rendering, store
from chalicelib.reports.contracts import CostDataset, RenderReportInput, RenderReportResult
from chalicelib.reports.costs.analysis import analyze
from chalicelib.reports.costs.context import ReportContext
from chalicelib.reports.costs.insights import build_insights
from chalicelib.reports.rendering.change_alert import change_notification

ATTACHMENT_CONTENT_TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                            "pdf": "application/pdf"}


def render(task: RenderReportInput) -> RenderReportResult:
    dataset = store.get_model(task.collected.data_key, CostDataset)
    report = analyze(dataset)
    config = dataset.client
    context_key = task.collected.context_key
    context = store.get_model(context_key, ReportContext) if context_key else ReportContext(
        granularity=report_granularity(report.report_type))
    insights = build_insights(report, context, config.change_alert, config.budget_for("monthly"))
    rendered = rendering.render_report(report, insights, list(config.attachments))

    def key(name: str) -> str:
        return store.artefact_key(task.run.run_id, task.client_id, name)

    # Kept as the run's archive (and what `python -m local run` writes out); deliver reads message.eml only.
    store.put_text(key("report.html"), rendered.html, "text/html; charset=utf-8")
    store.put_text(key("report.txt"), rendered.text, "text/plain; charset=utf-8")
    store.put_text(key("report.csv"), rendered.csv, "text/csv; charset=utf-8")
    for filename, body in rendered.files.items():
        extension = filename.rpartition(".")[2]
        store.put_bytes(key(f"report.{extension}"), body, ATTACHMENT_CONTENT_TYPES[extension])
    message = build_message(
        sender=config.sender or get_settings().default_sender,
        recipients=list(config.recipients),
        reply_to=list(config.reply_to),
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        csv_body=rendered.csv if "csv" in config.attachments else None,
        csv_filename=rendered.csv_filename,
        extra_headers={"X-Cost-Report-Client": task.client_id, "X-Cost-Report-Run": task.run.run_id},
        files=rendered.files,
    )
    message_key = store.put_bytes(key("message.eml"), message, "message/rfc822")
    alert = change_notification(report, config)
    if alert is not None:  # queued once per (client, report type, period), whatever repeats
        from chalicelib.core.notifications import enqueue

        enqueue(alert)
    publish(task.run.report_type, ReportsGenerated=1)
    return RenderReportResult(message_key=message_key, html_bytes=len(rendered.html.encode("utf-8")),
                              recipients=len(config.recipients), spend_reported=report.total_current)

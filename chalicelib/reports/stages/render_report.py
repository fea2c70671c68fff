"""render: HTML, text and CSV from the collected costs, and the MIME message deliver sends as is."""

from __future__ import annotations

from chalicelib.reports.costs.analysis import analyze
from chalicelib.core.metrics import publish
from chalicelib.core.email import build_message
from chalicelib.core.settings import get_settings
from chalicelib.reports import rendering
from chalicelib.core.store import artefacts
from chalicelib.reports.contracts import CostDataset, RenderReportInput, RenderReportResult


def render(task: RenderReportInput) -> RenderReportResult:
    dataset = artefacts.get_model(task.collected.data_key, CostDataset)
    report = analyze(dataset)
    rendered = rendering.render_report(report)
    key = lambda name: artefacts.artefact_key(task.run.run_id, task.client_id, name)  # noqa: E731
    # Kept as the run's archive (and what `python -m local run` writes out); deliver reads message.eml only.
    artefacts.put_text(key("report.html"), rendered.html, "text/html; charset=utf-8")
    artefacts.put_text(key("report.txt"), rendered.text, "text/plain; charset=utf-8")
    artefacts.put_text(key("report.csv"), rendered.csv, "text/csv; charset=utf-8")
    config = dataset.client
    message = build_message(
        sender=config.sender or get_settings().default_sender,
        recipients=list(config.recipients),
        reply_to=list(config.reply_to),
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        csv_body=rendered.csv,
        csv_filename=rendered.csv_filename,
        extra_headers={"X-Cost-Report-Client": task.client_id, "X-Cost-Report-Run": task.run.run_id},
    )
    message_key = artefacts.put_bytes(key("message.eml"), message, "message/rfc822")
    publish(task.run.report_type, ReportsGenerated=1)
    return RenderReportResult(message_key=message_key, html_bytes=len(rendered.html.encode("utf-8")),
                              recipients=len(config.recipients), spend_reported=report.total_current)

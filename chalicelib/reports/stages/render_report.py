"""render: HTML, text, CSV (and the XLSX and PDF a client asks for) from the collected costs and
context, and the MIME message deliver sends as is."""

from __future__ import annotations

from chalicelib.core.branding import brand_for
from chalicelib.core.email import build_message
from chalicelib.core.metrics import publish
from chalicelib.core.models import ClientConfig
from chalicelib.core.settings import get_settings
from chalicelib.reports import store
from chalicelib.reports.contracts import RenderReportInput, RenderReportResult
from chalicelib.reports.costs.analysis import analyze
from chalicelib.reports.costs.context import CollectedReport
from chalicelib.reports.costs.insights import build_insights
from chalicelib.reports.rendering.change_alert import change_notification, report_link
from chalicelib.reports.rendering.digest import digest_notification
from chalicelib.reports.rendering.report import render_report

ATTACHMENT_CONTENT_TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                            "pdf": "application/pdf"}


def render(task: RenderReportInput) -> RenderReportResult:
    collected = store.get_model(task.collected.data_key, CollectedReport)
    dataset, context = collected.dataset, collected.context
    report = analyze(dataset)
    config = dataset.client
    insights = build_insights(report, context, config.change_alert, config.budget_for("monthly"))
    brand = brand_for(task.client_id, config.branding)  # a missing or bad logo: the deployment's look, never a failure
    rendered = render_report(report, insights, list(config.attachments), brand, local_time_note(config))

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
        sender_name=brand.look.sender_name,
        inline_images=rendered.inline_images,
    )
    message_key = store.put_bytes(key("message.eml"), message, "message/rfc822")
    alert = None
    if rendered.view is not None:  # decided from what the report shows, linked to the stored report
        alert = change_notification(rendered.view, config,
                                    report_link(get_settings().bucket_name, key("report.html")))
    digest = digest_notification(rendered.view, config) if rendered.view is not None else None
    for notification in (alert, digest):
        if notification is not None:  # queued once per (client, report type, period), whatever repeats
            from chalicelib.core.notifications import enqueue

            enqueue(notification)
    publish(task.run.report_type, ReportsGenerated=1)
    return RenderReportResult(message_key=message_key, html_bytes=len(rendered.html.encode("utf-8")),
                              recipients=len(config.recipients), spend_reported=report.total_current,
                              change_reported=(f"{rendered.view.headline.change} ({rendered.view.headline.change_pct})"
                                               if rendered.view is not None else None))


def local_time_note(config: ClientConfig) -> list[str]:
    """A client with a local send time reads that its periods are still UTC days."""
    if config.send_hour is None:
        return []
    return [f"Sent at {config.send_hour:02d}:00 {config.timezone or 'UTC'}; periods are UTC days, as AWS counts costs."]

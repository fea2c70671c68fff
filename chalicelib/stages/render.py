"""render: HTML, text and CSV from the collected costs, plus the manifest deliver needs."""

from __future__ import annotations

from typing import Any

from ..costs.analysis import analyze
from ..metrics import publish
from ..models import ClientTask, CostDataset, ReportManifest
from ..render import render_report
from ..store import reports


def render(event: dict[str, Any]) -> dict[str, Any]:
    task = ClientTask.model_validate({"run": event["run"], "client_id": event["client_id"]})
    dataset = reports.get_model(event["collected"]["data_key"], CostDataset)
    report = analyze(dataset)
    rendered = render_report(report)
    key = lambda name: reports.artefact_key(task.run.run_id, task.client_id, name)  # noqa: E731
    html_key = reports.put_text(key("report.html"), rendered.html, "text/html; charset=utf-8")
    text_key = reports.put_text(key("report.txt"), rendered.text, "text/plain; charset=utf-8")
    csv_key = reports.put_text(key("report.csv"), rendered.csv, "text/csv; charset=utf-8")
    config = dataset.client
    manifest = ReportManifest(
        client_id=task.client_id,
        subject=rendered.subject,
        sender=config.sender,
        recipients=list(config.recipients),
        reply_to=list(config.reply_to),
        html_key=html_key,
        text_key=text_key,
        csv_key=csv_key,
        csv_filename=rendered.csv_filename,
        html_bytes=len(rendered.html.encode("utf-8")),
    )
    manifest_key = reports.put_model(key("manifest.json"), manifest)
    publish(task.run.report_type, ReportsGenerated=1)
    return {"manifest_key": manifest_key, "html_bytes": manifest.html_bytes}

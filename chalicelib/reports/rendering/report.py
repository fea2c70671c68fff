"""One CostReport -> everything the email needs: subject, HTML, plain text, CSV and its filename."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from chalicelib.reports.costs.analysis import CostReport
from chalicelib.reports.rendering.csv_export import build_csv, csv_filename
from chalicelib.reports.rendering.html import render_html
from chalicelib.reports.rendering.subject import build_subject
from chalicelib.reports.rendering.text import render_text


class RenderedReport(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    subject: str
    html: str
    text: str
    csv: str
    csv_filename: str


def render_report(report: CostReport) -> RenderedReport:
    subject = build_subject(report)
    return RenderedReport(
        subject=subject,
        html=render_html(report, subject),
        text=render_text(report, subject),
        csv=build_csv(report),
        csv_filename=csv_filename(report),
    )

"""One report -> everything the email needs: subject, HTML, plain text, CSV, and the XLSX and PDF
a client asks for. HTML, text, XLSX and PDF all render one ReportView, so their figures agree."""

from __future__ import annotations

from pydantic import Field

from chalicelib.core.models import ChangeAlert, StrictModel
from chalicelib.core.periods import report_granularity
from chalicelib.reports.costs.analysis import CostReport
from chalicelib.reports.costs.context import ReportContext
from chalicelib.reports.costs.insights import ReportInsights, build_insights
from chalicelib.reports.rendering.csv_export import build_csv, csv_filename
from chalicelib.reports.rendering.html import render_html
from chalicelib.reports.rendering.subject import build_subject
from chalicelib.reports.rendering.text import render_text
from chalicelib.reports.rendering.view import build_view


class RenderedReport(StrictModel):
    subject: str
    html: str
    text: str
    csv: str
    csv_filename: str
    files: dict[str, bytes] = Field(default_factory=dict)  # further attachments by file name: the XLSX and the PDF when asked


def empty_insights(report: CostReport) -> ReportInsights:
    """Insights when nothing beyond the main lines was fetched (tests, a collect result without context)."""
    return build_insights(report, ReportContext(granularity=report_granularity(report.report_type)), ChangeAlert(), None)


def render_report(report: CostReport, insights: ReportInsights | None = None,
                  attachments: list[str] | None = None) -> RenderedReport:
    """Subject, HTML, text and CSV always; the XLSX and PDF only when asked (their libraries are
    imported here, on first use: no other client and no other Lambda pays for them)."""
    attachments = attachments or ["csv"]
    view = build_view(report, insights or empty_insights(report), attachments)
    subject = build_subject(report)
    files: dict[str, bytes] = {}
    start = report.current.start.isoformat()
    if "xlsx" in attachments:
        from chalicelib.reports.rendering.xlsx import build_xlsx, xlsx_filename

        files[xlsx_filename(view, start)] = build_xlsx(view)
    if "pdf" in attachments:
        from chalicelib.reports.rendering.pdf import build_pdf, pdf_filename

        files[pdf_filename(view, start)] = build_pdf(view)
    return RenderedReport(
        subject=subject,
        html=render_html(view, subject),
        text=render_text(view),
        csv=build_csv(report),
        csv_filename=csv_filename(report),
        files=files,
    )

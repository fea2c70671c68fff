"""Render a CostReport into an email: subject, HTML, plain text and a CSV attachment.

Security: every string from a client config or from Cost Explorer (client name, service names,
account ids) is untrusted. The HTML template is autoescaped and never uses `|safe` on data; the
CSV neutralises spreadsheet formulas; the subject goes through the one header sanitiser.
"""

from chalicelib.reports.rendering.csv_export import CSV_HEADER, build_csv, csv_filename
from chalicelib.reports.rendering.html import HTML_BUDGET_BYTES, MAX_HTML_SERVICES
from chalicelib.reports.rendering.jinja import TEMPLATES, environment
from chalicelib.reports.rendering.report import RenderedReport, render_report
from chalicelib.reports.rendering.subject import SUBJECT_MAX, build_subject
from chalicelib.reports.rendering.wording import alert_lines, alert_text

__all__ = [
    "CSV_HEADER", "HTML_BUDGET_BYTES", "MAX_HTML_SERVICES", "SUBJECT_MAX", "TEMPLATES", "RenderedReport",
    "alert_lines", "alert_text", "build_csv", "build_subject", "csv_filename", "environment", "render_report",
]

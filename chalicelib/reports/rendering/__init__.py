"""Render a CostReport into an email: subject, HTML, plain text and a CSV attachment.

Security: every string from a client config or from Cost Explorer (client name, service names,
account ids) is untrusted. The HTML template is autoescaped and never uses `|safe` on data; the
CSV neutralises spreadsheet formulas; the subject goes through the one header sanitiser.

The names below are imported from their modules when first asked for: a function that needs one
writer (report_pdf's PDF through view.py and pdf.py) does not load jinja2 with this package.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_HOMES = {
    "CSV_HEADER": "csv_export", "build_csv": "csv_export", "csv_filename": "csv_export",
    "HTML_BUDGET_BYTES": "html", "MAX_HTML_SERVICES": "html",
    "TEMPLATES": "jinja", "environment": "jinja",
    "RenderedReport": "report", "render_report": "report",
    "SUBJECT_MAX": "subject", "build_subject": "subject",
    "alert_lines": "wording", "alert_text": "wording",
}
__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(import_module(f"{__name__}.{_HOMES[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

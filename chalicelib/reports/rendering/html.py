"""The HTML body from the ReportView: what the recipient sees first, kept under Gmail's clipping size."""

from __future__ import annotations

from typing import Any

from chalicelib.reports.rendering.jinja import environment
from chalicelib.reports.rendering.view import ReportView

# Gmail clips HTML bodies above ~102 KB and hides the rest behind a link.
HTML_BUDGET_BYTES = 100_000
# Service rows in the HTML table. Measured worst case (300 services, 120-char names, 7-digit
# figures, all flagged): 80.4 KB at 150 rows with 3 accounts, 97 KB with 50 accounts named with 100
# characters each. The trend, month-to-date and why blocks add about 6 KB, so render_html shrinks
# the table whenever the whole still passes the budget (escaping can blow names up: `"` -> `&#34;`).
MAX_HTML_SERVICES = 150
MAX_HTML_ACCOUNTS = 50


LOGO_CID = "logo"  # the logo's Content-ID in the message (cid:logo in the HTML)


def context(view: ReportView, subject: str, max_services: int, brand: Any = None) -> dict[str, Any]:
    return {
        "brand": brand.look if brand else None,  # white-label look (chalicelib/core/branding.py); None: default
        "logo_cid": LOGO_CID if brand and brand.logo else None,
        "v": view,
        "subject": subject,
        "services": view.services[:max_services],
        "services_hidden": max(len(view.services) - max_services, 0),
        "accounts": view.accounts[:MAX_HTML_ACCOUNTS],
        "accounts_hidden": max(len(view.accounts) - MAX_HTML_ACCOUNTS, 0),
    }


def render_html(view: ReportView, subject: str, brand: Any = None) -> str:
    template = environment().get_template("report.html.j2")
    limit = MAX_HTML_SERVICES
    html = template.render(context(view, subject, limit, brand))
    # Escaping can grow hostile names several-fold; shrink the table until it fits.
    while len(html.encode("utf-8")) > HTML_BUDGET_BYTES and limit > 0:
        limit = limit * 3 // 4
        html = template.render(context(view, subject, limit, brand))
    return html

"""The HTML body: what the recipient sees first, kept under Gmail's clipping size."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from chalicelib.reports.costs.analysis import CostReport
from chalicelib.reports.rendering.formatting import AMBER, GREEN, GREY, RED, change_colour, format_share
from chalicelib.reports.rendering.jinja import environment
from chalicelib.reports.rendering.wording import (
    BUDGET_LABELS,
    alert_lines,
    breakdown_lines,
    change_label,
    footer_notes,
    headline,
)

# Gmail clips HTML bodies above ~102 KB and hides the rest behind a link.
HTML_BUDGET_BYTES = 100_000
# Service rows in the HTML table. Measured worst case (300 services, 120-char
# names, 3 accounts, 7-digit figures, all flagged): 75.7 KB at 150 rows, 94 KB at
# 200, so 150 leaves room for up to MAX_HTML_ACCOUNTS accounts (87 KB with 50).
# render_html still shrinks the table if escaping blows names up (`"` -> `&#34;`).
MAX_HTML_SERVICES = 150
MAX_HTML_ACCOUNTS = 50
MAX_HTML_ALERTS = 10
CHART_SERVICES = 10
BAR_COLOURS = ("#2563eb", "#0891b2", "#7c3aed", "#db2777", "#ea580c", "#65a30d", "#0d9488", "#4f46e5", "#c026d3", "#ca8a04")


def _chart(report: CostReport) -> list[dict[str, Any]]:
    """Bars for the biggest services, scaled to the largest one so the chart uses its width."""
    top = [r for r in report.services if r.current > 0][:CHART_SERVICES]
    if not top:
        return []
    largest = top[0].current
    bars = []
    for i, row in enumerate(top):
        width = int((row.current / largest * 100).to_integral_value(rounding=ROUND_HALF_UP))
        bars.append({"row": row, "width": min(max(width, 1), 100), "share": format_share(row.share_pct),
                     "colour": BAR_COLOURS[i % len(BAR_COLOURS)]})
    return bars


def _budget_view(report: CostReport) -> dict[str, Any] | None:
    if report.budget is None:
        return None
    used = report.budget.used_pct
    width = int(min(max(used, Decimal(0)), Decimal(100)).to_integral_value(rounding=ROUND_HALF_UP))
    colour = {"ok": GREEN, "warning": AMBER, "over": RED}[report.budget.status]
    return {"b": report.budget, "used": format_share(used), "width": width, "colour": colour,
            "label": BUDGET_LABELS[report.budget.status]}


def context(report: CostReport, subject: str, max_services: int) -> dict[str, Any]:
    """What both templates read; the text body widens the capped lists."""
    alerts = alert_lines(report)
    return {
        "r": report,
        "subject": subject,
        "cur": report.currency,
        "kind": report.report_type.capitalize(),
        "total_colour": change_colour(report.total_change),
        "budget": _budget_view(report),
        "chart": _chart(report),
        "services": report.services[:max_services],
        "services_hidden": max(len(report.services) - max_services, 0),
        "accounts": report.accounts[:MAX_HTML_ACCOUNTS],
        "accounts_hidden": max(len(report.accounts) - MAX_HTML_ACCOUNTS, 0),
        "alerts": alerts[:MAX_HTML_ALERTS],
        "alerts_hidden": max(len(alerts) - MAX_HTML_ALERTS, 0),
        "notes": footer_notes(report),
        "headline": headline(report),
        "headline_text": headline(report, "TOTAL SPEND"),
        "change_label": change_label(report),
        "breakdown": breakdown_lines(report),
        "colours": {"red": RED, "green": GREEN, "grey": GREY},
    }


def render_html(report: CostReport, subject: str) -> str:
    template = environment().get_template("report.html.j2")
    limit = MAX_HTML_SERVICES
    html = template.render(context(report, subject, limit))
    # Escaping can grow hostile names several-fold; shrink the table until it fits.
    while len(html.encode("utf-8")) > HTML_BUDGET_BYTES and limit > 0:
        limit = limit * 3 // 4
        html = template.render(context(report, subject, limit))
    return html

"""Render a CostReport into an email: subject, HTML, plain text and a CSV attachment.

Security: every string from a client config or from Cost Explorer (client name,
service names, account ids) is untrusted. The HTML template is autoescaped and
never uses `|safe` on data; the CSV neutralises spreadsheet formulas; the
subject is stripped of control characters.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from pydantic import BaseModel, ConfigDict

from chalicelib.reports.costs.analysis import CostReport, ServiceRow, format_money, format_pct, format_signed_money

# Gmail clips HTML bodies above ~102 KB and hides the rest behind a link.
HTML_BUDGET_BYTES = 100_000
# Service rows in the HTML table. Measured worst case (300 services, 120-char
# names, 3 accounts, 7-digit figures, all flagged): 75.7 KB at 150 rows, 94 KB at
# 200, so 150 leaves room for up to MAX_HTML_ACCOUNTS accounts (87 KB with 50).
# render_report still shrinks the table if escaping blows names up (`"` -> `&#34;`).
MAX_HTML_SERVICES = 150
MAX_HTML_ACCOUNTS = 50
MAX_HTML_ALERTS = 10
CHART_SERVICES = 10
SUBJECT_MAX = 150

# CSV amounts keep 4 decimals: sub-cent services stay visible and rows add up
# to the totals more closely than cent-rounded figures would.
_CSV_QUANTUM = Decimal("0.0001")
CSV_HEADER = [
    "account_id", "service", "current_amount", "previous_amount", "change_amount",
    "currency", "period_start", "period_end", "previous_start", "previous_end",
]
# A cell starting with one of these is run as a formula by Excel / Sheets.
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

_TEMPLATES = Path(__file__).resolve().parent / "templates"
_METRIC_LABELS = {
    "UnblendedCost": "unblended cost",
    "AmortizedCost": "amortized cost",
    "NetAmortizedCost": "net amortized cost",
    "BlendedCost": "blended cost",
}
_RECORD_TYPE_LABELS = {"Credit": "credits", "Refund": "refunds", "Tax": "tax"}

# Colours: cost going up is bad news (red), going down is good (green).
RED, GREEN, GREY, AMBER = "#b91c1c", "#15803d", "#6b7280", "#b45309"
BAR_COLOURS = ("#2563eb", "#0891b2", "#7c3aed", "#db2777", "#ea580c", "#65a30d", "#0d9488", "#4f46e5", "#c026d3", "#ca8a04")


class RenderedReport(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    subject: str
    html: str
    text: str
    csv: str
    csv_filename: str


_env: Environment | None = None


def environment() -> Environment:
    """Built once per Lambda container; template compilation is the slow part."""
    global _env
    if _env is None:
        env = Environment(
            loader=FileSystemLoader(str(_TEMPLATES)),
            # HTML templates escape; text templates must not (`&amp;` in a text email is a bug).
            # Anything unrecognised defaults to escaping.
            autoescape=select_autoescape(
                enabled_extensions=("html", "htm", "html.j2"),
                disabled_extensions=("txt", "txt.j2"),
                default_for_string=True,
                default=True,
            ),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        env.filters["money"] = format_money
        env.filters["signed_money"] = format_signed_money
        env.filters["pct"] = format_pct
        env.filters["change_colour"] = change_colour
        _env = env
    return _env


def change_colour(value: Decimal) -> str:
    if value > 0:
        return RED
    if value < 0:
        return GREEN
    return GREY


# --- subject ---


def _clean_header_text(value: str) -> str:
    # Every Unicode "other" (Cc, Cf, Cs, Co, Cn) and line/paragraph separator becomes a space.
    cleaned = "".join(" " if unicodedata.category(ch)[0] in "CZ" and ch != " " else ch for ch in value)
    return re.sub(r" +", " ", cleaned).strip()


def build_subject(report: CostReport) -> str:
    """`AWS cost report - {name} - {Kind} {period}: {total} ({pct})`, at most SUBJECT_MAX chars.

    Not escaped: it is a header, and the email builder encodes it. The client name is
    the part shortened, so the figures at the end always survive.
    """
    head = "AWS cost report - "
    total = format_money(report.total_current, report.currency)
    tail = _clean_header_text(
        f"{report.report_type.capitalize()} {report.current.label()}: {total} ({format_pct(report.total_change_pct)})"
    )
    name = _clean_header_text(report.client_name) or report.client_id
    room = SUBJECT_MAX - len(head) - len(" - ") - len(tail)
    if len(name) > room:
        name = name[: max(room - 1, 1)].rstrip() + "\u2026"
    return f"{head}{name} - {tail}"[:SUBJECT_MAX]


# --- CSV ---


def _csv_amount(value: Decimal) -> str:
    q = value.quantize(_CSV_QUANTUM, rounding=ROUND_HALF_UP)
    return format(abs(q) if q == 0 else q, "f")  # "f": never exponent notation


def _csv_text(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_PREFIXES) else value


def build_csv(report: CostReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out)  # excel dialect: RFC 4180 quoting, CRLF line ends
    writer.writerow(CSV_HEADER)
    dates = [report.current.start, report.current.end, report.previous.start, report.previous.end]
    for line in report.lines:
        writer.writerow(
            [
                _csv_text(line.account_id),
                _csv_text(line.service),
                _csv_amount(line.current_amount),
                _csv_amount(line.previous_amount),
                _csv_amount(line.current_amount - line.previous_amount),
                _csv_text(report.currency),
                *(d.isoformat() for d in dates),
            ]
        )
    return out.getvalue()


def csv_filename(report: CostReport) -> str:
    # client_id is pattern-validated ([A-Za-z0-9_-]), so it is safe in a filename.
    return f"cost-report-{report.client_id}-{report.report_type}-{report.current.start.isoformat()}.csv"


# --- plain text ---


# Column widths of the text tables (90 chars): wide enough that most AWS service
# names fit on one line; longer ones get a line of their own.
_TEXT_WIDTHS = (40, 13, 13, 14, 10)


def _text_table(headers: list[str], rows: list[list[str]], total: list[str] | None = None) -> list[str]:
    """Fixed-width columns: first column left, others right. A long name gets its own line."""
    name_width, *num_widths = _TEXT_WIDTHS

    def line(name: str, cells: list[str]) -> str:
        # " " + rjust(w - 1): an oversized figure still keeps one space before it.
        return (name.ljust(name_width) + "".join(" " + c.rjust(w - 1) for c, w in zip(cells, num_widths))).rstrip()

    rule = "-" * sum(_TEXT_WIDTHS)
    out = [line(headers[0], headers[1:]), rule]
    for name, *cells in rows:
        if len(name) > name_width - 1:
            out.extend([name, line("", cells)])
        else:
            out.append(line(name, cells))
    if total is not None:
        out.extend([rule, line(total[0], total[1:])])
    return out


def _service_text_rows(rows: list[ServiceRow], currency: str) -> list[list[str]]:
    return [
        [r.service, format_money(r.current, currency), format_money(r.previous, currency),
         format_signed_money(r.change, currency), format_pct(r.change_pct)]
        for r in rows
    ]


# --- HTML ---


def _plain_pct(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.1'), rounding=ROUND_HALF_UP):,.1f}%"


def _chart(report: CostReport) -> list[dict[str, Any]]:
    """Bars for the biggest services, scaled to the largest one so the chart uses its width."""
    top = [r for r in report.services if r.current > 0][:CHART_SERVICES]
    if not top:
        return []
    largest = top[0].current
    bars = []
    for i, row in enumerate(top):
        width = int((row.current / largest * 100).to_integral_value(rounding=ROUND_HALF_UP))
        bars.append({"row": row, "width": min(max(width, 1), 100), "share": _plain_pct(row.share_pct), "colour": BAR_COLOURS[i % len(BAR_COLOURS)]})
    return bars


def _budget_view(report: CostReport) -> dict[str, Any] | None:
    if report.budget is None:
        return None
    used = report.budget.used_pct
    width = int(min(max(used, Decimal(0)), Decimal(100)).to_integral_value(rounding=ROUND_HALF_UP))
    colour = {"ok": GREEN, "warning": AMBER, "over": RED}[report.budget.status]
    label = {"ok": "Within budget", "warning": "Approaching budget", "over": "Over budget"}[report.budget.status]
    return {"b": report.budget, "used": _plain_pct(used), "width": width, "colour": colour, "label": label}


def _footer_notes(report: CostReport) -> list[str]:
    notes = [f"Amounts are {_METRIC_LABELS.get(report.cost_metric, report.cost_metric)} in {report.currency}."]
    excluded = [_RECORD_TYPE_LABELS.get(t, t.lower()) for t in report.excluded_record_types]
    if excluded:
        notes.append(f"Excluded: {', '.join(excluded)}.")
    if report.estimated:
        notes.append("Figures for the most recent days are estimated by AWS and may change until the bill closes.")
    notes.append(f"Compared with {report.previous.label()}. The attached CSV has every account and service.")
    return notes


def _context(report: CostReport, subject: str, max_services: int) -> dict[str, Any]:
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
        "alerts": report.alerts[:MAX_HTML_ALERTS],
        "alerts_hidden": max(len(report.alerts) - MAX_HTML_ALERTS, 0),
        "notes": _footer_notes(report),
        "colours": {"red": RED, "green": GREEN, "grey": GREY},
    }


def _render_html(report: CostReport, subject: str) -> str:
    template = environment().get_template("report.html.j2")
    limit = MAX_HTML_SERVICES
    html = template.render(_context(report, subject, limit))
    # Escaping can grow hostile names several-fold; shrink the table until it fits.
    while len(html.encode("utf-8")) > HTML_BUDGET_BYTES and limit > 0:
        limit = limit * 3 // 4
        html = template.render(_context(report, subject, limit))
    return html


def render_report(report: CostReport) -> RenderedReport:
    subject = build_subject(report)
    text = environment().get_template("report.txt.j2").render(
        {
            **_context(report, subject, len(report.services)),
            "alerts": report.alerts,  # text has no size limit worth capping for
            "accounts": report.accounts,
            "accounts_hidden": 0,
            "service_table": _text_table(
                ["Service", "Current", "Previous", "Change", "Change %"],
                _service_text_rows(report.services, report.currency),
                total=["Total", format_money(report.total_current, report.currency),
                       format_money(report.total_previous, report.currency),
                       format_signed_money(report.total_change, report.currency), format_pct(report.total_change_pct)],
            ),
            "mover_table": _text_table(
                ["Service", "Current", "Previous", "Change", "Change %"],
                _service_text_rows(report.top_movers, report.currency),
            ),
            "account_table": _text_table(
                ["Account", "Current", "Previous", "Change", "Change %"],
                [
                    [a.account_id, format_money(a.current, report.currency), format_money(a.previous, report.currency),
                     format_signed_money(a.change, report.currency), format_pct(a.change_pct)]
                    for a in report.accounts
                ],
            ),
        }
    )
    return RenderedReport(
        subject=subject,
        html=_render_html(report, subject),
        text=text,
        csv=build_csv(report),
        csv_filename=csv_filename(report),
    )

"""The plain-text alternative: fixed-width tables, every alert and account (no size cap needed)."""

from __future__ import annotations

from chalicelib.reports.costs.analysis import CostReport, ServiceRow, pct_change
from chalicelib.reports.rendering.formatting import format_money, format_pct, format_signed_money
from chalicelib.reports.rendering.html import context
from chalicelib.reports.rendering.jinja import environment
from chalicelib.reports.rendering.wording import alert_lines

# Column widths of the text tables (90 chars): wide enough that most AWS service
# names fit on one line; longer ones get a line of their own.
_TEXT_WIDTHS = (40, 13, 13, 14, 10)
_HEADERS = ["Current", "Previous", "Change", "Change %"]


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


def _services_total(report: CostReport) -> list[str]:
    """The services table adds up usage; the headline total (net) is above it."""
    cur = report.currency
    if report.charges_apart:
        change = report.usage_current - report.usage_previous
        return ["Total usage", format_money(report.usage_current, cur), format_money(report.usage_previous, cur),
                format_signed_money(change, cur), format_pct(pct_change(report.usage_current, report.usage_previous))]
    return ["Total", format_money(report.total_current, cur), format_money(report.total_previous, cur),
            format_signed_money(report.total_change, cur), format_pct(report.total_change_pct)]


def render_text(report: CostReport, subject: str) -> str:
    cur = report.currency
    return environment().get_template("report.txt.j2").render(
        {
            **context(report, subject, len(report.services)),
            "alerts": alert_lines(report),  # text has no size limit worth capping for
            "accounts": report.accounts,
            "accounts_hidden": 0,
            "service_table": _text_table(
                ["Service", *_HEADERS],
                _service_text_rows(report.services, cur),
                total=_services_total(report),
            ),
            "mover_table": _text_table(["Service", *_HEADERS], _service_text_rows(report.top_movers, cur)),
            "account_table": _text_table(
                ["Account", *_HEADERS],
                [
                    [a.account_id, format_money(a.current, cur), format_money(a.previous, cur),
                     format_signed_money(a.change, cur), format_pct(a.change_pct)]
                    for a in report.accounts
                ],
            ),
        }
    )

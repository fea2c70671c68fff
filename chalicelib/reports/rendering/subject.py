"""The subject line: a header, so it goes through the one header sanitiser, never escaped."""

from __future__ import annotations

from chalicelib.core.email import header_safe
from chalicelib.core.formatting import format_money, format_pct
from chalicelib.reports.costs.analysis import CostReport

SUBJECT_MAX = 150


def build_subject(report: CostReport) -> str:
    """`AWS cost report - {name} - {Kind} {period}: {total} ({pct})`, at most SUBJECT_MAX chars.

    The client name is the part shortened, so the figures at the end always survive.
    """
    head = "AWS cost report - "
    total = format_money(report.total_current, report.currency)
    tail = header_safe(
        f"{report.report_type.capitalize()} {report.current.label()}: {total} ({format_pct(report.total_change_pct)})",
        SUBJECT_MAX,
    )
    name = header_safe(report.client_name, SUBJECT_MAX) or report.client_id
    room = SUBJECT_MAX - len(head) - len(" - ") - len(tail)
    if len(name) > room:
        name = name[: max(room - 1, 1)].rstrip() + "\u2026"
    return f"{head}{name} - {tail}"[:SUBJECT_MAX]

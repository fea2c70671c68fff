"""The Excel workbook: a summary sheet (headline, month to date, the why, a native trend chart),
a services sheet and an accounts sheet, with number formats and frozen headers.

XlsxWriter is imported here, inside build_xlsx, and this module only by the render stage when a
client asks for "xlsx": no other Lambda (and no other client) pays for it at cold start.
Untrusted text goes through write_string only: a service named "=HYPERLINK(...)" stays text.
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from chalicelib.reports.rendering.view import ReportView

_HEADER = {"bold": True, "bg_color": "#F3F4F6", "bottom": 1, "text_wrap": True, "valign": "top"}


def _money_format(currency: str) -> str:
    if currency == "USD":
        return '"$"#,##0.00;-"$"#,##0.00'
    return f'#,##0.00 "{currency}";-#,##0.00 "{currency}"'


def _number(value: Decimal) -> float:
    return float(value)


def xlsx_filename(view: ReportView, period_start: str) -> str:
    return f"cost-report-{view.client_id}-{view.report_type}-{period_start}.xlsx"


def build_xlsx(view: ReportView, brand: Any = None) -> bytes:
    import xlsxwriter  # heavy: only when a client asks for the workbook

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    book.set_properties({"title": f"{view.kind} AWS cost report - {view.client_name}", "subject": view.period})
    fmt: dict[str, Any] = {
        "title": book.add_format({"bold": True, "font_size": 16}),
        "bold": book.add_format({"bold": True}),
        "muted": book.add_format({"font_color": "#6B7280"}),
        "header": book.add_format(_HEADER),
        "money": book.add_format({"num_format": _money_format(view.currency)}),
        "money_bold": book.add_format({"num_format": _money_format(view.currency), "bold": True, "font_size": 14}),
        "pct": book.add_format({"num_format": "+0.0%;-0.0%;0.0%"}),
        "share": book.add_format({"num_format": "0.0%"}),
        "wrap": book.add_format({"text_wrap": True, "valign": "top"}),
        "link": book.add_format({"font_color": "#2563EB", "underline": 1}),
        "current": book.add_format({"num_format": _money_format(view.currency), "bold": True, "bg_color": "#DBEAFE"}),
    }
    _summary(book, view, fmt)
    if brand is not None and brand.logo:  # the white-label logo beside the summary, at most 60 px high
        scale = min(1.0, 60 / brand.logo.height)
        book.worksheets()[0].insert_image("F1", f"logo.{brand.logo.subtype}", {
            "image_data": io.BytesIO(brand.logo.data), "x_scale": scale, "y_scale": scale, "object_position": 3})
    _services(book, view, fmt)
    _accounts(book, view, fmt)
    book.close()
    return out.getvalue()


def _pct_cell(sheet: Any, row: int, col: int, text: str, amount: Decimal | None, base: Decimal | None, fmt: dict) -> None:
    """Change % as a real percentage when it has a base; "new" (text) when it has none."""
    if base is None or base == 0 or amount is None:
        sheet.write_string(row, col, text)
    else:
        sheet.write_number(row, col, _number(amount / abs(base)), fmt["pct"])


def _summary(book: Any, view: ReportView, fmt: dict) -> None:
    ws = book.add_worksheet("Summary")
    ws.set_column(0, 0, 34)
    ws.set_column(1, 1, 18)
    ws.set_column(2, 4, 16)
    ws.write_string(0, 0, f"{view.kind} AWS cost report - {view.client_name}", fmt["title"])
    ws.write_string(1, 0, f"{view.period} compared with {view.compared_with}", fmt["muted"])
    row = 3
    h = view.headline
    ws.write_string(row, 0, h.label, fmt["bold"])
    ws.write_number(row, 1, _number(h.total_amount), fmt["money_bold"])
    row += 1
    ws.write_string(row, 0, f"{h.change_label} vs previous period")
    ws.write_number(row, 1, _number(h.change_amount), fmt["money"])
    _pct_cell(ws, row, 2, h.change_pct, h.change_amount, h.compared_previous_amount, fmt)
    row += 1
    ws.write_string(row, 0, "Previous period, compared figures")
    ws.write_number(row, 1, _number(h.compared_previous_amount), fmt["money"])
    for line in h.breakdown:
        row += 1
        ws.write_string(row, 0, line)
    for line in h.comparisons:
        row += 1
        ws.write_string(row, 0, line)
    if h.flagged:
        row += 1
        ws.write_string(row, 0, "Flagged: the change passes the client's alert thresholds", fmt["bold"])
    if view.budget:
        row += 2
        ws.write_string(row, 0, f"{view.budget.line} - {view.budget.label}")
        ws.write_number(row, 1, _number(view.budget.used_pct / 100), fmt["share"])
    mtd = view.month_to_date
    if mtd:
        row += 2
        ws.write_string(row, 0, mtd.title, fmt["bold"])
        ws.write_number(row, 1, _number(mtd.spent_amount), fmt["money"])
        if mtd.forecast_amount is not None:
            row += 1
            ws.write_string(row, 0, "Forecast for the rest of the month")
            ws.write_number(row, 1, _number(mtd.forecast_amount), fmt["money"])
        if mtd.projected_amount is not None:
            row += 1
            ws.write_string(row, 0, "Projected month total")
            ws.write_number(row, 1, _number(mtd.projected_amount), fmt["money"])
        for line in (mtd.budget_line, mtd.note):
            if line:
                row += 1
                ws.write_string(row, 0, line)
    if view.why:
        row += 2
        ws.write_string(row, 0, "Why: " + view.why.sentence, fmt["bold"])
        for usage in view.why.rows:
            row += 1
            ws.write_string(row, 0, usage.usage_type)
            ws.write_string(row, 1, usage.region)
            ws.write_number(row, 2, _number(usage.change_amount), fmt["money"])
        row += 1
        ws.write_url(row, 0, view.why.console_url, fmt["link"], string="Open in Cost Explorer")

    # The trend as data plus a native Excel column chart over it (the report period highlighted).
    row += 2
    ws.write_string(row, 0, view.trend.caption, fmt["header"])
    ws.write_string(row, 1, "Amount", fmt["header"])
    first = row + 1
    for i, bar in enumerate(view.trend.bars):
        ws.write_string(first + i, 0, bar.title.split(":")[0])
        ws.write_number(first + i, 1, _number(bar.amount), fmt["current"] if bar.current else fmt["money"])
    last = first + len(view.trend.bars) - 1
    if view.trend.bars:
        chart = book.add_chart({"type": "column"})
        chart.add_series({
            "name": view.trend.caption,
            "categories": ["Summary", first, 0, last, 0],
            "values": ["Summary", first, 1, last, 1],
            "fill": {"color": "#93C5FD"},
            "gap": 40,
            "points": [{"fill": {"color": "#2563EB" if b.current else "#93C5FD"}} for b in view.trend.bars],
        })
        chart.set_title({"name": view.trend.caption})
        chart.set_legend({"none": True})
        chart.set_y_axis({"num_format": _money_format(view.currency), "major_gridlines": {"visible": True}})
        chart.set_size({"width": 640, "height": 300})
        ws.insert_chart(3, 3, chart)


def _services(book: Any, view: ReportView, fmt: dict) -> None:
    ws = book.add_worksheet("Services")
    headers = ["Service", "Current", "Previous", "Change", "Change %", "Share of spend", "Flagged"]
    ws.write_row(0, 0, headers, fmt["header"])
    ws.freeze_panes(1, 1)
    ws.set_column(0, 0, 48, fmt["wrap"])
    ws.set_column(1, 3, 16)
    ws.set_column(4, 6, 12)
    for i, s in enumerate(view.services, start=1):
        ws.write_string(i, 0, s.full_name or s.service)
        ws.write_number(i, 1, _number(s.current_amount), fmt["money"])
        ws.write_number(i, 2, _number(s.previous_amount), fmt["money"])
        ws.write_number(i, 3, _number(s.change_amount), fmt["money"])
        _pct_cell(ws, i, 4, s.pct, s.change_amount, s.previous_amount, fmt)
        ws.write_number(i, 5, _number(s.share_pct / 100), fmt["share"])
        ws.write_string(i, 6, "yes" if s.flagged else "")
    total_row = len(view.services) + 1
    ws.write_string(total_row, 0, view.services_total[0], fmt["bold"])
    ws.write_number(total_row, 1, _number(view.services_total_amount), fmt["money"])
    ws.autofilter(0, 0, max(len(view.services), 1), len(headers) - 1)


def _accounts(book: Any, view: ReportView, fmt: dict) -> None:
    ws = book.add_worksheet("Accounts")
    headers = ["Account", "Account id", "Services", "Current", "Previous", "Change", "Change %"]
    ws.write_row(0, 0, headers, fmt["header"])
    ws.freeze_panes(1, 1)
    ws.set_column(0, 0, 36, fmt["wrap"])
    ws.set_column(1, 1, 16)
    ws.set_column(2, 2, 10)
    ws.set_column(3, 5, 16)
    ws.set_column(6, 6, 12)
    for i, a in enumerate(view.accounts, start=1):
        ws.write_string(i, 0, a.name or a.label)
        ws.write_string(i, 1, a.account_id)  # text: a 12-digit id is not a number to Excel users
        ws.write_number(i, 2, a.services)
        ws.write_number(i, 3, _number(a.current_amount), fmt["money"])
        ws.write_number(i, 4, _number(a.previous_amount), fmt["money"])
        ws.write_number(i, 5, _number(a.change_amount), fmt["money"])
        _pct_cell(ws, i, 6, a.pct, a.change_amount, a.previous_amount, fmt)

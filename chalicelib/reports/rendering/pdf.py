"""The PDF: the same content as the email (headline, trend chart, month to date and forecast, the
why, changes, services, accounts), from the same ReportView, with ReportLab (pure Python, runs in
Lambda). Imported only when a client asks for "pdf" or report_pdf runs.

ReportLab's Paragraph reads a small XML markup: every string from a config or Cost Explorer is
escaped before it goes into one, so a service named "<font size=90>" is printed, not obeyed.

A table row cannot split across pages: a name of thousands of characters (Cost Explorer puts no
limit on a service or usage type name) would make a row taller than the page and ReportLab would
refuse the whole document (LayoutError), so no email would go out. Names in table cells are
shortened to CELL_TEXT_LIMIT characters here, with a note saying so; the HTML, the text part and the
CSV keep them in full.
"""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from chalicelib.reports.rendering.view import ReportView

PAGE_MARGIN_MM = 16
CELL_TEXT_LIMIT = 120  # characters of a name in a table cell (about 6 lines in the narrowest column)
SHORTENED_NOTE = (f"Names longer than {CELL_TEXT_LIMIT} characters are shortened in this PDF (ending in \u2026); "
                  "the email and the CSV show them in full.")


def shorten(text: str, limit: int = CELL_TEXT_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def pdf_filename(view: ReportView, period_start: str) -> str:
    return f"cost-report-{view.client_id}-{view.report_type}-{period_start}.pdf"


def build_pdf(view: ReportView, brand: Any = None) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_RIGHT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    base = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=base["BodyText"], fontName="Helvetica", fontSize=9.5, leading=13)
    small = ParagraphStyle("small", parent=body, fontSize=8, leading=10.5, textColor=colors.HexColor("#6B7280"))
    cell = ParagraphStyle("cell", parent=body, fontSize=8.5, leading=10.5)
    cell_right = ParagraphStyle("cell_right", parent=cell, alignment=TA_RIGHT)
    h1 = ParagraphStyle("h1", parent=body, fontName="Helvetica-Bold", fontSize=18, leading=22, spaceAfter=2)
    h2 = ParagraphStyle("h2", parent=body, fontName="Helvetica-Bold", fontSize=12, leading=16, spaceBefore=10, spaceAfter=4)
    kicker = ParagraphStyle("kicker", parent=small, fontSize=8, textColor=colors.HexColor("#6B7280"))
    total = ParagraphStyle("total", parent=body, fontName="Helvetica-Bold", fontSize=22, leading=27)

    def p(text: str, style: Any = body) -> Any:
        return Paragraph(escape(text), style)

    def coloured(text: str, hex_colour: str, style: Any = body, bold: bool = False) -> Any:
        inner = f"<b>{escape(text)}</b>" if bold else escape(text)
        return Paragraph(f'<font color="{hex_colour}">{inner}</font>', style)

    story: list[Any] = [*_brand_header(brand, p, kicker, mm)]
    story += [
        p(f"{view.kind} AWS cost report".upper(), kicker),
        p(view.client_name, h1),
        p(f"{view.period}, compared with {view.compared_with}", small),
        Spacer(1, 6),
        p(view.headline.label, kicker),
        p(view.headline.total, total),
        coloured(f"{view.headline.change} ({view.headline.change_pct}) {view.headline.change_label.lower()} vs "
                 f"{view.headline.previous} in the previous period", view.headline.colour, bold=True),
    ]
    for line in view.headline.breakdown:
        story.append(p(line))
    for line in view.headline.comparisons:
        story.append(p(line))
    if view.headline.flagged:
        story.append(coloured("Flagged: this change passes the alert thresholds", "#B45309", bold=True))
    if view.budget:
        story.append(Spacer(1, 4))
        story.append(coloured(f"{view.budget.line} - {view.budget.label}. {view.budget.remaining}.", view.budget.colour))

    story.append(p(view.trend.caption, h2))
    story.append(_trend_chart(view, mm))
    story.append(p(f"{view.trend.first} to {view.trend.last}; the report period is dark blue; peak {view.trend.peak}.", small))

    mtd = view.month_to_date
    if mtd:
        story.append(p(mtd.title, h2))
        story.append(p(f"Spent: {mtd.spent}"))
        if mtd.forecast:
            story.append(p(f"Forecast: {mtd.forecast}"))
        if mtd.projected:
            story.append(p(f"Projected month total: {mtd.projected}"))
        if mtd.budget_line:
            story.append(coloured(mtd.budget_line, mtd.budget_colour, bold=True))
        if mtd.note:
            story.append(p(mtd.note, small))

    grid = TableStyle([
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#F3F4F6")),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#E5E7EB")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ])
    width = A4[0] - 2 * PAGE_MARGIN_MM * mm

    def table(headers: list[str], rows: list[list[Any]], widths: list[float]) -> Any:
        head = [Paragraph(f"<b>{escape(h)}</b>", cell if i == 0 else cell_right) for i, h in enumerate(headers)]
        t = Table([head, *rows], colWidths=[w * width for w in widths], repeatRows=1)
        t.setStyle(grid)
        return t

    shortened: list[str] = []

    def name(text: str) -> str:
        """A name for a table cell: escaped, and shortened when longer than a row can hold."""
        short = shorten(text)
        if short != text:
            shortened.append(text)
        return escape(short)

    def num(text: str, hex_colour: str | None = None) -> Any:
        if hex_colour:
            return Paragraph(f'<font color="{hex_colour}">{escape(text)}</font>', cell_right)
        return Paragraph(escape(text), cell_right)

    if view.why:
        story.append(p("Why it moved", h2))
        story.append(p(view.why.sentence))
        if view.why.rows:
            story.append(table(["Usage type", "Region", "Change"],
                               [[Paragraph(name(u.usage_type), cell), Paragraph(name(u.region), cell), num(u.change)]
                                for u in view.why.rows], [0.55, 0.2, 0.25]))
        story.append(Paragraph(f'<link href={quoteattr(view.why.console_url)} color="#2563EB">'
                               "Open this service and period in Cost Explorer</link>", small))

    if view.changes:
        story.append(p("Changes", h2))
        rows = [[Paragraph(("<b>%s</b>" if c.flagged else "%s") % name(c.service), cell), num(c.change, c.colour),
                 num(c.pct, c.colour), num(c.now)] for c in view.changes]
        story.append(table(["Service", "Change", "%", "Now"], rows, [0.52, 0.18, 0.12, 0.18]))
        if view.changes_flagged:
            more = f" {view.more_flagged} more flagged changes are in the CSV." if view.more_flagged else ""
            story.append(p("Bold: the change passes the alert thresholds." + more, small))

    story.append(p("Services", h2))
    rows = [[Paragraph(("<b>%s</b>" if s.flagged else "%s") % name(s.service), cell), num(s.current), num(s.previous),
             num(s.share)] for s in view.services]  # each change is shown once: in the changes table
    label, *figures = view.services_total
    rows.append([Paragraph(f"<b>{escape(label)}</b>", cell), *(num(x) for x in figures[:2]), num("")])
    story.append(table(["Service", "Current", "Previous", "Share"], rows, [0.52, 0.18, 0.18, 0.12]))

    story.append(p("Accounts", h2))
    rows = [[Paragraph(name(a.label), cell), num(str(a.services)), num(a.current), num(a.previous),
             num(f"{a.change} ({a.pct})", a.colour)] for a in view.accounts]
    story.append(table(["Account", "Services", "Current", "Previous", "Change"], rows, [0.36, 0.1, 0.16, 0.16, 0.22]))

    story.append(Spacer(1, 10))
    for note in view.notes:
        story.append(p(note, small))
    if shortened:
        story.append(p(SHORTENED_NOTE, small))

    out = io.BytesIO()
    footer = f"{view.client_name} - {view.kind} AWS cost report - {view.period}"

    def on_page(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7.5)
        canvas.setFillColor(colors.HexColor("#6B7280"))
        canvas.drawString(PAGE_MARGIN_MM * mm, 8 * mm, footer[:120])
        canvas.drawRightString(A4[0] - PAGE_MARGIN_MM * mm, 8 * mm, f"Page {doc.page}")
        canvas.restoreState()

    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=PAGE_MARGIN_MM * mm, rightMargin=PAGE_MARGIN_MM * mm,
                            topMargin=PAGE_MARGIN_MM * mm, bottomMargin=PAGE_MARGIN_MM * mm,
                            title=f"{view.kind} AWS cost report - {view.client_name}", author="cost-reporter",
                            subject=view.period)
    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return out.getvalue()


def _trend_chart(view: ReportView, mm: float) -> Any:
    """A vector bar chart of the trend; the report period's bars dark, the others light."""
    from reportlab.graphics.charts.barcharts import VerticalBarChart
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib import colors

    drawing = Drawing(170 * mm, 52 * mm)
    chart = VerticalBarChart()
    chart.x, chart.y = 14 * mm, 8 * mm
    chart.width, chart.height = 150 * mm, 40 * mm
    chart.data = [[float(b.amount) for b in view.trend.bars] or [0.0]]
    chart.categoryAxis.categoryNames = [b.label for b in view.trend.bars] or [""]
    chart.categoryAxis.labels.fontName = "Helvetica"
    chart.categoryAxis.labels.fontSize = 7
    chart.valueAxis.labels.fontName = "Helvetica"
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    chart.valueAxis.labelTextFormat = lambda v: f"{v:,.0f}"
    chart.bars[0].fillColor = colors.HexColor("#93C5FD")
    chart.bars[0].strokeColor = None
    for i, bar in enumerate(view.trend.bars):
        if bar.current:
            chart.bars[(0, i)].fillColor = colors.HexColor("#2563EB")
    chart.barSpacing = 1
    drawing.add(chart)
    return drawing


def _brand_header(brand: Any, p: Any, kicker: Any, mm: float) -> list[Any]:
    """The white-label logo (at most 50 mm wide, 15 mm high) and company name above the title."""
    if brand is None:
        return []
    flowables: list[Any] = []
    if brand.logo:
        from io import BytesIO

        from reportlab.platypus import Image

        scale = min(50 * mm / brand.logo.width, 15 * mm / brand.logo.height)
        image = Image(BytesIO(brand.logo.data), width=brand.logo.width * scale, height=brand.logo.height * scale)
        image.hAlign = "LEFT"
        flowables.append(image)
    if brand.look.company_name:
        flowables.append(p(brand.look.company_name, kicker))
    return flowables

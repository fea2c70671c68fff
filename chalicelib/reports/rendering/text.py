"""The plain-text alternative from the ReportView: the same facts, fixed-width tables, no size cap."""

from __future__ import annotations

from chalicelib.reports.rendering.jinja import environment
from chalicelib.reports.rendering.view import ReportView

# The name column of the text tables: wide enough that most AWS service names fit on one line;
# longer ones get a line of their own. Figure columns are as wide as their widest cell.
_TEXT_NAME_WIDTH = 40
_TREND_BAR_WIDTH = 30


def _text_table(headers: list[str], rows: list[list[str]], total: list[str] | None = None) -> list[str]:
    """Fixed-width columns: first column left, others right. A long name gets its own line."""
    every = [headers, *rows, *([total] if total else [])]
    num_widths = [max(len(r[i]) for r in every) + 2 for i in range(1, len(headers))]

    def line(name: str, cells: list[str]) -> str:
        return (name.ljust(_TEXT_NAME_WIDTH) + "".join(c.rjust(w) for c, w in zip(cells, num_widths, strict=True))).rstrip()

    rule = "-" * (_TEXT_NAME_WIDTH + sum(num_widths))
    out = [line(headers[0], headers[1:]), rule]
    for name, *cells in rows:
        if len(name) > _TEXT_NAME_WIDTH - 1:
            out.extend([name, line("", cells)])
        else:
            out.append(line(name, cells))
    if total is not None:
        out.extend([rule, line(total[0], total[1:])])
    return out


def _trend_lines(view: ReportView) -> list[str]:
    """The trend as text bars: one line per day/month, the report's period marked [x]."""
    lines = []
    for bar in view.trend.bars:
        title, _, amount = bar.title.partition(": ")
        cells = "#" * max(round(bar.height * _TREND_BAR_WIDTH / 100), 1 if bar.amount > 0 else 0)
        lines.append(f"{'[x]' if bar.current else '[ ]'} {title.ljust(11)} {amount.rjust(14)}  {cells}")
    return lines


def render_text(view: ReportView) -> str:
    return environment().get_template("report.txt.j2").render(
        {
            "v": view,
            "trend_lines": _trend_lines(view),
            "change_table": _text_table(
                ["Service", "Change", "Change %", "Now"],
                [[("* " if c.flagged else "") + c.service, c.change, c.pct, c.now] for c in view.changes],
            ),
            "service_table": _text_table(
                ["Service", "Current", "Previous", "Change", "Change %", "Share"],
                [[s.service, s.current, s.previous, s.change, s.pct, s.share] for s in view.services],
                total=[*view.services_total, ""],
            ),
            "account_table": _text_table(
                ["Account", "Services", "Current", "Previous", "Change", "Change %"],
                [[a.label, str(a.services), a.current, a.previous, a.change, a.pct] for a in view.accounts],
            ),
        }
    )

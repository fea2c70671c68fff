"""The CSV attachment: every (account, service) line of both periods, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from decimal import ROUND_HALF_UP, Decimal

from chalicelib.reports.costs.analysis import CostReport

# CSV amounts keep 4 decimals: sub-cent services stay visible and rows add up
# to the totals more closely than cent-rounded figures would.
_CSV_QUANTUM = Decimal("0.0001")
CSV_HEADER = [
    "account_id", "service", "current_amount", "previous_amount", "change_amount",
    "currency", "period_start", "period_end", "previous_start", "previous_end",
]
# A cell starting with one of these is run as a formula by Excel / Sheets.
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


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

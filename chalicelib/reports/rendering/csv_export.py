"""The CSV attachment: every (account, service) line of both periods, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from decimal import ROUND_HALF_UP, Decimal

from chalicelib.costs.categories import label as record_type_label
from chalicelib.reports.costs.analysis import CostReport

# CSV amounts keep 4 decimals: sub-cent services stay visible and rows add up
# to the totals more closely than cent-rounded figures would.
_CSV_QUANTUM = Decimal("0.0001")
# Periods are written as first and last day, both inclusive (as the email and summary.json do).
CSV_HEADER = [
    "account_id", "service", "current_amount", "previous_amount", "change_amount",
    "currency", "period_start", "period_end", "previous_start", "previous_end", "record_type",
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
    dates = [report.current.start, report.current.last_day, report.previous.start, report.previous.last_day]
    rows = [(line.account_id, line.service, line.current_amount, line.previous_amount, "Usage" if report.charges_apart else "")
            for line in report.lines]
    rows += [(c.account_id, record_type_label(c.record_type), c.current_amount, c.previous_amount, c.record_type)
             for c in report.charges]
    for account, service, current, previous, record_type in rows:
        writer.writerow(
            [
                _csv_text(account),
                _csv_text(service),
                _csv_amount(current),
                _csv_amount(previous),
                _csv_amount(current - previous),
                _csv_text(report.currency),
                *(d.isoformat() for d in dates),
                _csv_text(record_type),
            ]
        )
    return out.getvalue()


def csv_filename(report: CostReport) -> str:
    # client_id is pattern-validated ([A-Za-z0-9_-]), so it is safe in a filename.
    return f"cost-report-{report.client_id}-{report.report_type}-{report.current.start.isoformat()}.csv"

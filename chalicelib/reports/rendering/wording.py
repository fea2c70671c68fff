"""The report's sentences: change alerts, budget labels and footer notes (HTML and text share them)."""

from __future__ import annotations

from chalicelib.core.formatting import format_money, format_pct
from chalicelib.reports.costs.analysis import ChangeFlag, CostReport

TOTAL_LABEL = "Total"
BUDGET_LABELS = {"ok": "Within budget", "warning": "Approaching budget", "over": "Over budget"}
_METRIC_LABELS = {
    "UnblendedCost": "unblended cost",
    "AmortizedCost": "amortized cost",
    "NetAmortizedCost": "net amortized cost",
    "BlendedCost": "blended cost",
}
_RECORD_TYPE_LABELS = {"Credit": "credits", "Refund": "refunds", "Tax": "tax"}


def alert_text(flag: ChangeFlag, currency: str) -> str:
    """`Amazon DynamoDB: up $1,138.59 (+283.1%) to $1,540.77` / `X: new spend of $75.00 (...)`."""
    name = TOTAL_LABEL if flag.service is None else flag.service
    if flag.change_pct is None:
        return f"{name}: new spend of {format_money(flag.current, currency)} (nothing in the previous period)"
    direction = "up" if flag.change > 0 else "down"
    return (
        f"{name}: {direction} {format_money(abs(flag.change), currency)} ({format_pct(flag.change_pct)}) "
        f"to {format_money(flag.current, currency)}"
    )


def alert_lines(report: CostReport) -> list[str]:
    return [alert_text(flag, report.currency) for flag in report.alerts]


_ATTACHMENT_NAMES = {"csv": "CSV", "xlsx": "Excel workbook", "pdf": "PDF"}


def footer_notes(report: CostReport, attachments: list[str] | None = None) -> list[str]:
    notes = [f"Amounts are {_METRIC_LABELS.get(report.cost_metric, report.cost_metric)} in {report.currency}."]
    excluded = [_RECORD_TYPE_LABELS.get(t, t.lower()) for t in report.excluded_record_types]
    if excluded:
        notes.append(f"Excluded: {', '.join(excluded)}.")
    if report.estimated:
        notes.append("Figures for the most recent days are estimated by AWS and may change until the bill closes.")
    attached = [_ATTACHMENT_NAMES[a] for a in (attachments or ["csv"]) if a in _ATTACHMENT_NAMES]
    has = "has" if len(attached) == 1 else "have"
    notes.append(f"Compared with {report.previous.label()}. The attached {' and '.join(attached)} {has} every account "
                 "and service.")
    for account in report.shared_accounts:
        # Never names the other client: that would be one tenant's data in another's inbox.
        notes.append(f"Account {account} is shared with another client: its costs also appear in that client's report.")
    return notes


def headline(report: CostReport, total: str = "Total spend") -> str:
    """The headline total says what it is: net of credits and refunds when they are included."""
    label = f"{total} (net of credits and refunds)" if report.net_of_credits else total
    return label + (" (estimated)" if report.estimated else "")


def change_label(report: CostReport) -> str:
    if not report.charges_apart:
        return "Change"
    return "Change in usage and monthly charges" if report.monthly_charges_compared else "Change in usage"


def breakdown_lines(report: CostReport) -> list[str]:
    """Usage, credits, refunds and monthly charges, each on its own line (when fetched apart)."""
    if not report.charges_apart:
        return []
    cur = report.currency
    lines = [f"Usage: {format_money(report.usage_current, cur)} (previous {format_money(report.usage_previous, cur)})"]
    if "Credit" not in report.excluded_record_types:
        lines.append(f"Credits: {format_money(report.credits_current, cur)} "
                     f"(previous {format_money(report.credits_previous, cur)})")
    if "Refund" not in report.excluded_record_types:
        lines.append(f"Refunds: {format_money(report.refunds_current, cur)} "
                     f"(previous {format_money(report.refunds_previous, cur)})")
    if report.monthly_charges_compared:
        charges = [f"{r.label} {format_money(r.current, cur)} (was {format_money(r.previous, cur)})"
                   for r in report.monthly_charges]
        if charges:
            lines.append("Monthly charges: " + ", ".join(charges))
    else:
        charges = [f"{r.label} {format_money(r.current, cur)}" for r in report.monthly_charges if r.current != 0]
        if charges:
            lines.append("Monthly charges posted on the 1st: " + ", ".join(charges) + " (not in the change above)")
    return lines

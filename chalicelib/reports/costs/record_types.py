"""Cost Explorer record types that are not usage, and how a report treats them.

Recognised by RECORD_TYPE, which Cost Explorer reports exactly, not by service name or by the day
they post: a credit or an RI recurring fee carries the name of the service it applies to (Amazon
EC2), and a service that merely starts on the 1st is not a monthly charge.
"""

from __future__ import annotations

CREDIT = "Credit"
REFUND = "Refund"
# Posted once a month, on the 1st, for the whole month (or the month before): a daily or weekly
# report shows them on a line of their own and leaves them out of its changes and budget pace.
MONTHLY_RECORD_TYPES: tuple[str, ...] = (
    "Support", "Tax", "RIFee", "Recurring reservation fee", "SavingsPlanRecurringFee", "Fee",
)
SEPARATED_RECORD_TYPES: tuple[str, ...] = (CREDIT, REFUND, *MONTHLY_RECORD_TYPES)

LABELS = {
    CREDIT: "Credits",
    REFUND: "Refunds",
    "Support": "Support",
    "Tax": "Tax",
    "RIFee": "Reserved Instance fees",
    "Recurring reservation fee": "Reserved Instance fees",
    "SavingsPlanRecurringFee": "Savings Plans fees",
    "Fee": "Marketplace and other fees",
}


def label(record_type: str) -> str:
    return LABELS.get(record_type, record_type)

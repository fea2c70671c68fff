"""The charge categories, and how Cost Explorer's RECORD_TYPE maps onto them.

Recognised by RECORD_TYPE, which Cost Explorer reports exactly, not by service name or by the day
they post: a credit or an RI recurring fee carries the name of the service it applies to (Amazon
EC2), and a service that merely starts on the 1st is not a monthly charge.

What a report does with each category (docs/reports.md, "What the figures mean"): usage moves
services and accounts, and is what the change, the 7-day average and the forecast are about;
credits and refunds have lines of their own; the rest (tax, support, fees, purchases, adjustments)
are the monthly charges line of a daily or weekly report and part of a monthly report's change.
Every figure that is a spend (the headline total, the trend, month to date, a budget's spend) is
net: every category the client's config counts.
"""

from __future__ import annotations

from chalicelib.core.models import ClientConfig

USAGE = "usage"
CREDIT_CATEGORY = "credit"
REFUND_CATEGORY = "refund"
# Categories on the monthly charges line (everything that is neither usage, credit nor refund).
MONTHLY_CATEGORIES: tuple[str, ...] = ("tax", "support", "fee", "purchase", "adjustment")

CREDIT = "Credit"
REFUND = "Refund"
# Posted once a month, on the 1st, for the whole month (or the month before): a daily or weekly
# report shows them on a line of their own and leaves them out of its changes and budget pace.
MONTHLY_RECORD_TYPES: tuple[str, ...] = (
    "Support", "Tax", "RIFee", "Recurring reservation fee", "SavingsPlanRecurringFee", "Fee",
)
SEPARATED_RECORD_TYPES: tuple[str, ...] = (CREDIT, REFUND, *MONTHLY_RECORD_TYPES)

# Cost Explorer RECORD_TYPE -> category. A record type not listed is usage: Usage, DiscountedUsage,
# SavingsPlanCoveredUsage, SavingsPlanNegation, the discounts and upfront fees move the services
# they belong to, as the report has always treated them.
RECORD_TYPE_CATEGORY: dict[str, str] = {
    CREDIT: CREDIT_CATEGORY,
    REFUND: REFUND_CATEGORY,
    "Tax": "tax",
    "Support": "support",
    "RIFee": "fee",
    "Recurring reservation fee": "fee",
    "SavingsPlanRecurringFee": "fee",
    "Fee": "fee",
}

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
CATEGORY_LABELS = {
    CREDIT_CATEGORY: "Credits",
    REFUND_CATEGORY: "Refunds",
    "tax": "Tax",
    "support": "Support",
    "fee": "Fees",
    "purchase": "Commitment purchases",
    "adjustment": "Adjustments",
}
# The record type a category stands for when a source has no record type of its own (an export).
CATEGORY_RECORD_TYPE = {CREDIT_CATEGORY: CREDIT, REFUND_CATEGORY: REFUND, "tax": "Tax", "support": "Support"}


def category_of(record_type: str) -> str:
    return RECORD_TYPE_CATEGORY.get(record_type, USAGE)


def label(record_type: str) -> str:
    return LABELS.get(record_type, CATEGORY_LABELS.get(record_type, record_type))


def record_type_of(category: str, charge_type: str) -> str:
    """The record type a report's charge line is keyed by: the source's own when it has one."""
    return charge_type or CATEGORY_RECORD_TYPE.get(category, category)


def counted_categories(config: ClientConfig) -> tuple[str, ...]:
    """The categories the client's figures count (its config leaves out credits, refunds, tax)."""
    left_out = {category_of(t) for t in config.record_types_excluded()}
    return tuple(c for c in (USAGE, CREDIT_CATEGORY, REFUND_CATEGORY, *MONTHLY_CATEGORIES) if c not in left_out)

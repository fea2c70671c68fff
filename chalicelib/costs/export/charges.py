"""What each export line is, in the contract's charge categories (docs/reports.md, "Billing exports").

The query groups by the export's own labels, lower-cased and trimmed ("Usage-Based" and "Usage-based"
are one label; NULL, "" and the string "NULL" are no label); this module decides what they mean.
`charge_type` is the Cost Explorer RECORD_TYPE the line corresponds to, so labels read the same on
both sources.

FOCUS (ChargeCategory, ChargeClass, ChargeFrequency, and for purchases the service and commitment):
    ChargeClass Correction        -> refund (a corrected credit stays a credit)
    Usage                         -> usage
    Credit                        -> credit
    Tax                           -> tax
    Adjustment                    -> adjustment
    Purchase, a support service   -> support
    Purchase, One-Time            -> purchase (upfront commitment purchases)
    Purchase, otherwise           -> fee (recurring commitment fees, marketplace and other fees)
    no category                   -> usage; an unknown category -> adjustment
CUR 2.0 (line_item_line_item_type):
    Usage, DiscountedUsage, SavingsPlanCoveredUsage, SavingsPlanNegation -> usage
    Credit -> credit; Refund -> refund; Tax -> tax
    Fee of a support product -> support; Fee, RIFee, SavingsPlanRecurringFee -> fee
    SavingsPlanUpfrontFee -> purchase; discounts (SppDiscount, EdpDiscount, ...) -> adjustment
"""

from __future__ import annotations

from chalicelib.costs.contracts import ChargeCategory

_FOCUS_PLAIN: dict[str, tuple[ChargeCategory, str]] = {
    "usage": ("usage", "Usage"), "credit": ("credit", "Credit"), "tax": ("tax", "Tax"),
    "adjustment": ("adjustment", "Adjustment"),
}


def _is_support(*labels: str) -> bool:
    return any("support" in label.lower() for label in labels)


def focus_category(category: str, charge_class: str, frequency: str, service_code: str, service: str,
                   commitment_type: str) -> tuple[ChargeCategory, str]:
    """(contract category, Cost Explorer record type) of a FOCUS line's normalised labels."""
    if charge_class == "correction":
        return ("credit", "Credit") if category == "credit" else ("refund", "Refund")
    if not category:
        return "usage", "Usage"
    if category in _FOCUS_PLAIN:
        return _FOCUS_PLAIN[category]
    if category == "purchase":
        if _is_support(service_code, service):
            return "support", "Support"
        kind = commitment_type.lower()
        if frequency == "one-time":
            return "purchase", "SavingsPlanUpfrontFee" if "savings" in kind else "Purchase"
        if "reserv" in kind:
            return "fee", "RIFee"
        if "savings" in kind:
            return "fee", "SavingsPlanRecurringFee"
        return "fee", "Fee"
    return "adjustment", category


_CUR: dict[str, tuple[ChargeCategory, str]] = {
    "usage": ("usage", "Usage"), "discountedusage": ("usage", "Usage"),
    "savingsplancoveredusage": ("usage", "Usage"), "savingsplannegation": ("usage", "Usage"),
    "credit": ("credit", "Credit"), "refund": ("refund", "Refund"), "tax": ("tax", "Tax"),
    "rifee": ("fee", "RIFee"), "savingsplanrecurringfee": ("fee", "SavingsPlanRecurringFee"),
    "savingsplanupfrontfee": ("purchase", "SavingsPlanUpfrontFee"),
}


def cur_category(line_item_type: str, product_code: str) -> tuple[ChargeCategory, str]:
    """(contract category, Cost Explorer record type) of a CUR 2.0 line item type (lower-cased)."""
    if not line_item_type:
        return "usage", "Usage"
    if line_item_type == "fee":
        return ("support", "Support") if _is_support(product_code) else ("fee", "Fee")
    if line_item_type in _CUR:
        return _CUR[line_item_type]
    return "adjustment", line_item_type

"""Costs: the one dataset a report or a budget check is computed from, read from Cost Explorer or
from a billing export (FOCUS / CUR 2.0 through Athena). Below reports and budgets; imports only core."""

from chalicelib.costs.contracts import (
    CHARGE_CATEGORIES,
    ChargeCategory,
    ClientCosts,
    CostRow,
    CostWindowRequest,
    SourceUsage,
)

__all__ = ["CHARGE_CATEGORIES", "ChargeCategory", "ClientCosts", "CostRow", "CostWindowRequest", "SourceUsage"]

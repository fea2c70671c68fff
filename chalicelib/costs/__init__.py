"""Costs: the one dataset a report or a budget check is computed from, read from Cost Explorer or
from a billing export (FOCUS / CUR 2.0 through Athena). Below reports and budgets; imports only core.

The names below come from chalicelib/costs/contracts.py when first asked for: app.py imports this
package (for its blueprint) in every Lambda's cold start, and most functions need no cost model.
"""

from __future__ import annotations

from typing import Any

__all__ = ["CHARGE_CATEGORIES", "ChargeCategory", "ClientCosts", "CostRow", "CostWindowRequest", "SourceUsage"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from chalicelib.costs import contracts

        return getattr(contracts, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""The cost dataset's contract: rows stay inside their window, totals keep full precision."""

from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError

from chalicelib.core.periods import Period
from chalicelib.costs import ClientCosts, CostRow


def _costs(rows: list[CostRow]) -> ClientCosts:
    return ClientCosts(client_id="acme", source="export", export="focus", metric="BilledCost", currency="USD",
                       granularity="DAILY", window=Period(start=date(2026, 11, 1), end=date(2026, 11, 8)), rows=rows)


def test_a_row_outside_the_window_is_refused_with_its_day() -> None:
    with pytest.raises(ValidationError, match="2026-11-08 is outside the window"):
        _costs([CostRow(day=date(2026, 11, 8), account_id="111122223333", category="usage", amount=Decimal("1"))])


def test_totals_keep_every_decimal_and_filter_by_category() -> None:
    rows = [CostRow(day=date(2026, 11, 1), account_id="a", category="usage", amount=Decimal("0.0000000001")),
            CostRow(day=date(2026, 11, 2), account_id="a", category="usage", amount=Decimal("12.3456789012")),
            CostRow(day=date(2026, 11, 2), account_id="a", category="credit", amount=Decimal("-2.5"))]
    costs = _costs(rows)
    assert costs.total(date(2026, 11, 1), date(2026, 11, 8)) == Decimal("9.8456789013")
    assert costs.total(date(2026, 11, 2), date(2026, 11, 3), ("usage",)) == Decimal("12.3456789012")

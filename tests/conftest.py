"""Shared fixtures: an in-process AWS running the real state machine on small, known data."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

AS_OF = date(2026, 11, 18)  # weekly: current Nov 9-15, previous Nov 2-8

SERVICES = ["Amazon Elastic Compute Cloud - Compute", "Amazon Simple Storage Service", "AWS Lambda"]


def client(client_id: str, accounts: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "client_id": client_id,
        "name": extra.pop("name", client_id.title()),
        "status": extra.pop("status", "ACTIVE"),
        "accounts": accounts,
        "recipients": extra.pop("recipients", [f"finops@{client_id}.example"]),
        "reports": extra.pop("reports", ["daily", "weekly", "monthly"]),
        **extra,
    }


CLIENTS = [
    client("alpha", ["111111111111", "111111111112"]),
    client("bravo", ["222222222222"], budgets={"weekly": 500}),
    client("charlie", ["333333333333"]),
    client("paused", ["444444444444"], status="PAUSED"),
]


def cost_rows(accounts: list[str], start: date = date(2026, 10, 1), end: date = date(2026, 11, 20)) -> list[dict[str, Any]]:
    """Deterministic daily costs: amount depends on the account, service and day (so every client differs)."""
    rows = []
    day = start
    while day < end:
        for a_index, account in enumerate(accounts):
            for s_index, service in enumerate(SERVICES):
                amount = Decimal(int(account[-4:]) % 97 + 10 * (s_index + 1) + day.day) / Decimal(10)
                rows.append({"date": day.isoformat(), "account_id": account, "service": service, "amount": str(amount)})
        day += timedelta(days=1)
    return rows


def all_accounts(clients: list[dict[str, Any]]) -> list[str]:
    return sorted({a for c in clients if isinstance(c, dict) for a in c.get("accounts", []) if isinstance(a, str)})


@pytest.fixture
def local_aws(tmp_path):
    """A factory: local_aws(clients=..., rows=...) -> an entered LocalAWS, closed after the test."""
    from local.cost_explorer import CostData
    from local.runtime import LocalAWS

    opened: list[LocalAWS] = []

    def make(clients: list[Any] = CLIENTS, rows: list[dict[str, Any]] | None = None, **kwargs: Any) -> LocalAWS:
        data = CostData.from_rows(rows if rows is not None else cost_rows(all_accounts(clients)))
        aws = LocalAWS(out_dir=tmp_path / "out", costs=data, clients=clients, retry_time_scale=0.05, **kwargs)
        opened.append(aws.__enter__())
        return aws

    yield make
    for aws in reversed(opened):
        aws.__exit__(None, None, None)

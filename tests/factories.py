"""Small builders for test data, going through the real pydantic models."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

from chalicelib.core.models import ClientConfig, CostDataset, CostLine, Period, RunContext

ACCOUNTS = ["111111111111", "222222222222", "333333333333"]


def client(**overrides: Any) -> ClientConfig:
    fields: dict[str, Any] = {
        "client_id": "acme",
        "name": "Acme Corp",
        "status": "ACTIVE",
        "accounts": list(ACCOUNTS),
        "recipients": ["finance@example.com"],
        "reports": ["weekly"],
    }
    fields.update(overrides)
    return ClientConfig(**fields)


def run(report_type: str = "weekly") -> RunContext:
    return RunContext(
        run_id="run-1",
        report_type=report_type,
        as_of=date(2024, 5, 13),
        current=Period(start=date(2024, 5, 6), end=date(2024, 5, 13)),
        previous=Period(start=date(2024, 4, 29), end=date(2024, 5, 6)),
        started_at=datetime(2024, 5, 13, 6, 0, tzinfo=timezone.utc),
    )


def line(account: str, service: str, current: str | int, previous: str | int) -> CostLine:
    return CostLine(
        account_id=account, service=service, current_amount=Decimal(str(current)), previous_amount=Decimal(str(previous))
    )


def dataset(lines: list[CostLine], *, report_type: str = "weekly", **kwargs: Any) -> CostDataset:
    client_overrides = kwargs.pop("client", {})
    return CostDataset(client=client(**client_overrides), run=run(report_type), lines=lines, **kwargs)


def realistic_dataset() -> CostDataset:
    """3 accounts, 15 services, a spike in one service, a new service and a budget."""
    prod, staging, data = ACCOUNTS
    spec = [
        (prod, "Amazon Elastic Compute Cloud - Compute", "4210.55", "3980.10"),
        (prod, "Amazon Relational Database Service", "1822.40", "1790.02"),
        (prod, "Amazon Simple Storage Service", "612.33", "598.76"),
        (prod, "Amazon CloudFront", "341.90", "352.12"),
        (prod, "AWS Lambda", "96.12", "88.40"),
        (prod, "Amazon DynamoDB", "1540.77", "402.18"),  # the spike
        (prod, "Amazon CloudWatch", "188.64", "176.20"),
        (prod, "Elastic Load Balancing", "210.08", "209.77"),
        (prod, "Amazon Virtual Private Cloud", "144.00", "144.00"),
        (staging, "Amazon Elastic Compute Cloud - Compute", "820.11", "905.43"),
        (staging, "Amazon Relational Database Service", "301.20", "301.20"),
        (staging, "AWS Key Management Service", "12.40", "12.10"),
        (staging, "Amazon Route 53", "4.52", "4.50"),
        (data, "Amazon Redshift", "960.00", "1210.00"),
        (data, "AWS Glue", "233.87", "198.05"),
        (data, "Amazon Athena", "75.25", "0"),  # new service
        (data, "Amazon Simple Storage Service", "402.19", "380.55"),
        (data, "AWS Support (Business)", "0", "-5.00"),  # a credit that went away
        (data, "Tax", "0.47", "0.44"),
    ]
    return dataset(
        [line(*row) for row in spec],
        estimated=True,
        client={"name": "Acme Corp", "budgets": {"weekly": Decimal("14000")}},
    )

"""The one set of test-data builders: client configs (as a person writes them, or parsed), cost
rows for the local Cost Explorer, and report datasets, all from the same defaults."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from chalicelib.core.constants import REPORT_TYPES
from chalicelib.core.models import ClientConfig
from chalicelib.core.periods import Period
from chalicelib.reports.contracts import CostDataset, CostLine, RunContext

AS_OF = date(2026, 11, 18)  # weekly: current Nov 9-15, previous Nov 2-8
ACCOUNTS = ["111111111111", "222222222222", "333333333333"]
SERVICES = ["Amazon Elastic Compute Cloud - Compute", "Amazon Simple Storage Service", "AWS Lambda"]


def client_config(client_id: str = "acme", accounts: list[str] | None = None, **overrides: Any) -> dict[str, Any]:
    """A client config as stored (a dict a person wrote): valid unless an override makes it not."""
    return {
        "client_id": client_id,
        "name": overrides.pop("name", f"{client_id.title()} Corp"),
        "status": overrides.pop("status", "ACTIVE"),
        "accounts": list(ACCOUNTS if accounts is None else accounts),
        "recipients": overrides.pop("recipients", [f"finops@{client_id}.example"]),
        "reports": overrides.pop("reports", list(REPORT_TYPES)),
        **overrides,
    }


def client(client_id: str = "acme", accounts: list[str] | None = None, **overrides: Any) -> ClientConfig:
    """The same config, parsed by the real model."""
    return ClientConfig.model_validate(client_config(client_id, accounts, **overrides))


CLIENTS = [
    client_config("alpha", ["111111111111", "111111111112"]),
    client_config("bravo", ["222222222222"], budgets={"weekly": 500}),
    client_config("charlie", ["333333333333"]),
    client_config("paused", ["444444444444"], status="PAUSED"),
]


def cost_rows(accounts: list[str], start: date = date(2026, 10, 1), end: date = date(2026, 11, 20)) -> list[dict[str, Any]]:
    """Deterministic daily costs: amount depends on the account, service and day (so every client differs)."""
    rows = []
    day = start
    while day < end:
        for account in accounts:
            for s_index, service in enumerate(SERVICES):
                amount = Decimal(int(account[-4:]) % 97 + 10 * (s_index + 1) + day.day) / Decimal(10)
                rows.append({"date": day.isoformat(), "account_id": account, "service": service, "amount": str(amount)})
        day += timedelta(days=1)
    return rows


def all_accounts(clients: list[Any]) -> list[str]:
    return sorted({a for c in clients if isinstance(c, dict) for a in c.get("accounts", []) if isinstance(a, str)})


def run(report_type: str = "weekly") -> RunContext:
    return RunContext(
        run_id="run-1",
        report_type=report_type,
        as_of=date(2024, 5, 13),
        current=Period(start=date(2024, 5, 6), end=date(2024, 5, 13)),
        previous=Period(start=date(2024, 4, 29), end=date(2024, 5, 6)),
        started_at=datetime(2024, 5, 13, 6, 0, tzinfo=UTC),
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


def realistic_context(report_type: str = "weekly"):
    """What collect would fetch for realistic_dataset(): 14 days of totals, a forecast, a breakdown."""
    from datetime import timedelta

    from chalicelib.reports.costs.context import ReportContext, UsageBreakdown, UsageTypeLine
    from chalicelib.reports.costs.explorer import BucketTotal, ForecastFigures

    start = date(2024, 4, 29)
    totals = [BucketTotal(start=start + timedelta(days=i), amount=Decimal(1500 + 40 * i + (300 if i >= 7 else 0)))
              for i in range(14)]
    totals = [BucketTotal(start=date(2024, 5, 1) - timedelta(days=2), amount=Decimal(1500))] + totals[2:]
    forecast = ForecastFigures(start=date(2024, 5, 13), end=date(2024, 6, 1), total=Decimal(40100),
                               lower=Decimal(36000), upper=Decimal(44000),
                               daily=[BucketTotal(start=date(2024, 5, 13) + timedelta(days=i), amount=Decimal(2110))
                                      for i in range(19)])
    breakdown = UsageBreakdown(service="Amazon DynamoDB", lines=[
        UsageTypeLine(usage_type="WriteCapacityUnit-Hrs", region="us-east-1",
                      current=Decimal("980.10"), previous=Decimal("120.00")),
        UsageTypeLine(usage_type="ReadCapacityUnit-Hrs", region="us-east-1",
                      current=Decimal("310.30"), previous=Decimal("150.00")),
        UsageTypeLine(usage_type="TimedStorage-ByteHrs", region="eu-west-1",
                      current=Decimal("250.37"), previous=Decimal("132.18")),
    ])
    return ReportContext(granularity="DAILY", totals=totals, forecast=forecast, breakdown=breakdown,
                         account_names={ACCOUNTS[0]: "Production", ACCOUNTS[1]: "Staging"}, ce_requests=3)

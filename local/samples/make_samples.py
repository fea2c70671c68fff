"""Deterministic sample data: `python local/samples/make_samples.py` writes clients.json and costs.csv here.

Five clients with daily costs from 2026-08-01 to 2026-11-21 inclusive (weekday/weekend pattern,
slow growth, mild noise), monthly Tax and Support rows on the 1st, a few Credit rows and one
Refund, and the other charges AWS posts once a month on the 1st: an RI recurring fee (Globex), a
Savings Plans recurring fee (Northwind) and a Marketplace subscription (Acme). Globex Logistics has
a spike: Amazon EC2 compute +180% from Monday 2026-11-09 (the last full week, Nov 9-15, against
Nov 2-8), mostly new p3.2xlarge usage (EC2 compute rows carry a usage type and region). Acme
Retail names its accounts and asks for XLSX and PDF attachments; the payer of Umbrella Labs names
its accounts in organizations.json (organizations:ListAccounts locally). Rerunning the script
reproduces the files byte for byte.

Precision as Cost Explorer has it: usage amounts carry up to 10 decimals ("310.1234567891";
written without trailing zeros, as Cost Explorer writes them); the first account of each client
with at most 20 services has a few sub-cent daily lines (AWS X-Ray, Amazon EventBridge, AWS
Systems Manager: fractions of a cent, drawn from a second random stream so the other figures keep
their story); tax, support, monthly fees, credits and refunds are whole cents, as invoiced. EC2
compute rows carry their usage quantity in hours ("Hrs") and an `Environment` tag (the EU rows
are untagged).

`synthetic_clients(n, seed, start, end)` makes N synthetic clients (2 accounts x 12 services
each) for benchmarks; its rows are CostRow tuples, ready for `CostData(rows)` (no re-parsing) or
`CostData.from_rows(rows)` (validated).
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
import sys
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from local.aws.cost_explorer.data import CostRow, format_amount

HERE = Path(__file__).resolve().parent
START = date(2026, 8, 1)
END = date(2026, 11, 22)  # exclusive: the last day with data is 2026-11-21
SEED = 20261122
SPIKE_FROM = date(2026, 11, 9)
SPIKE_FACTOR = Decimal("2.8")  # +180%
PLACES = Decimal("1e-10")  # Cost Explorer's precision for usage amounts
CENT = Decimal("0.01")  # invoiced charges: tax, support, fees
# Sub-cent services (daily USD for one account): drawn from their own random stream.
SUB_CENT_SERVICES = {"AWS X-Ray": 0.0041, "Amazon EventBridge": 0.0000237, "AWS Systems Manager": 0.00086}
# On-demand hourly prices of the EC2 usage types (what a row's usage quantity in hours is derived from).
EC2_HOURLY = {
    "BoxUsage:m5.xlarge": Decimal("0.192"),
    "BoxUsage:c5.2xlarge": Decimal("0.34"),
    "EU-BoxUsage:m5.large": Decimal("0.107"),
    "BoxUsage:p3.2xlarge": Decimal("3.06"),
}
HOURS = Decimal("1e-9")

EC2 = "Amazon Elastic Compute Cloud - Compute"
EC2_OTHER = "EC2 - Other"

# Service -> (typical daily USD for one account, weekend factor, daily growth)
SERVICES: dict[str, tuple[float, float, float]] = {
    EC2: (310.0, 0.72, 0.0006),
    EC2_OTHER: (42.0, 0.9, 0.0004),
    "Amazon Simple Storage Service": (38.0, 1.0, 0.0012),
    "Amazon Relational Database Service": (125.0, 0.97, 0.0002),
    "AWS Lambda": (9.5, 0.6, 0.0010),
    "Amazon CloudFront": (27.0, 1.15, 0.0008),
    "Amazon DynamoDB": (18.0, 0.8, 0.0007),
    "Amazon Elastic Load Balancing": (21.0, 1.0, 0.0001),
    "Amazon Virtual Private Cloud": (14.0, 1.0, 0.0002),
    "Amazon CloudWatch": (11.0, 0.95, 0.0005),
    "Amazon Elastic Container Service": (33.0, 0.85, 0.0006),
    "Amazon Elastic Kubernetes Service": (7.2, 1.0, 0.0),
    "Amazon ElastiCache": (29.0, 1.0, 0.0001),
    "Amazon OpenSearch Service": (46.0, 1.0, 0.0003),
    "Amazon Simple Queue Service": (2.4, 0.7, 0.0005),
    "Amazon Simple Notification Service": (1.1, 0.7, 0.0004),
    "Amazon Simple Email Service": (1.8, 0.5, 0.0006),
    "Amazon Route 53": (1.6, 1.0, 0.0),
    "AWS Key Management Service": (2.9, 1.0, 0.0001),
    "AWS Secrets Manager": (1.3, 1.0, 0.0),
    "Amazon API Gateway": (6.5, 0.65, 0.0009),
    "AWS Step Functions": (3.1, 0.6, 0.0008),
    "Amazon Kinesis": (12.5, 0.9, 0.0003),
    "Amazon Athena": (4.4, 0.4, 0.0007),
    "AWS Glue": (16.0, 0.5, 0.0004),
    "Amazon SageMaker": (58.0, 0.6, 0.0010),
    "AWS WAF": (5.2, 1.0, 0.0002),
    "Amazon Elastic File System": (8.3, 1.0, 0.0009),
    "AWS Backup": (6.1, 1.0, 0.0011),
    "Amazon GuardDuty": (4.7, 1.0, 0.0003),
    "AWS Config": (3.4, 1.0, 0.0001),
    "AWS CloudTrail": (1.9, 1.0, 0.0002),
}
SUPPORT_BUSINESS = "AWS Support (Business)"
SUPPORT_DEVELOPER = "AWS Support (Developer)"
TAX = "Tax"
TAX_RATE = Decimal("0.0825")
SPP = "Solution Provider Program Discount"  # Cost Explorer's RECORD_TYPE of an AWS partner's discount
SPP_SERVICE = "AWS Solution Provider Program Discount"

# client_id, name, status, number of accounts, usage services per client, scale, support plan, extra config
CLIENTS: list[dict[str, Any]] = [
    {
        "client_id": "acme-retail",
        "name": "Acme Retail",
        "status": "ACTIVE",
        "accounts": 3,
        "services": 18,
        "scale": 1.6,
        "support": SUPPORT_BUSINESS,
        "domain": "acme-retail.example",
        "recipients": ["finops", "cto"],
        "reports": ["daily", "weekly", "monthly"],
        # The older budget form; by 2026-11-21 about 82% of the monthly budget is spent (crosses 80% actual)
        # and the month is forecast past 100%. Alerts by email and Slack + Teams (secrets by name).
        "extra": {
            "budgets": {"weekly": 12000, "monthly": 52000},
            "attachments": ["csv", "xlsx", "pdf"],
            "notifications": {"slack_secret": "acme-retail/slack", "teams_secret": "acme-retail/teams"},
        },
        "account_names": ["Production", "Staging", "Data platform"],
        "credits": [
            (date(2026, 9, 15), EC2, "-400.00"),
            (date(2026, 10, 15), EC2, "-400.00"),
            (date(2026, 11, 15), EC2, "-400.00"),
        ],
        "monthly_fees": [("Fee", "Datadog Pro (AWS Marketplace)", "1150.00")],
    },
    {
        "client_id": "northwind-health",
        "name": "Northwind Health",
        "status": "ACTIVE",
        "accounts": 2,
        "services": 14,
        "scale": 0.9,
        "support": SUPPORT_BUSINESS,
        "domain": "northwind-health.example",
        "recipients": ["finops", "it-billing"],
        "reports": ["daily", "weekly", "monthly"],
        # About 78% spent by 2026-11-21 but forecast past 100% of the month: a forecast-only alert, to a
        # separate alert list and a generic JSON webhook. A yearly budget with its own threshold stays quiet.
        "extra": {
            "budgets": [
                {"amount": 26000, "period": "monthly"},
                {"amount": 300000, "period": "yearly", "thresholds": [{"percent": 50, "on": "actual"}]},
            ],
            "cost_metric": "AmortizedCost",
            "change_alert": {"pct": "15", "absolute": "100"},
            "notifications": {
                "alert_recipients": ["cost-alerts@northwind-health.example"],
                "webhook_secret": "northwind-health/webhook",
            },
        },
        "refunds": [(date(2026, 10, 7), EC2_OTHER, "-42.17")],
        "monthly_fees": [("SavingsPlanRecurringFee", "Savings Plans for AWS Compute usage", "2190.00")],
    },
    {
        "client_id": "globex-logistics",
        "name": "Globex Logistics",
        "status": "ACTIVE",
        "accounts": 4,
        "services": 22,
        "scale": 1.2,
        "support": SUPPORT_BUSINESS,
        "domain": "globex-logistics.example",
        "recipients": ["finops", "platform-team", "cfo-office"],
        "reports": ["daily", "weekly", "monthly"],
        # The EC2 spike: over budget (actual past 100%, checked as 80% actual + 100% forecast); its alerts
        # also go to an SNS topic.
        "extra": {
            "budgets": {"weekly": 15000, "monthly": 58000},
            "attachments": ["csv", "pdf"],
            "notifications": {"sns_topic_arn": "arn:aws:sns:us-east-1:123456789012:cost-reporter-local-client-alerts"},
        },
        "spike": True,
        "monthly_fees": [("RIFee", EC2, "3066.00")],
    },
    {
        "client_id": "initech",
        "name": "Initech",
        "status": "PAUSED",
        "accounts": 1,
        "services": 9,
        "scale": 0.35,
        "support": SUPPORT_DEVELOPER,
        "domain": "initech.example",
        "recipients": ["finops"],
        "reports": ["weekly", "monthly"],
        "extra": {},
        # An MSP's partner discount, posted on the 1st for the month before (an Adjustment in FOCUS), and
        # a one-time Savings Plan purchase (a commitment Purchase): charges Initech alone carries.
        "spp_discount": Decimal("0.03"),
        "purchases": [(date(2026, 9, 10), "SavingsPlanUpfrontFee", "Savings Plans for AWS Compute usage", "1200.00")],
    },
    {
        "client_id": "umbrella-labs",
        "name": "Umbrella Labs",
        "status": "ACTIVE",
        "accounts": 2,
        "services": 12,
        "scale": 0.8,
        "support": None,
        "domain": "umbrella-labs.example",
        "recipients": ["finops", "research-ops"],
        "reports": ["daily", "weekly", "monthly"],
        "extra": {"include_credits": True, "budgets": {"monthly": 16000}},
        "payer": True,
        "credits": [
            (date(2026, 10, 1), EC2, "-250.00"),
            (date(2026, 10, 2), EC2, "-250.00"),
            (date(2026, 11, 1), EC2, "-250.00"),
            (date(2026, 11, 2), EC2, "-250.00"),
        ],
    },
]


OTHER_ORG_ACCOUNT = "899999999990"
ORG_ACCOUNT_NAMES = ("Research", "Sandbox")


def sample_organizations(configs: list[dict[str, Any]]) -> dict[str, list[dict[str, str]]]:
    """payer account -> its organization's accounts (what organizations:ListAccounts answers there).

    Each payer-role client's accounts are named; the organization also holds an account that is not
    the client's, which must never show up in its report."""
    organizations: dict[str, list[dict[str, str]]] = {}
    for config in configs:
        if not config.get("role_arn"):
            continue
        payer = config["role_arn"].split(":")[4]
        # Names for the first accounts; a client with more accounts has some unnamed.
        members = [
            {"Id": a, "Name": f"{config['name'].split()[0]} {n}"}
            for a, n in zip(config["accounts"], ORG_ACCOUNT_NAMES, strict=False)
        ]
        organizations[payer] = members + [{"Id": OTHER_ORG_ACCOUNT, "Name": "Shared Services"}]
    return organizations


def _account_ids(rng: random.Random, count: int, taken: set[str]) -> list[str]:
    ids = []
    while len(ids) < count:
        candidate = str(rng.randint(100_000_000_000, 899_999_999_999))  # 9xxxxxxxxxxx is left to synthetic clients
        if candidate not in taken:
            taken.add(candidate)
            ids.append(candidate)
    return ids


def _money(value: float) -> Decimal:
    return Decimal(repr(round(value, 10))).quantize(PLACES)


# EC2 compute split by usage type and region (no random draws: the other figures stay as they were).
# The spike is new GPU instances plus more c5: what the report's why-line should find.
EC2_USAGE = [
    ("BoxUsage:m5.xlarge", "us-east-1", Decimal("0.70")),
    ("BoxUsage:c5.2xlarge", "us-east-1", Decimal("0.20")),
    ("EU-BoxUsage:m5.large", "eu-west-1", Decimal("0.10")),
]
EC2_SPIKE_USAGE = [("BoxUsage:p3.2xlarge", "us-east-1", Decimal("0.80")), ("BoxUsage:c5.2xlarge", "us-east-1", Decimal("0.20"))]


def _split(amount: Decimal, shares: list[tuple[str, str, Decimal]]) -> list[tuple[str, str, Decimal]]:
    parts = [(u, r, (amount * share).quantize(PLACES)) for u, r, share in shares[:-1]]
    return parts + [(shares[-1][0], shares[-1][1], amount - sum((p[2] for p in parts), Decimal(0)))]


def _ec2_rows(day: date, account: str, base: Decimal, spike: Decimal, environment: str) -> list[CostRow]:
    sums: dict[tuple[str, str], Decimal] = {}
    for usage, region, amount in _split(base, EC2_USAGE) + (_split(spike, EC2_SPIKE_USAGE) if spike else []):
        sums[(usage, region)] = sums.get((usage, region), Decimal(0)) + amount
    return [
        CostRow(
            day,
            account,
            EC2,
            amount,
            "Usage",
            "USD",
            region,
            usage,
            (amount / EC2_HOURLY[usage]).quantize(HOURS),
            "Hrs",
            () if region == "eu-west-1" else (("Environment", environment),),
        )
        for (usage, region), amount in sums.items()
    ]


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days)]


def make_samples(seed: int = SEED) -> tuple[list[dict[str, Any]], list[CostRow]]:
    rng = random.Random(seed)
    tiny = random.Random(seed + 1)  # the sub-cent lines: the main stream's draws stay as they were
    taken: set[str] = set()
    configs: list[dict[str, Any]] = []
    rows: list[CostRow] = []
    days = _days(START, END)
    usage_services = [s for s in SERVICES if s not in (EC2, EC2_OTHER)]

    for spec in CLIENTS:
        accounts = _account_ids(rng, spec["accounts"], taken)
        # Every client runs EC2; the rest of its portfolio is a seeded pick.
        services = [EC2, EC2_OTHER, *rng.sample(usage_services, spec["services"] - 2)]
        config: dict[str, Any] = {
            "client_id": spec["client_id"],
            "name": spec["name"],
            "status": spec["status"],
            "accounts": accounts,
            # Most clients read the sample FOCUS export; globex-logistics stays on Cost Explorer (both paths run).
            "cost_source": "cost_explorer" if spec["client_id"] == "globex-logistics" else "focus",
            "recipients": [f"{local}@{spec['domain']}" for local in spec["recipients"]],
            "reports": spec["reports"],
            **spec["extra"],
        }
        if spec.get("account_names"):
            config["account_names"] = dict(zip(accounts, spec["account_names"], strict=False))  # the first accounts are named
        if spec.get("payer"):
            payer = _account_ids(rng, 1, taken)[0]
            config["role_arn"] = f"arn:aws:iam::{payer}:role/CostReporterReadCosts"
            config["external_id"] = f"umbrella-{rng.getrandbits(64):016x}"
        configs.append(config)

        usage_by_month: dict[tuple[str, date], Decimal] = {}
        for a_index, account in enumerate(accounts):
            # The first account is production; the others are smaller (staging, data, sandbox).
            account_scale = spec["scale"] * (1.0 if a_index == 0 else rng.uniform(0.15, 0.55))
            # Not every account runs every service of the client (EC2 and S3-like basics stay).
            mine = services[:2] + [s for s in services[2:] if a_index == 0 or rng.random() < 0.7]
            for service in mine:
                base, weekend, growth = SERVICES[service]
                level = base * account_scale * rng.uniform(0.6, 1.4)
                for i, day in enumerate(days):
                    value = level * (1 + growth) ** i
                    if day.weekday() >= 5:
                        value *= weekend
                    value *= rng.gauss(1.0, 0.04)
                    amount = _money(max(value, 0.01))
                    base = amount
                    if spec.get("spike") and service == EC2 and day >= SPIKE_FROM:
                        amount = (amount * SPIKE_FACTOR).quantize(PLACES)
                    if service == EC2:
                        environment = "Production" if a_index == 0 else "Staging"
                        rows.extend(_ec2_rows(day, account, base, amount - base, environment))
                    else:
                        rows.append(CostRow(day, account, service, amount))
                    month = day.replace(day=1)
                    usage_by_month[(account, month)] = usage_by_month.get((account, month), Decimal(0)) + amount

        for service, daily in SUB_CENT_SERVICES.items():
            if spec["services"] > 20:
                break  # Globex's portfolio is full enough (every client stays within 25 services)
            for day in days:
                amount = _money(daily * tiny.uniform(0.4, 1.6))
                rows.append(CostRow(day, accounts[0], service, amount))
                month = day.replace(day=1)
                usage_by_month[(accounts[0], month)] = usage_by_month.get((accounts[0], month), Decimal(0)) + amount

        # Tax and support are charged on the 1st of the month for the month before.
        for account in accounts:
            for day in days:
                if day.day != 1 or day == START:
                    continue
                previous_month = (day - timedelta(days=1)).replace(day=1)
                usage = usage_by_month.get((account, previous_month), Decimal(0))
                if spec["support"] == SUPPORT_BUSINESS:
                    support = max(Decimal(100), (usage * Decimal("0.10"))).quantize(CENT)
                    rows.append(CostRow(day, account, SUPPORT_BUSINESS, support, "Support"))
                    usage += support
                elif spec["support"] == SUPPORT_DEVELOPER:
                    support = max(Decimal(29), (usage * Decimal("0.03"))).quantize(CENT)
                    rows.append(CostRow(day, account, SUPPORT_DEVELOPER, support, "Support"))
                    usage += support
                rows.append(CostRow(day, account, TAX, (usage * TAX_RATE).quantize(CENT), "Tax"))
                if spec.get("spp_discount"):
                    rows.append(
                        CostRow(
                            day,
                            account,
                            SPP_SERVICE,
                            -(usage_by_month.get((account, previous_month), Decimal(0)) * spec["spp_discount"]).quantize(CENT),
                            SPP,
                        )
                    )

        # Marketplace subscriptions, RI and Savings Plans recurring fees: the whole month, on the 1st.
        for day in days:
            if day.day == 1:
                for record_type, service, amount in spec.get("monthly_fees", []):
                    rows.append(CostRow(day, accounts[0], service, Decimal(amount), record_type))
        for day, service, amount in spec.get("credits", []):
            rows.append(CostRow(day, accounts[0], service, Decimal(amount), "Credit"))
        for day, service, amount in spec.get("refunds", []):
            rows.append(CostRow(day, accounts[0], service, Decimal(amount), "Refund"))
        for day, record_type, service, amount in spec.get("purchases", []):
            rows.append(CostRow(day, accounts[0], service, Decimal(amount), record_type))

    rows.sort(key=lambda r: (r.date, r.account_id, r.record_type != "Usage", r.service))
    return configs, rows


def write_csv(path: Path, rows: list[CostRow]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(
            [
                "date",
                "account_id",
                "service",
                "amount",
                "record_type",
                "currency",
                "region",
                "usage_type",
                "usage_quantity",
                "usage_unit",
                "tags",
            ]
        )
        for row in rows:
            # Region, usage type, quantity and tags only where the data has them (EC2 compute); empty means the default.
            region = "" if row.region == "global" else row.region
            usage = "" if row.usage_type == "NoUsageType" else row.usage_type
            quantity = format_amount(row.usage_quantity) if row.usage_quantity else ""
            unit = "" if row.usage_unit == "N/A" else row.usage_unit
            tags = json.dumps(dict(row.tags), separators=(",", ":")) if row.tags else ""
            writer.writerow(
                [
                    row.date.isoformat(),
                    row.account_id,
                    row.service,
                    format_amount(row.amount),
                    row.record_type,
                    row.currency,
                    region,
                    usage,
                    quantity,
                    unit,
                    tags,
                ]
            )


# Private pricing (an enterprise discount on usage) of the clients that have one: FOCUS ListCost is
# higher than BilledCost by it; the others pay list price.
PRIVATE_DISCOUNTS = {"acme-retail": Decimal("0.05"), "globex-logistics": Decimal("0.03")}
FOCUS_EXPORT, CUR_EXPORT = "cost-reporter-focus", "cost-reporter-cur2"
EXPORTS_DIR = HERE / "exports"
AZURE_FOCUS = HERE / "focus-azure-1.0.csv.gz"


def export_lines(seed: int = SEED) -> list[dict[str, Any]]:
    """The charge lines of every sample row, as the FOCUS and CUR 2.0 exports write them."""
    from local.aws.exports.charges import canonical_lines

    configs, rows = make_samples(seed)
    names: dict[str, str] = {}
    discounts: dict[str, Decimal] = {}
    for config in configs:
        names.update(config.get("account_names") or {})
        for account in config["accounts"]:
            discounts[account] = PRIVATE_DISCOUNTS.get(config["client_id"], Decimal(0))
    for members in sample_organizations(configs).values():
        names.update({m["Id"]: m["Name"] for m in members if m["Id"] not in names})
    open_month = (END - timedelta(days=1)).replace(day=1)
    return canonical_lines(rows, names, discounts, invoiced_before=open_month)


def write_exports(directory: Path = EXPORTS_DIR, seed: int = SEED) -> list[Any]:
    """The FOCUS 1.2 and CUR 2.0 exports of the sample data, laid out as AWS Data Exports delivers them
    under directory/focus/<export> and directory/cur2/<export> (s3://payer-exports/focus/... locally)."""
    import shutil

    from local.aws.exports.layout import CUR, FOCUS, snapshots_for, write_export

    lines = export_lines(seed)
    periods = sorted({date.fromisoformat(line["billing_period"]) for line in lines})
    written = []
    # FOCUS at HOURLY granularity (EC2 instance hours hour by hour), CUR 2.0 at DAILY (an export setting):
    # both shapes of a real export, and the committed files stay a few megabytes.
    for family, name, kind, hourly in (("focus", FOCUS_EXPORT, FOCUS, True), ("cur2", CUR_EXPORT, CUR, False)):
        shutil.rmtree(directory / family / name, ignore_errors=True)
        written.append(
            write_export(
                lines,
                directory / family,
                name,
                kind,
                snapshots_for(periods, END - timedelta(days=1), name),
                prefix=f"{family}/",
                hourly=hourly,
            )
        )
    return written


# ---------------------------------------------------------------------------------------------
# A FOCUS 1.0 file of another provider (Microsoft Azure), for the "any provider" path
# ---------------------------------------------------------------------------------------------

AZURE_SUBSCRIPTIONS = [
    # (subscription id, name, billing account, currency, scale)
    (
        "/subscriptions/3f6b2c1e-8a4d-4b7e-9c21-5d0f8e7a6b31",
        "Contoso Production",
        "/providers/Microsoft.Billing/billingAccounts/71234567",
        "USD",
        1.0,
    ),
    (
        "/subscriptions/9c0e4d72-1b3a-4f5c-8e6d-2a7b9c1d0e4f",
        "Contoso Development",
        "/providers/Microsoft.Billing/billingAccounts/71234567",
        "USD",
        0.3,
    ),
    # billed in euros by another billing account: a client holding it beside a USD account has two currencies
    (
        "/subscriptions/5a1d7e3c-6f2b-4c8d-9e0a-3b4c5d6e7f80",
        "Fabrikam Europe",
        "/providers/Microsoft.Billing/billingAccounts/80987654",
        "EUR",
        0.6,
    ),
]
# service -> (category, daily cost at scale 1, meter category, unit, unit price, region)
AZURE_SERVICES = {
    "Virtual Machines": ("Compute", 182.0, "Virtual Machines", "1 Hour", "0.192", "eastus"),
    "Storage": ("Storage", 24.5, "Storage", "1 GB/Month", "0.0184", "eastus"),
    "Azure SQL Database": ("Databases", 61.0, "SQL Database", "1 Hour", "0.5044", "eastus"),
    "Bandwidth": ("Networking", 7.8, "Bandwidth", "1 GB", "0.087", "eastus"),
    "Azure Monitor": ("Management and Governance", 4.2, "Azure Monitor", "1 GB", "2.30", "eastus"),
}
AZURE_START, AZURE_END = date(2026, 10, 1), END
AZURE_COLUMNS = [
    "AvailabilityZone",
    "BilledCost",
    "BillingAccountId",
    "BillingAccountName",
    "BillingCurrency",
    "BillingPeriodEnd",
    "BillingPeriodStart",
    "ChargeCategory",
    "ChargeClass",
    "ChargeDescription",
    "ChargeFrequency",
    "ChargePeriodEnd",
    "ChargePeriodStart",
    "CommitmentDiscountCategory",
    "CommitmentDiscountId",
    "CommitmentDiscountName",
    "CommitmentDiscountStatus",
    "CommitmentDiscountType",
    "ConsumedQuantity",
    "ConsumedUnit",
    "ContractedCost",
    "ContractedUnitPrice",
    "EffectiveCost",
    "InvoiceIssuerName",
    "ListCost",
    "ListUnitPrice",
    "PricingCategory",
    "PricingQuantity",
    "PricingUnit",
    "ProviderName",
    "PublisherName",
    "RegionId",
    "RegionName",
    "ResourceId",
    "ResourceName",
    "ResourceType",
    "ServiceCategory",
    "ServiceName",
    "SkuId",
    "SkuPriceId",
    "SubAccountId",
    "SubAccountName",
    "Tags",
    "x_ResourceGroupName",
    "x_SkuMeterCategory",
    "x_SkuDescription",
]


def azure_focus_rows(seed: int = SEED) -> list[dict[str, str]]:
    """Daily FOCUS 1.0 rows as Azure Cost Management's FOCUS export writes them (empty cells for NULL,
    ISO timestamps with Z, Tags as JSON), with a reservation purchase and a credit."""
    rng = random.Random(seed + 2)
    rows: list[dict[str, str]] = []

    def period(day: date) -> tuple[str, str]:
        start = day.replace(day=1)
        end = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
        return f"{start.isoformat()}T00:00:00Z", f"{end.isoformat()}T00:00:00Z"

    for subscription, name, account, currency, scale in AZURE_SUBSCRIPTIONS:
        group = name.lower().replace(" ", "-") + "-rg"
        for day in _days(AZURE_START, AZURE_END):
            for service, (category, daily, meter, unit, price, region) in AZURE_SERVICES.items():
                amount = _money(daily * scale * rng.uniform(0.85, 1.15) * (0.8 if day.weekday() >= 5 else 1.0))
                quantity = (amount / Decimal(price)).quantize(PLACES)
                sku = "DZH318Z0" + hashlib.sha256(service.encode()).hexdigest()[:4].upper()
                start, end = period(day)
                rows.append(
                    {
                        "BilledCost": format_amount(amount),
                        "BillingAccountId": account,
                        "BillingAccountName": "Contoso Ltd" if currency == "USD" else "Fabrikam GmbH",
                        "BillingCurrency": currency,
                        "BillingPeriodEnd": end,
                        "BillingPeriodStart": start,
                        "ChargeCategory": "Usage",
                        "ChargeDescription": f"{meter} - {unit}",
                        "ChargeFrequency": "Usage-Based",
                        "ChargePeriodEnd": f"{(day + timedelta(days=1)).isoformat()}T00:00:00Z",
                        "ChargePeriodStart": f"{day.isoformat()}T00:00:00Z",
                        "ConsumedQuantity": format_amount(quantity),
                        "ConsumedUnit": unit,
                        "ContractedCost": format_amount(amount),
                        "ContractedUnitPrice": price,
                        "EffectiveCost": format_amount(amount),
                        "InvoiceIssuerName": "Microsoft",
                        "ListCost": format_amount(amount),
                        "ListUnitPrice": price,
                        "PricingCategory": "Standard",
                        "PricingQuantity": format_amount(quantity),
                        "PricingUnit": unit,
                        "ProviderName": "Microsoft",
                        "PublisherName": "Microsoft",
                        "RegionId": region,
                        "RegionName": "East US",
                        "ResourceId": f"{subscription}/resourcegroups/{group}/providers/"
                        f"microsoft.{category.split()[0].lower()}/{service.lower().replace(' ', '-')}-1",
                        "ResourceName": f"{service.lower().replace(' ', '-')}-1",
                        "ResourceType": meter,
                        "ServiceCategory": category,
                        "ServiceName": service,
                        "SkuId": sku,
                        "SkuPriceId": f"{sku}/0001",
                        "SubAccountId": subscription,
                        "SubAccountName": name,
                        "Tags": json.dumps({"env": "prod" if "Production" in name else "dev"})
                        if service != "Bandwidth"
                        else "{}",
                        "x_ResourceGroupName": group,
                        "x_SkuMeterCategory": meter,
                        "x_SkuDescription": f"{meter} {unit}",
                    }
                )
    purchase_start, purchase_end = period(date(2026, 10, 5))
    rows.append(
        {
            "BilledCost": "1752.0000000000",
            "BillingAccountId": AZURE_SUBSCRIPTIONS[0][2],
            "BillingAccountName": "Contoso Ltd",
            "BillingCurrency": "USD",
            "BillingPeriodEnd": purchase_end,
            "BillingPeriodStart": purchase_start,
            "ChargeCategory": "Purchase",
            "ChargeDescription": "Reserved VM Instance, D4s v5, 1 year",
            "ChargeFrequency": "One-Time",
            "ChargePeriodEnd": "2026-10-06T00:00:00Z",
            "ChargePeriodStart": "2026-10-05T00:00:00Z",
            "CommitmentDiscountCategory": "Usage",
            "CommitmentDiscountId": "/providers/microsoft.capacity/reservationorders/a7c0f3e2-4b1d-4e6f-9a8b-1c2d3e4f5a6b",
            "CommitmentDiscountName": "VM_RI_10-05-2026",
            "CommitmentDiscountType": "Reservation",
            "ContractedCost": "1752",
            "EffectiveCost": "0",
            "InvoiceIssuerName": "Microsoft",
            "ListCost": "1752",
            "PricingCategory": "Committed",
            "ProviderName": "Microsoft",
            "PublisherName": "Microsoft",
            "ServiceCategory": "Compute",
            "ServiceName": "Virtual Machines",
            "SubAccountId": AZURE_SUBSCRIPTIONS[0][0],
            "SubAccountName": AZURE_SUBSCRIPTIONS[0][1],
            "Tags": "{}",
        }
    )
    credit_start, credit_end = period(date(2026, 11, 1))
    rows.append(
        {
            "BilledCost": "-100.0000000000",
            "BillingAccountId": AZURE_SUBSCRIPTIONS[1][2],
            "BillingAccountName": "Contoso Ltd",
            "BillingCurrency": "USD",
            "BillingPeriodEnd": credit_end,
            "BillingPeriodStart": credit_start,
            "ChargeCategory": "Credit",
            "ChargeDescription": "Azure credit offer",
            "ChargeFrequency": "One-Time",
            "ChargePeriodEnd": "2026-11-02T00:00:00Z",
            "ChargePeriodStart": "2026-11-01T00:00:00Z",
            "ContractedCost": "0",
            "EffectiveCost": "-100",
            "InvoiceIssuerName": "Microsoft",
            "ListCost": "0",
            "ProviderName": "Microsoft",
            "PublisherName": "Microsoft",
            "ServiceCategory": "Other",
            "ServiceName": "Azure Credits",
            "SubAccountId": AZURE_SUBSCRIPTIONS[1][0],
            "SubAccountName": AZURE_SUBSCRIPTIONS[1][1],
            "Tags": "{}",
        }
    )
    return rows


def write_azure_focus(path: Path = AZURE_FOCUS, seed: int = SEED) -> Path:
    import gzip
    import io

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=AZURE_COLUMNS, lineterminator="\n", restval="")
    writer.writeheader()
    writer.writerows(azure_focus_rows(seed))
    with path.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as handle:
        handle.write(buffer.getvalue().encode("utf-8"))
    return path


def write_samples(directory: Path = HERE, seed: int = SEED) -> tuple[Path, Path]:
    configs, rows = make_samples(seed)
    clients_path = directory / "clients.json"
    costs_path = directory / "costs.csv"
    clients_path.write_text(json.dumps(configs, indent=2) + "\n", encoding="utf-8")
    (directory / "organizations.json").write_text(json.dumps(sample_organizations(configs), indent=2) + "\n", encoding="utf-8")
    write_csv(costs_path, rows)
    return clients_path, costs_path


# ---------------------------------------------------------------------------------------------
# Synthetic clients for benchmarks
# ---------------------------------------------------------------------------------------------

SYNTHETIC_SERVICES = [
    EC2,
    EC2_OTHER,
    "Amazon Simple Storage Service",
    "Amazon Relational Database Service",
    "AWS Lambda",
    "Amazon CloudFront",
    "Amazon DynamoDB",
    "Amazon Elastic Load Balancing",
    "Amazon Virtual Private Cloud",
    "Amazon CloudWatch",
    "Amazon Simple Queue Service",
    "AWS Key Management Service",
]


def synthetic_clients(
    n: int,
    seed: int = 7,
    start: date = date(2026, 10, 1),
    end: date = date(2026, 11, 22),
) -> tuple[list[dict[str, Any]], list[CostRow]]:
    """N clients `bench-0000`... with 2 accounts and 12 services each, daily Usage rows for
    [start, end) (end exclusive, like Cost Explorer). Accounts are 9000000xxxxx (never shared,
    never colliding with the sample clients). About 24 rows per client per day; fast for n=1000
    (rows are CostRow tuples with Decimal amounts, ready for `CostData(rows)`)."""
    if end <= start:
        raise ValueError("end must be after start")
    rng = random.Random(seed)
    days = _days(start, end)
    weekend = [day.weekday() >= 5 for day in days]
    clients: list[dict[str, Any]] = []
    rows: list[CostRow] = []
    # Noise values are drawn once per (client, day) pattern and reused across a client's series:
    # a few hundred thousand Decimals is what keeps n=1000 fast.
    decimal_cache: dict[int, Decimal] = {}

    def money(value: float) -> Decimal:
        cents = int(value * 100 + 0.5)
        cached = decimal_cache.get(cents)
        if cached is None:
            cached = decimal_cache[cents] = Decimal(cents).scaleb(-2)
        return cached

    for i in range(n):
        client_id = f"bench-{i:04d}"
        accounts = [f"9{i:06d}{j:05d}" for j in range(2)]
        clients.append(
            {
                "client_id": client_id,
                "name": f"Benchmark Client {i:04d}",
                "status": "ACTIVE",
                "accounts": accounts,
                "recipients": [f"finops@{client_id}.example"],
                "reports": ["daily", "weekly", "monthly"],
            }
        )
        scale = rng.uniform(0.2, 3.0)
        noise = [rng.uniform(0.95, 1.05) for _ in days]
        for account in accounts:
            for service in SYNTHETIC_SERVICES:
                base, weekend_factor, _growth = SERVICES[service]
                level = base * scale * rng.uniform(0.5, 1.5)
                weekend_level = level * weekend_factor
                for day, is_weekend, jitter in zip(days, weekend, noise, strict=True):
                    rows.append(CostRow(day, account, service, money((weekend_level if is_weekend else level) * jitter)))
    return clients, rows


def main() -> None:
    clients_path, costs_path = write_samples()
    configs, rows = make_samples()
    print(f"wrote {clients_path} ({len(configs)} clients) and {costs_path} ({len(rows)} rows)")
    for export in write_exports():
        size = sum(p.stat().st_size for p in export.files())
        print(f"wrote {export.source} ({export.format}, {len(export.files())} files, {size / 1e6:.2f} MB)")
    azure = write_azure_focus()
    print(f"wrote {azure} (FOCUS 1.0, Microsoft, {azure.stat().st_size / 1e3:.0f} kB)")
    for config in configs:
        print(f"  {config['client_id']:<18} {config['status']:<7} accounts={','.join(config['accounts'])}")


if __name__ == "__main__":
    main()

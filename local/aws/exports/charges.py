"""One cost dataset, three shapes: a Cost Explorer row <-> a FOCUS 1.2 (AWS) line <-> a CUR 2.0 line item.

The mapping, both ways (documented in local/samples/README.md, "How a charge reads in each source"):

| CE RECORD_TYPE | FOCUS ChargeCategory | ChargeClass | ChargeFrequency | FOCUS discriminator | CUR 2.0 line_item_line_item_type |
| --- | --- | --- | --- | --- | --- |
| Usage | Usage | NULL | Usage-Based |  | Usage |
| Refund | Usage | Correction | Usage-Based | negative, corrects a past bill | Refund |
| Credit | Credit | NULL | One-Time |  | Credit |
| Tax | Tax | NULL | Recurring |  | Tax |
| Support | Purchase | NULL | Recurring | x_ServiceCode AWS*Support* | Fee (product code AWS*Support*) |
| RIFee | Purchase | NULL | Recurring | CommitmentDiscountType RI | RIFee |
| SavingsPlanRecurringFee | Purchase | NULL | Recurring | CommitmentDiscountType SP | SavingsPlanRecurringFee |
| SavingsPlanUpfrontFee | Purchase | NULL | One-Time | CommitmentDiscountType SP | SavingsPlanUpfrontFee |
| Fee (Marketplace and other fees) | Purchase | NULL | Recurring | none of the above | Fee |
| Solution Provider Program Discount | Adjustment | NULL | Recurring |  | SppDiscount |

Amounts: FOCUS BilledCost and CUR line_item_unblended_cost are the Cost Explorer amount (UnblendedCost),
at the same precision. The sample keeps Cost Explorer's service names in FOCUS ServiceName (AWS writes
product names there; x_ServiceCode and CUR product_servicecode carry the real service codes), so the
two sources compare service by service. A charge's day is the UTC day of its ChargePeriodStart.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from chalicelib.core.periods import month_start, next_month

PROVIDER = "AWS"
INVOICE_ISSUER = "Amazon Web Services, Inc."
PAYER_ACCOUNT = "998877665544"  # the MSP's payer (management) account whose export holds every client
PAYER_NAME = "MSP consolidated billing"
EC2 = "Amazon Elastic Compute Cloud - Compute"
PLACES = Decimal("1e-10")


@dataclass(frozen=True)
class Charge:
    category: str
    charge_class: str | None
    frequency: str
    cur_type: str


CHARGES: dict[str, Charge] = {
    "Usage": Charge("Usage", None, "Usage-Based", "Usage"),
    "Refund": Charge("Usage", "Correction", "Usage-Based", "Refund"),
    "Credit": Charge("Credit", None, "One-Time", "Credit"),
    "Tax": Charge("Tax", None, "Recurring", "Tax"),
    "Support": Charge("Purchase", None, "Recurring", "Fee"),
    "RIFee": Charge("Purchase", None, "Recurring", "RIFee"),
    "SavingsPlanRecurringFee": Charge("Purchase", None, "Recurring", "SavingsPlanRecurringFee"),
    "SavingsPlanUpfrontFee": Charge("Purchase", None, "One-Time", "SavingsPlanUpfrontFee"),
    "Fee": Charge("Purchase", None, "Recurring", "Fee"),
    "Solution Provider Program Discount": Charge("Adjustment", None, "Recurring", "SppDiscount"),
}
# Charges that cover the whole billing period (ChargePeriod = the month): posted on the 1st by Cost Explorer.
MONTHLY = frozenset({"Tax", "Support", "RIFee", "SavingsPlanRecurringFee", "Fee", "Solution Provider Program Discount"})


@dataclass(frozen=True)
class Service:
    code: str
    category: str
    subcategory: str
    usage_type: str | None
    operation: str | None
    unit: str | None
    list_price: Decimal | None  # per unit, on-demand (public) price
    resource_type: str | None = None


def _s(
    code: str,
    category: str,
    sub: str,
    usage: str | None,
    operation: str | None,
    unit: str | None,
    price: str | None,
    resource: str | None = None,
) -> Service:
    return Service(code, category, sub, usage, operation, unit, Decimal(price) if price else None, resource)


SERVICES: dict[str, Service] = {
    EC2: _s("AmazonEC2", "Compute", "Virtual Machines", None, "RunInstances", "Hours", None, "Instance"),
    "EC2 - Other": _s(
        "AmazonEC2", "Storage", "Block Storage", "EBS:VolumeUsage.gp3", "CreateVolume-Gp3", "GB-Mo", "0.08", "Volume"
    ),
    "Amazon Simple Storage Service": _s(
        "AmazonS3", "Storage", "Object Storage", "TimedStorage-ByteHrs", "StandardStorage", "GB-Mo", "0.023", "Bucket"
    ),
    "Amazon Relational Database Service": _s(
        "AmazonRDS",
        "Databases",
        "Relational Databases",
        "InstanceUsage:db.r6g.large",
        "CreateDBInstance:0016",
        "Hours",
        "0.225",
        "DBInstance",
    ),
    "AWS Lambda": _s(
        "AWSLambda", "Compute", "Serverless Compute", "Lambda-GB-Second", "Invoke", "Lambda-GB-Second", "0.0000166667", "Function"
    ),
    "Amazon CloudFront": _s(
        "AmazonCloudFront", "Networking", "Content Delivery", "US-DataTransfer-Out-Bytes", "GET", "GB", "0.085", "Distribution"
    ),
    "Amazon DynamoDB": _s(
        "AmazonDynamoDB",
        "Databases",
        "NoSQL Databases",
        "WriteRequestUnits",
        "PayPerRequestThroughput",
        "WriteRequestUnits",
        "0.00000125",
        "Table",
    ),
    "Amazon Elastic Load Balancing": _s(
        "AWSELB",
        "Networking",
        "Application Networking",
        "LoadBalancerUsage",
        "LoadBalancing:Application",
        "Hrs",
        "0.0225",
        "LoadBalancer",
    ),
    "Amazon Virtual Private Cloud": _s(
        "AmazonVPC", "Networking", "Network Connectivity", "NatGateway-Hours", "NatGateway", "Hrs", "0.045", "NatGateway"
    ),
    "Amazon CloudWatch": _s(
        "AmazonCloudWatch",
        "Management and Governance",
        "Observability",
        "CW:MetricMonitorUsage",
        "MetricStorage",
        "Metrics",
        "0.30",
    ),
    "Amazon Elastic Container Service": _s(
        "AmazonECS", "Compute", "Containers", "Fargate-vCPU-Hours:perCPU", "FargateTask", "hours", "0.04048", "Cluster"
    ),
    "Amazon Elastic Kubernetes Service": _s(
        "AmazonEKS", "Compute", "Containers", "AmazonEKS-Hours:perCluster", "CreateOperation", "Hours", "0.10", "Cluster"
    ),
    "Amazon ElastiCache": _s(
        "AmazonElastiCache",
        "Databases",
        "Caching",
        "NodeUsage:cache.r6g.large",
        "CreateCacheCluster:0012",
        "NodeHour",
        "0.206",
        "Cluster",
    ),
    "Amazon OpenSearch Service": _s(
        "AmazonES", "Analytics", "Search", "ESInstance:r6g.large", "ESDomain", "Hrs", "0.167", "Domain"
    ),
    "Amazon Simple Queue Service": _s(
        "AWSQueueService", "Integration", "Messaging", "Requests-Tier1", "SendMessage", "Requests", "0.0000004", "Queue"
    ),
    "Amazon Simple Notification Service": _s(
        "AmazonSNS", "Integration", "Messaging", "Requests-Tier1", "Publish", "Requests", "0.0000005", "Topic"
    ),
    "Amazon Simple Email Service": _s("AmazonSES", "Integration", "Messaging", "Recipients", "SendEmail", "Recipients", "0.0001"),
    "Amazon Route 53": _s(
        "AmazonRoute53", "Networking", "Network Infrastructure", "DNS-Queries", "Query", "Queries", "0.0000004", "HostedZone"
    ),
    "AWS Key Management Service": _s(
        "awskms", "Security", "Secret Management", "KMS-Requests", "Decrypt", "Requests", "0.000003", "Key"
    ),
    "AWS Secrets Manager": _s(
        "AWSSecretsManager",
        "Security",
        "Secret Management",
        "AWSSecretsManager-Secrets",
        "StoreSecret",
        "Secrets",
        "0.40",
        "Secret",
    ),
    "Amazon API Gateway": _s(
        "AmazonApiGateway",
        "Integration",
        "API Management",
        "ApiGatewayRequest",
        "ApiGatewayRequest",
        "Requests",
        "0.0000035",
        "RestApi",
    ),
    "AWS Step Functions": _s(
        "AWSStepFunctions",
        "Integration",
        "Workflow Orchestration",
        "StateTransition",
        "StateTransition",
        "StateTransitions",
        "0.000025",
        "StateMachine",
    ),
    "Amazon Kinesis": _s(
        "AmazonKinesis", "Analytics", "Streaming Analytics", "ShardHour", "shardHourStorage", "ShardHour", "0.015", "Stream"
    ),
    "Amazon Athena": _s(
        "AmazonAthena", "Analytics", "Data Processing", "DataScannedInTB", "RunQuery", "Terabytes", "5.00", "WorkGroup"
    ),
    "AWS Glue": _s("AWSGlue", "Analytics", "Data Processing", "Crawler-DPU-Hour", "CrawlerRun", "DPU-Hour", "0.44", "Crawler"),
    "Amazon SageMaker": _s(
        "AmazonSageMaker",
        "AI and Machine Learning",
        "Machine Learning",
        "Notebk:ml.t3.medium",
        "RunInstance:0006",
        "Hrs",
        "0.05",
        "NotebookInstance",
    ),
    "AWS WAF": _s("awswaf", "Networking", "Network Security", "WebACL", "WebACL", "WebACL", "5.00", "WebACL"),
    "Amazon Elastic File System": _s(
        "AmazonEFS", "Storage", "File Storage", "TimedStorage-ByteHrs", "Storage", "GB-Mo", "0.30", "FileSystem"
    ),
    "AWS Backup": _s(
        "AWSBackup", "Storage", "Backup Storage", "WarmStorage-ByteHrs-EFS", "Storage", "GB-Mo", "0.05", "BackupVault"
    ),
    "Amazon GuardDuty": _s(
        "AmazonGuardDuty",
        "Security",
        "Threat Detection and Response",
        "PaidEventsAnalyzed",
        "CloudTrailEvents",
        "Events",
        "0.000004",
        "Detector",
    ),
    "AWS Config": _s(
        "AWSConfig",
        "Management and Governance",
        "Compliance",
        "ConfigurationItemRecorded",
        "RecordConfigurationItem",
        "ConfigurationItem",
        "0.003",
    ),
    "AWS CloudTrail": _s(
        "AWSCloudTrail",
        "Management and Governance",
        "Compliance",
        "PaidEventsRecorded",
        "ManagementEvents",
        "Events",
        "0.00002",
        "Trail",
    ),
    "AWS X-Ray": _s(
        "AWSXRay", "Developer Tools", "Other (Developer Tools)", "XRay-TracesStored", "PutTraceSegments", "Traces", "0.000005"
    ),
    "Amazon EventBridge": _s(
        "AWSEvents", "Integration", "Messaging", "Event-64K-Chunks", "PutEvents", "Events", "0.000001", "EventBus"
    ),
    "AWS Systems Manager": _s(
        "AWSSystemsManager",
        "Management and Governance",
        "Other (Management and Governance)",
        "APIRequest",
        "GetParameters",
        "Requests",
        "0.00005",
    ),
    "AWS Support (Business)": _s("AWSSupportBusiness", "Management and Governance", "Support", "Dollar", None, None, None),
    "AWS Support (Developer)": _s("AWSDeveloperSupport", "Management and Governance", "Support", "Dollar", None, None, None),
    "Savings Plans for AWS Compute usage": _s("ComputeSavingsPlans", "Compute", "Other (Compute)", None, None, None, None),
    "Datadog Pro (AWS Marketplace)": _s(
        "prod-3m7szzy2mgz6w", "Management and Governance", "Observability", "USE1-MP:Subscription", "Subscribe", None, None
    ),
    "AWS Solution Provider Program Discount": _s("AWSSolutionProviderProgram", "Other", "Other (Other)", None, None, None, None),
    "Tax": _s("", "Other", "Other (Other)", None, None, None, None),
}
MARKETPLACE_PUBLISHERS = {"Datadog Pro (AWS Marketplace)": "Datadog, Inc."}
REGION_NAMES = {
    "us-east-1": "US East (N. Virginia)",
    "us-east-2": "US East (Ohio)",
    "us-west-2": "US West (Oregon)",
    "eu-west-1": "Europe (Ireland)",
    "eu-central-1": "Europe (Frankfurt)",
}
EC2_HOURLY = {
    "BoxUsage:m5.xlarge": Decimal("0.192"),
    "BoxUsage:c5.2xlarge": Decimal("0.34"),
    "EU-BoxUsage:m5.large": Decimal("0.107"),
    "BoxUsage:p3.2xlarge": Decimal("3.06"),
}
# Usage rows of this service write ChargeFrequency "Usage-based": the case variant real exports carry.
LOWER_CASE_FREQUENCY_SERVICE = "AWS Lambda"


def _digest(*parts: Any) -> str:
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()


def _text(value: Decimal | None) -> str | None:
    if value is None:
        return None
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def service_of(name: str) -> Service:
    return SERVICES.get(name) or Service(
        re.sub(r"[^A-Za-z0-9]", "", name)[:32] or "Unknown", "Other", "Other (Other)", None, None, None, None
    )


def canonical_lines(
    rows: Iterable[Any], account_names: Mapping[str, str], discounts: Mapping[str, Decimal], invoiced_before: date
) -> list[dict[str, Any]]:
    """Every Cost Explorer row as one charge line carrying what FOCUS and CUR 2.0 write for it.

    Amounts are decimal text at full precision; `hourly` lines are split into 24 hourly rows when
    written (EC2 instance hours, as an hourly export bills them). `invoiced_before`: billing periods
    before it have an invoice id; the open one has none (NULL)."""
    lines = []
    for row in rows:
        record_type = row.record_type
        charge = CHARGES.get(record_type) or CHARGES["Usage"]
        service = service_of(row.service)
        account = row.account_id
        discount = Decimal(discounts.get(account, 0))
        amount = Decimal(row.amount)
        monthly = record_type in MONTHLY
        start = month_start(row.date) if monthly else row.date
        end = next_month(row.date) if monthly else row.date + timedelta(days=1)
        usage_type = None if row.usage_type == "NoUsageType" else row.usage_type
        region = None if row.region in ("global", "NoRegion", "") else row.region
        line: dict[str, Any] = {
            "day": row.date.isoformat(),
            "start": start.isoformat(),
            "end": end.isoformat(),
            "billing_period": month_start(row.date).isoformat(),
            "billing_period_end": next_month(row.date).isoformat(),
            "hourly": record_type == "Usage" and row.service == EC2,
            "account": account,
            "account_name": account_names.get(account),
            "payer": PAYER_ACCOUNT,
            "payer_name": PAYER_NAME,
            "currency": row.currency,
            "record_type": record_type,
            "service": row.service,
            "service_code": service.code or None,
            "service_category": service.category,
            "service_subcategory": service.subcategory,
            "category": charge.category,
            "charge_class": charge.charge_class,
            "frequency": charge.frequency,
            "cur_type": charge.cur_type,
            "amount": _text(amount),
            "region": region,
            "region_name": REGION_NAMES.get(region) if region else None,
            "invoice_id": None
            if month_start(row.date) >= invoiced_before
            else f"{month_start(row.date):%Y%m}" + _digest(account)[:6].upper(),
            "publisher": MARKETPLACE_PUBLISHERS.get(row.service, INVOICE_ISSUER),
            "tags": dict(row.tags),
            "usage_type": None,
            "operation": None,
            "unit": None,
            "quantity": None,
            "list_unit_price": None,
            "contracted_unit_price": None,
            "list_cost": _text(amount),
            "contracted_cost": _text(amount),
            "effective_cost": _text(amount),
            "pricing_category": None,
            "availability_zone": None,
            "resource_id": None,
            "resource_type": None,
            "sku_id": None,
            "sku_price_id": None,
            "sku_meter": None,
            "commitment_id": None,
            "commitment_category": None,
            "commitment_type": None,
            "commitment_name": None,
            "instance_type": None,
            "product_family": None,
            "description": None,
            "discounts": None,
        }
        if record_type == "Usage":
            _usage(line, row, service, amount, discount, usage_type)
        elif record_type == "Refund":
            line.update(
                usage_type=service.usage_type,
                operation=service.operation,
                list_cost=_text(amount),
                description=f"Refund for {row.service} charges billed in an earlier billing period",
                product_family="Refund",
            )
        elif record_type == "Credit":
            line.update(
                list_cost="0",
                contracted_cost="0",
                description=f"AWS Promotional Credit applied to {row.service}",
                product_family="Credit",
            )
        elif record_type == "Tax":
            line.update(
                description=f"Sales tax on the {(month_start(row.date) - timedelta(days=1)):%B %Y} bill",
                product_family="Tax",
                service_code=None,
            )
        elif record_type == "Support":
            line.update(
                usage_type=service.usage_type,
                description=f"{row.service} fee for {row.date:%B %Y}",
                product_family="AWS Support",
                pricing_category="Standard",
            )
        elif record_type == "RIFee":
            ri = _digest("ri", account)[:8]
            line.update(
                usage_type="HeavyUsage:m5.xlarge",
                operation="RunInstances",
                pricing_category="Committed",
                commitment_id=f"arn:aws:ec2:us-east-1:{account}:reserved-instances/{ri}-{_digest('ri2', account)[:4]}",
                commitment_category="Usage",
                commitment_type="Reserved Instance",
                commitment_name=f"m5.xlarge RI {ri}",
                region="us-east-1",
                region_name=REGION_NAMES["us-east-1"],
                description="USD 0.131 hourly fee per Linux/UNIX (Amazon VPC), m5.xlarge instance",
                instance_type="m5.xlarge",
                product_family="Compute Instance",
                effective_cost=_text(amount),
            )
        elif record_type in ("SavingsPlanRecurringFee", "SavingsPlanUpfrontFee"):
            plan = _digest("sp", account)
            upfront = record_type == "SavingsPlanUpfrontFee"
            line.update(
                usage_type="ComputeSP:1yrAllUpfront" if upfront else "ComputeSP:1yrNoUpfront",
                operation=None,
                pricing_category="Committed",
                commitment_id=f"arn:aws:savingsplans::{account}:savingsplan/{plan[:8]}-{plan[8:12]}-{plan[12:16]}-{plan[16:20]}-{plan[20:32]}",
                commitment_category="Spend",
                commitment_type="Savings Plan",
                commitment_name="Compute Savings Plan, 1 year, " + ("All Upfront" if upfront else "No Upfront"),
                description=("Savings Plan upfront fee" if upfront else "Savings Plan recurring fee") + " (Compute)",
                product_family="Savings Plan",
                # an upfront purchase is amortised into the usage it covers: its own effective cost is 0
                effective_cost="0" if upfront else _text(amount),
            )
        elif record_type == "Fee":
            line.update(
                usage_type=service.usage_type,
                operation=service.operation,
                description=f"{row.service} monthly subscription",
                product_family="Marketplace",
            )
        elif record_type == "Solution Provider Program Discount":
            line.update(
                list_cost="0",
                contracted_cost=_text(amount),
                usage_type="SPPDiscount",
                description="AWS Solution Provider Program discount",
                product_family="Discount",
            )
        lines.append(line)
    return lines


def _usage(line: dict[str, Any], row: Any, service: Service, amount: Decimal, discount: Decimal, usage_type: str | None) -> None:
    factor = Decimal(1) - discount
    if row.service == EC2 and usage_type in EC2_HOURLY:
        contracted = EC2_HOURLY[usage_type]
        quantity = Decimal(row.usage_quantity) if row.usage_quantity else (amount / contracted).quantize(Decimal("1e-9"))
        instance = usage_type.split(":", 1)[1]
        line.update(
            unit="Hours",
            instance_type=instance,
            product_family="Compute Instance",
            availability_zone=f"{line['region']}a" if line["region"] else None,
            sku_meter="Instance Hours",
            description=f"${_text(contracted / factor)} per On Demand Linux {instance} Instance Hour",
            resource_id=f"i-0{_digest(row.account_id, usage_type)[:16]}",
            resource_type="Instance",
        )
    else:
        contracted = (service.list_price or Decimal(1)) * factor
        quantity = (amount / contracted).quantize(PLACES) if contracted else None
        line.update(
            unit=service.unit,
            product_family=service.category,
            description=f"{row.service} {service.usage_type or 'usage'}",
            resource_id=(
                f"arn:aws:{service.code.lower()}:{line['region'] or 'us-east-1'}:{row.account_id}:"
                f"{(service.resource_type or 'resource').lower()}/{_digest(row.account_id, row.service)[:10]}"
                if service.resource_type
                else None
            ),
            resource_type=service.resource_type,
        )
    list_price = (contracted / factor).quantize(PLACES)
    line.update(
        usage_type=usage_type or service.usage_type,
        operation=service.operation,
        quantity=_text(quantity),
        list_unit_price=_text(list_price),
        contracted_unit_price=_text(contracted.quantize(PLACES)),
        list_cost=_text((amount / factor).quantize(PLACES)),
        pricing_category="Standard",
        sku_id=_digest("sku", line["service_code"], usage_type or service.usage_type)[:16].upper(),
        sku_price_id=_digest("price", line["service_code"], usage_type or service.usage_type)[:16].upper() + ".JRTCKXETXF",
        discounts={"private_rate_discount": _text(-((amount / factor).quantize(PLACES) - amount))} if discount else None,
    )
    if row.service == LOWER_CASE_FREQUENCY_SERVICE:
        line["frequency"] = "Usage-based"


# ---- back to Cost Explorer rows --------------------------------------------------------------------------


def record_type_of_focus(
    category: str | None, charge_class: str | None, frequency: str | None, service_code: str | None, commitment_type: str | None
) -> str:
    """The Cost Explorer RECORD_TYPE of a FOCUS line (the table above, read right to left)."""
    category = (category or "").strip().lower()
    if (charge_class or "").strip().lower() == "correction":
        return "Refund"
    if category == "usage":
        return "Usage"
    if category == "credit":
        return "Credit"
    if category == "tax":
        return "Tax"
    if category == "adjustment":
        return "Solution Provider Program Discount"
    if category == "purchase":
        code = (service_code or "").lower()
        kind = (commitment_type or "").lower()
        if "support" in code:
            return "Support"
        if "reserv" in kind:
            return "RIFee"
        if "savings" in kind:
            return "SavingsPlanUpfrontFee" if (frequency or "").lower() == "one-time" else "SavingsPlanRecurringFee"
        return "Fee"
    return "Usage"


def record_type_of_cur(line_item_type: str | None, product_code: str | None) -> str:
    kind = (line_item_type or "").strip()
    if kind == "Fee" and "support" in (product_code or "").lower():
        return "Support"
    if kind in ("DiscountedUsage", "SavingsPlanCoveredUsage"):
        return "Usage"
    if kind == "SppDiscount":
        return "Solution Provider Program Discount"
    return kind or "Usage"

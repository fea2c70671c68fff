"""The one table of AWS unit prices the bill of a run is computed with (`python -m bench.cost`).

Public on-demand list prices, region us-east-1, USD, checked 2026-11 on the services' pricing
pages (aws.amazon.com/<service>/pricing). Free tiers are left out: the bill is what the run adds
at scale. Change a price here and every figure follows.

| line                       | unit                                  | price (USD)    |
|----------------------------|---------------------------------------|----------------|
| Cost Explorer API          | request (every page is one)           | 0.01           |
| Step Functions Standard    | state transition (each retry is one)  | 0.000025       |
| Lambda requests            | invocation                            | 0.0000002      |
| Lambda duration (x86_64)   | GB-second                             | 0.0000166667   |
| SES outbound               | email (each recipient counts)         | 0.0001         |
| S3 Standard PUT/COPY/LIST  | request                               | 0.000005       |
| S3 Standard GET            | request                               | 0.0000004      |
| DynamoDB on-demand write   | write request unit (1 KB item)        | 0.000000625    |
| DynamoDB on-demand read    | read request unit (4 KB, consistent)  | 0.000000125    |
| SNS publish                | request                               | 0.0000005      |
| SQS standard queue         | request (send, receive, delete)       | 0.0000004      |
| Secrets Manager API        | request (GetSecretValue)              | 0.000005       |
| STS AssumeRole             | request                               | 0 (no charge)  |
| Athena (SQL queries)       | TB scanned (per query: rounded up to  | 5.00           |
|                            | a MB, 10 MB minimum)                  |                |

Not in the bill (not per run, or not measurable locally): storage (S3 GB-month, DynamoDB GB-month),
CloudWatch Logs ingestion and custom metrics, data transfer, SES attachment data ($0.12 per GB).
"""

from __future__ import annotations

from typing import NamedTuple


class UnitPrice(NamedTuple):
    usd: float
    unit: str


PRICES: dict[str, UnitPrice] = {
    "ce": UnitPrice(0.01, "request"),
    "states": UnitPrice(0.025 / 1000, "state transition"),
    "lambda requests": UnitPrice(0.20 / 1_000_000, "invocation"),
    "lambda duration": UnitPrice(0.0000166667, "GB-second"),
    "ses": UnitPrice(0.10 / 1000, "email"),
    "s3 put": UnitPrice(0.005 / 1000, "request"),
    "s3 get": UnitPrice(0.0004 / 1000, "request"),
    "dynamodb write": UnitPrice(0.625 / 1_000_000, "write request unit"),
    "dynamodb read": UnitPrice(0.125 / 1_000_000, "read request unit"),
    "sns": UnitPrice(0.50 / 1_000_000, "request"),
    "sqs": UnitPrice(0.40 / 1_000_000, "request"),
    "secretsmanager": UnitPrice(0.05 / 10_000, "request"),
    "sts": UnitPrice(0.0, "request"),
    "athena": UnitPrice(5.0 / 1024**4, "byte scanned (billed)"),  # $5 per TB (2^40 bytes, as AWS bills)
}
ATHENA_MINIMUM_BYTES = 10 * 1024 * 1024  # each query is billed at least 10 MB
ATHENA_ROUNDING_BYTES = 1024 * 1024  # and rounded up to the next megabyte


def athena_billed_bytes(scanned: int) -> int:
    """What Athena bills for one query that scanned `scanned` bytes."""
    return max(ATHENA_MINIMUM_BYTES, -(-int(scanned) // ATHENA_ROUNDING_BYTES) * ATHENA_ROUNDING_BYTES)

"""Cost Explorer queries: both periods in one request, every page followed, only the client's accounts.

Cost Explorer is billed per request ($0.01, every page counts), so one GetCostAndUsage covers the
comparison and current periods together and is split by bucket date afterwards.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from chalicelib.core import aws
from chalicelib.core.constants import CE_REGION, ROLE_SESSION_PREFIX
from chalicelib.core.errors import AuthorizationError, DataValidationError, classify_aws_error
from chalicelib.core.models import ClientConfig
from chalicelib.reports.contracts import CostLine, RunContext

MAX_PAGES = 200  # a runaway NextPageToken loop would cost real money


def cost_request(config: ClientConfig, run: RunContext) -> dict[str, Any]:
    accounts_filter = {"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": list(config.accounts)}}
    excluded = config.record_types_excluded()
    if excluded:
        cost_filter = {"And": [accounts_filter, {"Not": {"Dimensions": {"Key": "RECORD_TYPE", "Values": excluded}}}]}
    else:
        cost_filter = accounts_filter
    return {
        "TimePeriod": {"Start": run.previous.start.isoformat(), "End": run.current.end.isoformat()},
        "Granularity": "MONTHLY" if run.report_type == "monthly" else "DAILY",
        "Metrics": [config.cost_metric],
        "GroupBy": [{"Type": "DIMENSION", "Key": "LINKED_ACCOUNT"}, {"Type": "DIMENSION", "Key": "SERVICE"}],
        "Filter": cost_filter,
    }


def ce_client_for(config: ClientConfig) -> Any:
    if not config.role_arn:
        return aws.client("ce", CE_REGION)
    try:
        reply = aws.client("sts").assume_role(
            RoleArn=config.role_arn,
            RoleSessionName=f"{ROLE_SESSION_PREFIX}{config.client_id}"[:64],
            ExternalId=config.external_id,
            DurationSeconds=900,
        )
    except Exception as exc:  # noqa: BLE001
        error = classify_aws_error(exc, f"assume payer role {config.role_arn}")
        if isinstance(error, AuthorizationError):
            raise AuthorizationError(
                f"{error} - the role's trust policy must allow this account with sts:ExternalId "
                f"equal to the client's external_id"
            ) from exc
        raise error from exc
    return aws.client_with_credentials("ce", reply["Credentials"], CE_REGION)


def fetch_costs(config: ClientConfig, run: RunContext) -> tuple[list[CostLine], str, bool, int]:
    """(lines, currency, estimated, requests made) for the client's accounts over both periods."""
    ce = ce_client_for(config)
    request = cost_request(config, run)
    metric = config.cost_metric
    allowed = set(config.accounts)
    sums: dict[tuple[str, str], list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    currencies: set[str] = set()
    estimated = False
    requests = 0
    token: str | None = None
    while True:
        if requests >= MAX_PAGES:
            raise DataValidationError(f"Cost Explorer returned more than {MAX_PAGES} pages; refusing to continue")
        try:
            page = ce.get_cost_and_usage(**request, **({"NextPageToken": token} if token else {}))
        except Exception as exc:  # noqa: BLE001
            raise classify_aws_error(exc, "Cost Explorer GetCostAndUsage") from exc
        requests += 1
        for bucket in page.get("ResultsByTime", []):
            bucket_start = date.fromisoformat(bucket["TimePeriod"]["Start"])
            slot = 1 if bucket_start >= run.current.start else 0
            estimated = estimated or (slot == 1 and bool(bucket.get("Estimated")))
            for group in bucket.get("Groups", []):
                account, service = group["Keys"][0], group["Keys"][1]
                if account not in allowed:
                    # Never let another tenant's account into this client's data, whatever CE answers.
                    raise DataValidationError(f"Cost Explorer returned account {account} outside the client's accounts")
                amount, unit = _amount(group["Metrics"], metric)
                currencies.add(unit)
                sums[(account, service)][slot] += amount
        token = page.get("NextPageToken")
        if not token:
            break
    if len(currencies) > 1:
        raise DataValidationError(f"costs are in several currencies ({', '.join(sorted(currencies))})")
    lines = [
        CostLine(account_id=account, service=service, current_amount=values[1], previous_amount=values[0])
        for (account, service), values in sorted(sums.items())
    ]
    return lines, (currencies.pop() if currencies else "USD"), estimated, requests


def _amount(metrics: dict[str, Any], metric: str) -> tuple[Decimal, str]:
    try:
        value = metrics[metric]
        amount = Decimal(str(value["Amount"]))
    except (KeyError, InvalidOperation, TypeError) as exc:
        raise DataValidationError(f"Cost Explorer group without a valid {metric} amount: {metrics!r:.200}") from exc
    if not amount.is_finite():
        raise DataValidationError(f"Cost Explorer returned a non-finite {metric} amount")
    return amount, str(value.get("Unit") or "USD")

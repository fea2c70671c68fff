"""Cost Explorer as the deployment or as the client's payer role, every page followed and counted."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal, InvalidOperation
from typing import Any

from chalicelib.core import aws
from chalicelib.core.constants import CE_REGION, ROLE_SESSION_PREFIX
from chalicelib.core.errors import AuthorizationError, DataValidationError, classify_aws_error
from chalicelib.core.models import ClientConfig

MAX_PAGES = 200  # a runaway NextPageToken loop would cost real money
# Larger than any real bill; keeps every figure derived from an amount within Decimal's 28 digits.
MAX_AMOUNT = Decimal("1e15")


def ce_client_for(config: ClientConfig, credentials: dict[str, str] | None = None) -> Any:
    """Cost Explorer as the deployment, or as the client's payer role (credentials from payer_credentials)."""
    if not config.role_arn:
        return aws.client("ce", CE_REGION)
    return aws.client_with_credentials("ce", credentials or payer_credentials(config), CE_REGION)


def payer_credentials(config: ClientConfig) -> dict[str, str] | None:
    """The payer role's temporary credentials (None without a role): one AssumeRole serves every call."""
    if not config.role_arn:
        return None
    try:
        reply = aws.client("sts").assume_role(
            RoleArn=config.role_arn,
            RoleSessionName=f"{ROLE_SESSION_PREFIX}{config.client_id}"[:64],
            ExternalId=config.external_id,
            DurationSeconds=900,
        )
    except Exception as exc:
        error = classify_aws_error(exc, f"assume payer role {config.role_arn}")
        if isinstance(error, AuthorizationError):
            raise AuthorizationError(
                f"{error} - the role's trust policy must allow this account with sts:ExternalId "
                f"equal to the client's external_id"
            ) from exc
        raise error from exc
    return reply["Credentials"]


def pages(ce: Any, request: dict[str, Any], max_pages: int = MAX_PAGES) -> Iterator[dict[str, Any]]:
    """Every page of a GetCostAndUsage (each one a billed request), at most `max_pages`."""
    token: str | None = None
    for _ in range(max_pages):
        try:
            page = ce.get_cost_and_usage(**request, **({"NextPageToken": token} if token else {}))
        except Exception as exc:
            raise classify_aws_error(exc, "Cost Explorer GetCostAndUsage") from exc
        yield page
        token = page.get("NextPageToken")
        if not token:
            return
    raise DataValidationError(f"Cost Explorer returned more than {max_pages} pages; refusing to continue")


def amount_of(metrics: dict[str, Any], metric: str, where: str | Callable[[], str] = "") -> tuple[Decimal, str]:
    """A group's amount and currency, refused when missing, non-finite or beyond any real bill. `where`
    (or the function that says it: built only for an error, not for each of a page's groups) names the group."""
    try:
        value = metrics[metric]
        amount = Decimal(str(value["Amount"]))
    except (KeyError, InvalidOperation, TypeError) as exc:
        raise DataValidationError(f"Cost Explorer group without a valid {metric} amount: {metrics!r:.200}") from exc
    if not amount.is_finite():
        raise DataValidationError(f"Cost Explorer returned a non-finite {metric} amount")
    if abs(amount) >= MAX_AMOUNT:
        where = where() if callable(where) else where
        raise DataValidationError(f"Cost Explorer amount {amount} {where} is too large to report (the limit is "
                                  f"{MAX_AMOUNT:,.0f}): check the cost data")
    return amount, str(value.get("Unit") or "USD")

"""Once per crossing: a threshold alerts once per (client, budget, period, threshold).

  BUDGET#<client_id> / <budget key>#<period start>#<threshold key>  -> notification id, claimed at

Each newly crossed threshold is claimed with a conditional put carrying the id of the notification
that announces it. A rerun, a retry or the next day finds the claim and leaves the threshold out;
only a repeat of the very attempt that made the claim (same notification id: a retry after a crash
between the claim and the enqueue) keeps it, so that notification is still sent, once. A new period
has a new key: its thresholds are armed again. A changed amount is a new budget key, armed too.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from chalicelib.core import aws
from chalicelib.core.constants import PK_BUDGET_PREFIX
from chalicelib.core.errors import classify_aws_error
from chalicelib.core.models import BudgetThreshold
from chalicelib.notify.ledger import utcnow
from chalicelib.core.settings import get_settings

RETENTION_DAYS = 400  # longer than a yearly budget's period


def crossing_key(client_id: str, budget_key: str, period_start: str, threshold: BudgetThreshold) -> dict[str, str]:
    return {"pk": f"{PK_BUDGET_PREFIX}{client_id}", "sk": f"{budget_key}#{period_start}#{threshold.key}"}


def claim(client_id: str, budget_key: str, period_start: str, thresholds: list[BudgetThreshold],
          notification_id: str) -> list[BudgetThreshold]:
    """The thresholds this notification announces: newly claimed, or claimed earlier by this same id."""
    table = aws.dynamodb_table(get_settings().table_name)
    now = utcnow()
    mine = []
    for threshold in thresholds:
        key = crossing_key(client_id, budget_key, period_start, threshold)
        item: dict[str, Any] = {**key, "notification_id": notification_id, "claimed_at": now.isoformat(),
                                "expiration": int((now + timedelta(days=RETENTION_DAYS)).timestamp())}
        try:
            table.put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")
            mine.append(threshold)
            continue
        except Exception as exc:  # noqa: BLE001
            if "ConditionalCheckFailed" not in str(exc) and "ConditionalCheckFailed" not in type(exc).__name__:
                raise classify_aws_error(exc, "claim budget crossing") from exc
        try:
            existing = table.get_item(Key=key, ConsistentRead=True).get("Item") or {}
        except Exception as exc:  # noqa: BLE001
            raise classify_aws_error(exc, "read budget crossing") from exc
        if existing.get("notification_id") == notification_id:
            mine.append(threshold)
    return mine

"""CloudWatch log groups with the description's retention (functions' and state machines')."""

from __future__ import annotations

from typing import Any

from infra.kinds.base import Context
from infra.naming import Naming


def ensure(ctx: Context, name: str) -> None:
    logs = ctx.client("logs")
    days = ctx.stage.description.log_retention_days
    groups = logs.describe_log_groups(logGroupNamePrefix=name).get("logGroups", [])
    group = next((g for g in groups if g["logGroupName"] == name), None)
    created, changes = False, []
    if group is None:
        logs.create_log_group(logGroupName=name, tags=ctx.tags())
        created = True
    if group is None or group.get("retentionInDays") != days:
        logs.put_retention_policy(logGroupName=name, retentionInDays=days)
        changes.append(f"retention {days} days")
    ctx.report.record(f"log group {name}", created, changes)


def delete(ctx: Context, name: str) -> None:
    logs = ctx.client("logs")
    ctx.delete(f"log group {name}", lambda: logs.delete_log_group(logGroupName=name), None, ("ResourceNotFoundException",))


def cloudformation(logical_id: str, n: Naming, name_key: str, days: int) -> dict[str, Any]:
    return {logical_id: {"Type": "AWS::Logs::LogGroup",
                         "Properties": {"LogGroupName": n.value(name_key), "RetentionInDays": days}}}

"""CloudWatch alarms of monitoring.py; an alarm with the stage's prefix that the description no
longer defines is deleted."""

from __future__ import annotations

from typing import Any

from infra import monitoring
from infra.kinds.base import Context, same
from infra.naming import Naming
from infra.stage import Stage


def _existing(ctx: Context) -> list[dict[str, Any]]:
    cw = ctx.client("cloudwatch")
    found: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"AlarmNamePrefix": f"{ctx.stage.prefix}-", "AlarmTypes": ["MetricAlarm"]}
    while True:
        page = cw.describe_alarms(**kwargs)
        found += page.get("MetricAlarms", [])
        if not page.get("NextToken"):
            return found
        kwargs["NextToken"] = page["NextToken"]


def ensure(ctx: Context) -> None:
    cw = ctx.client("cloudwatch")
    existing = {a["AlarmName"]: a for a in _existing(ctx)}
    for spec in monitoring.alarms(ctx.stage, ctx.naming).values():
        actual = existing.pop(spec["AlarmName"], None)
        if actual is not None and same(spec, actual):
            ctx.report.add(f"alarm {spec['AlarmName']}", "unchanged")
            continue
        cw.put_metric_alarm(**spec, Tags=ctx.tag_list())
        ctx.report.add(f"alarm {spec['AlarmName']}", "created" if actual is None else "updated")
    for name in existing:  # an alarm the description no longer defines (renamed or removed)
        cw.delete_alarms(AlarmNames=[name])
        ctx.report.add(f"alarm {name}", "deleted", "no longer defined")


def delete(ctx: Context) -> None:
    names = [a["AlarmName"] for a in _existing(ctx)]
    if names:
        ctx.client("cloudwatch").delete_alarms(AlarmNames=names)
    ctx.report.add(f"{len(names)} alarms {ctx.stage.prefix}-*", "deleted" if names else "absent")


def cloudformation(stage: Stage, n: Naming) -> dict[str, Any]:
    return {logical: {"Type": "AWS::CloudWatch::Alarm", "Properties": properties}
            for logical, properties in monitoring.alarms(stage, n).items()}

"""The stage's CloudWatch dashboard (monitoring.py)."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from infra import monitoring
from infra.kinds.base import Context, code
from infra.naming import Naming
from infra.stage import Stage

MISSING = ("ResourceNotFound", "ResourceNotFoundException", "DashboardNotFoundError")


def ensure(ctx: Context) -> None:
    cw = ctx.client("cloudwatch")
    spec = monitoring.dashboard(ctx.stage, ctx.naming)
    try:
        actual = json.loads(cw.get_dashboard(DashboardName=spec["DashboardName"])["DashboardBody"])
    except ClientError as exc:
        if code(exc) not in MISSING:
            raise
        actual = None
    if actual == json.loads(spec["DashboardBody"]):
        ctx.report.add(f"dashboard {spec['DashboardName']}", "unchanged")
        return
    cw.put_dashboard(**spec)
    ctx.report.add(f"dashboard {spec['DashboardName']}", "created" if actual is None else "updated")


def delete(ctx: Context) -> None:
    name = ctx.stage.dashboard_name
    try:
        ctx.client("cloudwatch").delete_dashboards(DashboardNames=[name])
        ctx.report.add(f"dashboard {name}", "deleted")
    except ClientError as exc:
        if code(exc) not in MISSING:
            raise
        ctx.report.add(f"dashboard {name}", "absent")


def cloudformation(stage: Stage, n: Naming) -> dict[str, Any]:
    return {"Dashboard": {"Type": "AWS::CloudWatch::Dashboard", "Properties": monitoring.dashboard(stage, n)}}

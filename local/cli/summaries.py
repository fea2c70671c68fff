"""`python -m local summaries`: print the stored period summaries of the AWS this process points at.

AWS_ENDPOINT_URL of a running `python -m local serve`, or a deployed stage (credentials and
TABLE_NAME of that stage). Items are read by key (chalicelib/metrics/store.py): the tenant index,
then one Query per tenant; nothing is scanned.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from chalicelib.core.constants import ENV_TABLE_NAME

HELP = ("print the stored run summaries of the AWS this points at "
        "(AWS_ENDPOINT_URL of `local serve`, or a deployed stage)")
EXAMPLES = (
    "AWS_ENDPOINT_URL=http://127.0.0.1:4566 python -m local summaries --period weekly",
    "AWS_ENDPOINT_URL=http://127.0.0.1:4566 python -m local summaries --client-id acme-retail --json",
)


def add_arguments(summaries: argparse.ArgumentParser) -> None:
    summaries.add_argument("--period", choices=("daily", "weekly", "monthly", "yearly"), default=None,
                           help="one kind of period (default: all)")
    summaries.add_argument("--client-id", default=None, help="one client's summaries (* for the deployment's)")
    summaries.add_argument("--json", action="store_true", help="a JSON list of summary objects")
    summaries.add_argument("--table", default=None, help="table name (default: TABLE_NAME, else the local stage's)")


def read_summaries(period_type: str | None = None, client_id: str | None = None) -> list[dict[str, Any]]:
    """Summary views (chalicelib.metrics.aggregation.summary_view), deployment first, then by tenant and period."""
    from chalicelib.metrics import store
    from chalicelib.metrics.aggregation import summary_view

    tenants = [client_id] if client_id else store.summary_tenants()
    return in_order([summary_view(item) for tenant in tenants for item in store.summaries(tenant, period_type)])


def in_order(views: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Deployment first, then by tenant, period type and start."""
    order = {"daily": 0, "weekly": 1, "monthly": 2, "yearly": 3}
    return sorted(views, key=lambda v: (v["tenant"] != "*", v["tenant"], order[v["period_type"]], v["period_start"]))


def command(args: argparse.Namespace) -> int:
    from botocore.exceptions import BotoCoreError, ClientError

    from chalicelib.core.caches import reset_all
    from chalicelib.core.errors import CostReportError

    if args.table:
        os.environ[ENV_TABLE_NAME] = args.table
    elif not os.environ.get(ENV_TABLE_NAME):
        from infra.stage import load_stage

        os.environ[ENV_TABLE_NAME] = load_stage("local").table_name("reports")  # what `local serve` deploys
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    endpoint = os.environ.get("AWS_ENDPOINT_URL", "")
    if endpoint.startswith(("http://127.0.0.1", "http://localhost")) and not os.environ.get("AWS_ACCESS_KEY_ID"):
        # `local serve` accepts any credentials; boto3 still wants some
        os.environ.update({"AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"})
    reset_all()
    try:
        views = read_summaries(args.period, args.client_id)
    except (CostReportError, BotoCoreError, ClientError) as exc:
        print(f"error: reading summaries from table {os.environ[ENV_TABLE_NAME]}: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(views, indent=2, default=str))
    else:
        print_summaries(views)
    return 0


def print_summaries(views: list[dict[str, Any]]) -> None:
    if not views:
        print("no summaries stored (the aggregation runs daily at 02:00 UTC; start it by hand or with a backfill)")
        return
    # Spend per report type: a weekly and a daily report over the same days are two views of one
    # spend, so their totals are never added together.
    header = (f"{'tenant':<24} {'period':<8} {'start':<10} {'runs':>5} {'deliv':>6} {'skip':>5} {'fail':>5} "
              f"{'emails':>6} {'CE req':>6} {'client p50/p95/max s':>22}  spend by report type")
    print(header)
    print("-" * len(header))
    for view in views:
        durations = view["client_duration"]
        timing = "-" if not durations["count"] else \
            f"{durations['p50_seconds']:g}/{durations['p95_seconds']:g}/{durations['max_seconds']:g}"
        print(f"{view['tenant'][:24]:<24} {view['period_type']:<8} {view['period_start']:<10} {view['runs']:>5} "
              f"{view['clients_delivered']:>6} {view['clients_skipped']:>5} {view['clients_failed']:>5} "
              f"{view['emails_sent']:>6} {view['ce_requests']:>6} {timing:>22}  {spend_by_type(view)}")


def spend_by_type(view: dict[str, Any]) -> str:
    """`daily 210.75, weekly 1,200.00` (`-` when nothing was reported)."""
    spends = view.get("spend_by_report_type") or {}
    return ", ".join(f"{kind} {spend:,.2f}" for kind, spend in spends.items()) or "-"

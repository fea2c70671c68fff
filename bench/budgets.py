"""Benchmark: the daily budget check of N synthetic clients (real ASL on moto's engine, stages in process),
then the notification queue drained.

python -m bench.budgets [--clients 1000] [--concurrency 40] [--as-of 2026-11-22]

Every client gets a monthly budget of its November spend to date divided by a factor between 0.6 and
1.4, so most cross a threshold (80% actual and/or 100% forecast) and get one notification by
email. Prints the check's wall time and clients/s, Cost Explorer requests per client (one
GetCostAndUsage + one GetCostForecast per budget period), notifications queued and the time to drain
them through the SQS consumer (polled while the check runs), and the CPU split between moto's engine and our stages.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import time
from collections import defaultdict
from datetime import date
from decimal import Decimal


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=40)
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 11, 22))
    args = parser.parse_args()
    if not 1 <= args.clients <= 5000:
        parser.error("--clients must be between 1 and 5000")

    from bench.common import quiet_local_aws, timed_execution
    from local.aws.cost_explorer.data import CostData
    from local.samples.make_samples import synthetic_clients

    os.environ["POWERTOOLS_LOG_LEVEL"] = "ERROR"
    build_started = time.perf_counter()
    clients, rows = synthetic_clients(args.clients, seed=42, start=date(2026, 10, 1), end=args.as_of)
    month_start = args.as_of.replace(day=1)
    spent: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        if row.date >= month_start:
            spent[row.account_id] += row.amount
    rng = random.Random(11)
    for config in clients:
        to_date = sum((spent[a] for a in config["accounts"]), Decimal(0))
        config["budgets"] = [{"amount": str((to_date / Decimal(str(rng.uniform(0.6, 1.4)))).quantize(Decimal("0.01"))),
                              "period": "monthly"}]
    costs = CostData.from_rows(rows)
    build_seconds = time.perf_counter() - build_started

    with tempfile.TemporaryDirectory() as out, quiet_local_aws(out, costs, clients, args.concurrency) as aws:
        arn = aws.notify.start_budget_check({"as_of": args.as_of.isoformat()}, f"bench-budget-{args.as_of}")
        described, wall, process_cpu = timed_execution(aws, arn)
        stage_cpu = dict(aws.bridge.cpu_seconds)
        invocations = dict(aws.bridge.invocations)
        summary = json.loads(described.get("output") or "{}")
        ce_requests = aws.cost_explorer.requests
        drain_started = time.perf_counter()
        drained = aws.notify.drain(timeout=1800)
        drain_seconds = time.perf_counter() - drain_started
        emails = len(aws.outbox.notifications)

    checked = summary.get("checked", 0)
    stage_cpu_total = sum(stage_cpu.values())
    print(f"clients: {args.clients} (data: {len(rows):,} cost rows, built in {build_seconds:.1f} s)")
    print(f"budget check: {described['status']} in {wall:.1f} s -> {checked / wall:.1f} clients/s "
          f"(checked {checked}, skipped {summary.get('skipped')}, failed {summary.get('failed')}; "
          f"MaxConcurrency {args.concurrency}, {os.cpu_count()} cores)")
    print(f"Cost Explorer requests: {ce_requests} -> {ce_requests / max(checked, 1):.2f} per client")
    # The local SQS poller consumes the queue while the check runs (as Lambda would): the drain is what is left.
    print(f"notifications: {summary.get('notifications_queued')} queued -> {emails} emails sent; queue empty "
          f"{drain_seconds:.1f} s after the check ({drained['failed']} failed receives)")
    print(f"CPU: process {process_cpu:.1f} s = {process_cpu / max(checked, 1) * 1000:.1f} ms per client; stages "
          f"{stage_cpu_total:.1f} s = {stage_cpu_total / max(process_cpu, 1e-9):.0%}, engine "
          f"{1 - stage_cpu_total / max(process_cpu, 1e-9):.0%}")
    for name in sorted(stage_cpu, key=stage_cpu.get, reverse=True):
        print(f"  {name:16} {invocations[name]:6d} calls  {stage_cpu[name] / max(invocations[name], 1) * 1000:6.1f} ms CPU/call")
    print(f"ratio: the check of {args.clients} clients took {wall / 3600:.2%} of an hour")


if __name__ == "__main__":
    main()

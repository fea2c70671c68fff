"""Benchmark: N synthetic clients through the local run (real ASL on moto's engine, stages in process).

python -m bench.pipeline [--clients 1000] [--concurrency 40] [--report-type weekly]

Prints clients/s, Cost Explorer requests per client and how CPU time splits between the engine
(moto's interpreter, its threads and polling) and our stages (CPU time of the threads inside the
Chalice handlers, including the emulated AWS calls they make). CPU time, not wall time: with the
GIL, concurrent branches mostly wait for each other, and that wait is nobody's work.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from datetime import date


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=40)
    parser.add_argument("--report-type", default="weekly", choices=("daily", "weekly", "monthly"))
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 11, 18))
    args = parser.parse_args()

    from local.cost_explorer import CostData
    from bench.common import quiet_local_aws, timed_execution
    from local.samples.make_samples import synthetic_clients

    os.environ["POWERTOOLS_LOG_LEVEL"] = "ERROR"
    build_started = time.perf_counter()
    clients, rows = synthetic_clients(args.clients, seed=42, start=date(2026, 8, 1), end=args.as_of)
    costs = CostData.from_rows(rows)
    build_seconds = time.perf_counter() - build_started

    with tempfile.TemporaryDirectory() as out, quiet_local_aws(out, costs, clients, args.concurrency) as aws:
        arn = aws.start({"report_type": args.report_type, "as_of": args.as_of.isoformat()})
        described, wall, process_cpu = timed_execution(aws, arn)
        stage_cpu = dict(aws.bridge.cpu_seconds)
        summary = json.loads(described.get("output") or "{}")
        stage_seconds = dict(aws.bridge.seconds)
        invocations = dict(aws.bridge.invocations)
        ce_requests = aws.cost_explorer.requests
        emails = len(aws.outbox.sent)

    processed = summary.get("clients_total", 0)
    stage_cpu_total = sum(stage_cpu.values())
    print(f"clients: {args.clients} (data: {len(rows):,} cost rows, built in {build_seconds:.1f} s)")
    print(f"execution: {described['status']} in {wall:.1f} s -> {processed / wall:.1f} clients/s "
          f"(MaxConcurrency {args.concurrency}, {os.cpu_count()} cores)")
    print(f"delivered {summary.get('delivered')} / skipped {summary.get('skipped')} / failed {summary.get('failed')}; "
          f"emails {emails}")
    print(f"Cost Explorer requests: {ce_requests} -> {ce_requests / max(processed, 1):.2f} per client")
    print(f"CPU: process {process_cpu:.1f} s = {process_cpu / max(processed, 1) * 1000:.1f} ms per client")
    print(f"  stages (our handlers and the emulated AWS calls they make): {stage_cpu_total:.1f} s "
          f"= {stage_cpu_total / max(process_cpu, 1e-9):.0%}")
    print(f"  engine (moto's ASL interpreter, its threads, our polling): {process_cpu - stage_cpu_total:.1f} s "
          f"= {1 - stage_cpu_total / max(process_cpu, 1e-9):.0%}")
    for name in sorted(stage_cpu, key=stage_cpu.get, reverse=True):
        print(f"  {name:16} {invocations[name]:6d} calls  {stage_cpu[name] / max(invocations[name], 1) * 1000:6.1f} ms CPU/call  "
              f"{stage_seconds[name] / max(invocations[name], 1) * 1000:7.1f} ms wall/call")
    print(f"ratios: {processed / wall / 20:.2f}x the 20 clients/s aim; "
          f"{ce_requests / max(processed, 1):.2f} CE requests per client (aim: 1; 2 when the periods hold a 1st "
          f"of a month: credits, refunds and monthly charges are then fetched apart)")

if __name__ == "__main__":
    main()

"""Benchmark: N synthetic clients through the local run (real ASL on moto's engine, stages in process).

python -m bench.pipeline [--clients 1000] [--concurrency 40] [--report-type weekly]

Prints clients/s, Cost Explorer requests per client and how wall time splits between the
engine (moto's interpreter, its threads and polling) and our stages (time inside the Chalice
handlers). Stage time is summed over concurrent branches, so it is shown per client too.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from datetime import date
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=40)
    parser.add_argument("--report-type", default="weekly", choices=("daily", "weekly", "monthly"))
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 11, 18))
    args = parser.parse_args()

    from local.cost_explorer import CostData
    from local.runtime import LocalAWS
    from local.samples.make_samples import synthetic_clients

    os.environ["POWERTOOLS_LOG_LEVEL"] = "ERROR"
    build_started = time.perf_counter()
    clients, rows = synthetic_clients(args.clients, seed=42, start=date(2026, 8, 1), end=args.as_of)
    costs = CostData.from_rows(rows)
    build_seconds = time.perf_counter() - build_started

    with tempfile.TemporaryDirectory() as out, LocalAWS(
        out_dir=Path(out), costs=costs, clients=clients, retry_time_scale=0.01, max_concurrency=args.concurrency,
        env_overrides={"POWERTOOLS_LOG_LEVEL": "ERROR"},
    ) as aws:
        started = time.perf_counter()
        described = aws.wait(aws.start({"report_type": args.report_type, "as_of": args.as_of.isoformat()}), timeout=3600, poll=1.0)
        wall = time.perf_counter() - started
        summary = json.loads(described.get("output") or "{}")
        stage_seconds = dict(aws.bridge.seconds)
        invocations = dict(aws.bridge.invocations)
        ce_requests = aws.cost_explorer.requests
        emails = len(aws.outbox.sent)

    processed = summary.get("clients_total", 0)
    stage_total = sum(stage_seconds.values())
    per_client_stage = stage_total / max(processed, 1)
    print(f"clients: {args.clients} (data: {len(rows):,} cost rows, built in {build_seconds:.1f} s)")
    print(f"execution: {described['status']} in {wall:.1f} s -> {processed / wall:.1f} clients/s "
          f"(MaxConcurrency {args.concurrency}, {os.cpu_count()} cores)")
    print(f"delivered {summary.get('delivered')} / skipped {summary.get('skipped')} / failed {summary.get('failed')}; "
          f"emails {emails}")
    print(f"Cost Explorer requests: {ce_requests} -> {ce_requests / max(processed, 1):.2f} per client")
    print(f"stage time (sum over threads): {stage_total:.1f} s = {per_client_stage * 1000:.1f} ms per client")
    for name in sorted(stage_seconds, key=stage_seconds.get, reverse=True):
        print(f"  {name:16} {invocations[name]:6d} calls  {stage_seconds[name]:7.1f} s  "
              f"{stage_seconds[name] / max(invocations[name], 1) * 1000:6.1f} ms/call")
    # With the GIL, threads share one core for Python work: stage time / wall is the share of
    # wall time our code held; the rest is the engine (interpreter, history, thread hand-offs).
    share = min(stage_total / wall, 1.0) if wall else 0.0
    print(f"split: stages ~{share:.0%} of wall time, engine ~{1 - share:.0%}")
    print(f"ratios: {processed / wall / 20:.2f}x the 20 clients/s aim; "
          f"{ce_requests / max(processed, 1):.2f} CE requests per client (aim <= 1)")


if __name__ == "__main__":
    main()

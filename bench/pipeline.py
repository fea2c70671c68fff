"""Benchmark: N synthetic clients through the local run, against the engine floor, with ratios.

python -m bench.pipeline [--clients 300 1000] [--concurrency 10] [--report-type weekly]
                         [--modes floor,pipeline,progress,no-progress]

For each N it measures, in this one process (the real ASL on moto's engine, stages in process):
- floor: the same state machine shape (Plan, Eligibility writing the ids for the ItemReader, the
  Distributed Map with its four tasks per client, SummarizeRun) with no-op handlers: what the
  engine alone costs per client here;
- pipeline: the real stages, execution only (start to finish);
- progress / no-progress: whole-process `python -m local run` (set up the in-process AWS, seed the
  clients, run, write every report and summary.json) with and without the progress display.
It prints each figure beside its aim: the execution's time per client against the floor (aim
<= 2.5x), the whole process per client against the floor (aim <= 8x, wall and CPU), whole-process
clients/s (aim >= 10), each after-run phase's CPU per client, the progress display's cost (aim:
within 5%), the AWS calls per client our stages make by service, and the process's peak memory
(aim <= 600 MB at 1,000 clients). The machine is shared: figures move; ratios to the floor
measured in the same run, and CPU seconds, hold better than wall seconds.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import json
import os
import resource
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

MODES = ("floor", "pipeline", "progress", "no-progress")
AIM_FLOOR_RATIO = 8.0  # whole process per client, x the engine floor per client
AIM_CLIENTS_PER_SECOND = 10.0
AIM_PEAK_MB, AIM_PEAK_AT = 600, 1000  # peak memory at 1,000 clients


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def noop_handlers(client_ids: list[str]) -> dict[str, Any]:
    """Handlers that do nothing but what the state machine's shape needs to run: plan returns the
    run (the Map reads its max_concurrency), eligibility writes the ids the ItemReader reads."""
    import boto3

    def plan(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return {"run": {"run_id": event["execution_name"], "max_concurrency": int(os.environ["MAX_CONCURRENCY"])}}

    def eligibility(event: dict[str, Any], context: Any) -> dict[str, Any]:
        bucket, key = os.environ["BUCKET_NAME"], f"runs/{event['run']['run_id']}/eligible.json"
        items = [{"client_id": client_id, "fingerprint": "0" * 32} for client_id in client_ids]  # the Map item's shape
        boto3.client("s3").put_object(Bucket=bucket, Key=key, Body=json.dumps(items).encode())
        return {"items": {"bucket": bucket, "key": key}, "eligible": len(client_ids)}

    def noop(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return {}

    return {"plan": plan, "eligibility": eligibility, "collect_costs": noop, "render_report": noop,
            "deliver_report": noop, "record_result": noop, "summarize_run": noop}


def execution_seconds(clients: list[dict[str, Any]], costs: Any, run_input: dict[str, Any], concurrency: int,
                      overrides: dict[str, Any] | None = None) -> tuple[float, dict[str, Any], dict[str, Any]]:
    """(seconds from start to finish of one execution, its description, its measured usage)."""
    from local.aws.runtime import LocalAWS
    from local.metering import usage

    with tempfile.TemporaryDirectory() as out, LocalAWS(
        out_dir=Path(out), costs=costs, clients=clients if overrides is None else (), retry_time_scale=0.01,
        max_concurrency=concurrency, env_overrides={"POWERTOOLS_LOG_LEVEL": "ERROR"},
        handler_overrides=overrides or {},
    ) as aws:
        usage.reset(aws)
        started = time.perf_counter()
        described = aws.wait(aws.start(run_input), timeout=7200, poll=0.1)
        seconds = time.perf_counter() - started
        return seconds, described, usage.measure(aws)


def whole_process_seconds(clients: list[dict[str, Any]], costs: Any, run_input: dict[str, Any], concurrency: int,
                          progress: bool) -> tuple[float, float, dict[str, Any]]:
    """`python -m local run` in process, progress display on or off (its output discarded):
    (wall seconds, CPU seconds of this process, summary)."""
    from local.cli.run import run_locally

    os.environ["MAX_CONCURRENCY"] = str(concurrency)
    with tempfile.TemporaryDirectory() as out, contextlib.redirect_stderr(io.StringIO()):
        started, cpu_started = time.perf_counter(), time.process_time()
        summary = run_locally(clients, costs, run_input, Path(out), retry_time_scale=0.01, progress=progress)
        return time.perf_counter() - started, time.process_time() - cpu_started, summary


def _rss_mb() -> float:
    """Resident memory now (Linux /proc), MB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[300, 1000])
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--report-type", default="weekly", choices=("daily", "weekly", "monthly"))
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 11, 18))
    parser.add_argument("--modes", default=",".join(MODES), help=f"comma-separated subset of {','.join(MODES)}")
    args = parser.parse_args(argv)
    modes = [m for m in args.modes.split(",") if m]
    unknown = sorted(set(modes) - set(MODES))
    if unknown:
        parser.error(f"--modes: unknown {', '.join(unknown)} (choose from {', '.join(MODES)})")

    from local.aws.cost_explorer.data import CostData
    from local.samples.make_samples import synthetic_clients

    os.environ["POWERTOOLS_LOG_LEVEL"] = "ERROR"
    run_input = {"report_type": args.report_type, "as_of": args.as_of.isoformat()}
    print(f"{args.report_type} runs, MaxConcurrency {args.concurrency}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f} at start")
    for n in args.clients:
        built = time.perf_counter()
        # Only the days the report reads (two periods), so the data's memory does not drown the run's.
        days = 70 if args.report_type == "monthly" else 16
        clients, rows = synthetic_clients(n, seed=42, start=args.as_of - timedelta(days=days), end=args.as_of)
        costs = CostData.from_rows(rows)
        row_count = len(rows)
        del rows  # the cost data holds them
        gc.collect()  # the previous N's runs are garbage: not part of this N's peak
        print(f"\n{n:,} clients ({row_count:,} cost rows, built in {time.perf_counter() - built:.1f} s, not timed; "
              f"process memory now {_rss_mb():,.0f} MB)")
        figures: dict[str, float] = {}
        if "floor" in modes:
            cpu_started = time.process_time()
            seconds, described, _ = execution_seconds(clients, costs, run_input, args.concurrency,
                                                      noop_handlers([c["client_id"] for c in clients]))
            figures["floor"], figures["floor cpu"] = seconds, time.process_time() - cpu_started
            print(f"  engine floor (no-op handlers)    {described['status']:9} {seconds:7.1f} s  "
                  f"{seconds / n * 1000:6.1f} ms/client  CPU {figures['floor cpu'] / n * 1000:6.1f} ms/client "
                  f"(set-up included)")
        if "pipeline" in modes:
            seconds, described, used = execution_seconds(clients, costs, run_input, args.concurrency)
            figures["pipeline"] = seconds
            summary = json.loads(described.get("output") or "{}")
            ratio = f"  {seconds / figures['floor']:.2f}x the floor (aim <= 2.5x)" if "floor" in figures else ""
            print(f"  pipeline (execution only)        {described['status']:9} {seconds:7.1f} s  "
                  f"{seconds / n * 1000:6.1f} ms/client{ratio}")
            print(f"    delivered {summary.get('delivered')} / skipped {summary.get('skipped')} / "
                  f"failed {summary.get('failed')}; "
                  f"Cost Explorer requests {used['ce_requests'] / n:.2f} per client (3: costs, history, forecast; one more "
                  f"when the periods hold a 1st of a month, for credits, refunds and monthly charges; one per flagged why); "
                  f"state transitions {used['state_transitions'] / n:.1f} per client")
            print("    AWS calls per client by our stages: "
                  + ", ".join(f"{line} {count / n:.2f}" for line, count in used["stage_calls"].items()))
            print("    AWS calls per client by the engine: "
                  + ", ".join(f"{line} {count / n:.2f}" for line, count in used["engine_calls"].items()))
        for mode, progress in (("progress", True), ("no-progress", False)):
            if mode not in modes:
                continue
            gc.collect()  # the floor's in-process AWS, torn down, is garbage: not part of this run's peak
            seconds, cpu, summary = whole_process_seconds(clients, costs, run_input, args.concurrency, progress)
            figures[mode], figures[f"{mode} cpu"] = seconds, cpu
            statuses = [c["status"] for c in summary["clients"]]
            rate = n / seconds
            print(f"  whole process, {mode:11}      {summary['execution_status']:9} {seconds:7.1f} s  "
                  f"{rate:6.1f} clients/s (aim >= {AIM_CLIENTS_PER_SECOND:.0f}: {verdict(rate >= AIM_CLIENTS_PER_SECOND)})  "
                  f"CPU {cpu:6.1f} s ({cpu / n * 1000:.1f} ms/client)  delivered {statuses.count('delivered')}")
            if "floor" in figures:
                wall_ratio, cpu_ratio = seconds / figures["floor"], cpu / figures["floor cpu"]
                print(f"    {wall_ratio:.1f}x the engine floor per client, wall (aim <= {AIM_FLOOR_RATIO:.0f}x: "
                      f"{verdict(wall_ratio <= AIM_FLOOR_RATIO)}); {cpu_ratio:.1f}x its CPU "
                      f"({verdict(cpu_ratio <= AIM_FLOOR_RATIO)})")
            phases, cpu_phases = summary.get("phase_seconds", {}), summary.get("phase_cpu_seconds", {})
            print("    phases, wall s / CPU s (CPU ms per client): " + ", ".join(
                f"{name} {value:.1f} / {cpu_phases.get(name, 0):.1f} ({cpu_phases.get(name, 0) / n * 1000:.1f})"
                for name, value in phases.items()))
        if "progress" in figures and "no-progress" in figures:
            # CPU time is what the display adds; wall time on a shared machine also measures the neighbours.
            print(f"  progress display costs {figures['progress cpu'] / figures['no-progress cpu'] - 1:+.1%} CPU, "
                  f"{figures['progress'] / figures['no-progress'] - 1:+.1%} wall of the whole process (aim: within 5%)")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        aim = (f" (aim <= {AIM_PEAK_MB} MB at {AIM_PEAK_AT:,} clients: {verdict(peak <= AIM_PEAK_MB)})"
               if n == AIM_PEAK_AT else "")
        print(f"  peak memory of this process so far: {peak:,.0f} MB{aim} (now {_rss_mb():,.0f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

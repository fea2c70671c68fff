"""The AWS bill of one run, line by line, from the counts measured in that run.

python -m bench.cost --clients N [--report-type weekly] [--stage prod]
python -m bench.cost --summary out/summary.json [--stage prod]     (bill a finished local run)

Runs N synthetic clients through `python -m local run`'s code path (the real ASL on moto's engine,
the stages in process), reads the counts the run recorded in its summary.json (`usage`), prices
them with the one table in `bench/prices.py` and prints each line, the total and the cost per
client. Lambda GB-seconds are each function's configured memory (`.chalice/config.json`, the
stage given) times its measured duration: the CPU time of the handler's thread, which includes the
emulated AWS calls it makes (in AWS, network round trips of a similar few ms) but not the waits for
the GIL that concurrent branches cause in this one process (`--duration wall` bills the wall time
instead: an upper bound).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any, NamedTuple

from bench.prices import PRICES

CHALICE_CONFIG = Path(__file__).resolve().parent.parent / ".chalice" / "config.json"
DEFAULT_MEMORY_MB = 128  # Lambda's default when a stage sets none


class BillLine(NamedTuple):
    line: str
    quantity: float
    unit: str
    unit_usd: float

    @property
    def usd(self) -> float:
        return self.quantity * self.unit_usd


def memory_by_function(stage: str, config_path: Path = CHALICE_CONFIG) -> dict[str, int]:
    """Configured memory (MB) of each Lambda function in a Chalice stage."""
    config = json.loads(config_path.read_text())
    if stage not in config.get("stages", {}):
        raise ValueError(f"stage {stage!r} is not in {config_path} (stages: {', '.join(config.get('stages', {}))})")
    scoped = config["stages"][stage]
    default = scoped.get("lambda_memory_size") or config.get("lambda_memory_size") or DEFAULT_MEMORY_MB
    return {name: int(spec.get("lambda_memory_size") or default)
            for name, spec in scoped.get("lambda_functions", {}).items()} | {"*": int(default)}


def bill(usage: dict[str, Any], memory_mb: dict[str, int], duration: str = "cpu_seconds") -> list[BillLine]:
    """Every priced line of a run from its measured usage (summary.json `usage`)."""
    units: dict[str, int] = {}
    for source in ("stage_request_units", "engine_request_units"):
        for line, count in usage.get(source, {}).items():
            units[line] = units.get(line, 0) + int(count)
    lambdas = usage.get("lambda", {})
    invocations = sum(spec["invocations"] for spec in lambdas.values())
    gb_seconds = sum(memory_mb.get(name, memory_mb["*"]) / 1024 * spec[duration] for name, spec in lambdas.items())
    lines = [
        BillLine("Cost Explorer requests", usage["ce_requests"], PRICES["ce"].unit, PRICES["ce"].usd),
        BillLine("Step Functions Standard transitions", usage["state_transitions"], PRICES["states"].unit, PRICES["states"].usd),
        BillLine("Lambda requests", invocations, PRICES["lambda requests"].unit, PRICES["lambda requests"].usd),
        BillLine("Lambda duration", gb_seconds, PRICES["lambda duration"].unit, PRICES["lambda duration"].usd),
        # every recipient of every email: the reports and the alerts (change, budget, operator)
        BillLine("SES emails", usage["ses_recipients"], PRICES["ses"].unit, PRICES["ses"].usd),
        BillLine("S3 PUT requests", units.get("s3 put", 0), PRICES["s3 put"].unit, PRICES["s3 put"].usd),
        BillLine("S3 GET requests", units.get("s3 get", 0), PRICES["s3 get"].unit, PRICES["s3 get"].usd),
        # write units as billed: per KB per item, twice inside a transaction (local/metering/aws_calls.py)
        BillLine("DynamoDB writes", units.get("dynamodb write", 0), PRICES["dynamodb write"].unit, PRICES["dynamodb write"].usd),
        BillLine("DynamoDB reads", units.get("dynamodb read", 0), PRICES["dynamodb read"].unit, PRICES["dynamodb read"].usd),
        BillLine("SNS publish", units.get("sns", 0), PRICES["sns"].unit, PRICES["sns"].usd),
        # Each message our stages send is received and deleted once more by the event source mapping
        # (the local poller's idle polls are not AWS's long polls: a fixed cost per queue, not per run).
        BillLine("SQS requests (send, receive, delete)", 3 * int(usage.get("stage_request_units", {}).get("sqs", 0)),
                 PRICES["sqs"].unit, PRICES["sqs"].usd),
        BillLine("Secrets Manager reads", units.get("secretsmanager", 0), PRICES["secretsmanager"].unit,
                 PRICES["secretsmanager"].usd),
        BillLine("STS AssumeRole", units.get("sts", 0), PRICES["sts"].unit, PRICES["sts"].usd),
        # the local Athena counts what Athena bills: each query's bytes rounded up, 10 MB minimum
        BillLine("Athena bytes scanned (billed)", int(usage.get("athena", {}).get("billed_bytes", 0)),
                 PRICES["athena"].unit, PRICES["athena"].usd),
    ]
    return lines


def print_bill(lines: list[BillLine], clients: int, title: str) -> float:
    total = sum(line.usd for line in lines)
    print(title)
    print(f"  {'line':38} {'quantity':>14}  {'unit':22} {'unit price':>13} {'cost (USD)':>12} {'share':>6}")
    for line in lines:
        fractional = isinstance(line.quantity, float) and not line.quantity.is_integer()
        quantity = f"{line.quantity:,.1f}" if fractional else f"{int(line.quantity):,}"
        print(f"  {line.line:38} {quantity:>14}  {line.unit:22} {line.unit_usd:>13.10f} {line.usd:>12.6f} "
              f"{line.usd / total if total else 0:>6.1%}")
    print(f"  {'total':38} {'':>14}  {'':22} {'':>13} {total:>12.6f}")
    print(f"  per client ({clients:,} clients): ${total / max(clients, 1):.6f}; "
          f"per 1,000 clients: ${total / max(clients, 1) * 1000:.4f}")
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--report-type", default="weekly", choices=("daily", "weekly", "monthly"))
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 11, 18))
    parser.add_argument("--stage", default="prod", help="Chalice stage whose configured memory prices Lambda (default prod)")
    parser.add_argument("--duration", choices=("cpu", "wall"), default="cpu",
                        help="Lambda duration measure: handler thread CPU time (default) or wall time (upper bound)")
    parser.add_argument("--summary", type=Path, default=None, help="bill this summary.json instead of running")
    args = parser.parse_args(argv)
    memory = memory_by_function(args.stage)

    if args.summary:
        summary = json.loads(args.summary.read_text())
    else:
        summary = run_synthetic(args.clients, args.report_type, args.as_of)
    if "usage" not in summary:
        print(f"error: {args.summary}: no `usage` counts (a summary.json older than the call counts "
              "`python -m local run` writes)", file=sys.stderr)
        return 2
    clients = len(summary.get("clients", [])) or args.clients
    usage = summary["usage"]
    duration = "cpu_seconds" if args.duration == "cpu" else "seconds"
    print_bill(bill(usage, memory, duration), clients,
               f"bill of run {summary.get('run_id')} ({summary.get('report_type')}, {clients:,} clients, "
               f"execution {summary.get('execution_status')}, Lambda memory from stage {args.stage!r}, "
               f"duration = handler {args.duration} time):")
    print("AWS calls per client by our stages: "
          + ", ".join(f"{line} {count / max(clients, 1):.2f}" for line, count in usage["stage_calls"].items()))
    return 0


def run_synthetic(n: int, report_type: str, as_of: date) -> dict[str, Any]:
    import os

    from local.aws.cost_explorer.data import CostData
    from local.cli.run import run_locally
    from local.samples.make_samples import synthetic_clients

    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "ERROR")
    days = 70 if report_type == "monthly" else 16  # the two periods the report reads
    clients, rows = synthetic_clients(n, seed=42, start=as_of - timedelta(days=days), end=as_of)
    with tempfile.TemporaryDirectory() as out:
        return run_locally(clients, CostData.from_rows(rows), {"report_type": report_type, "as_of": as_of.isoformat()},
                           Path(out), retry_time_scale=0.01, progress=False)


if __name__ == "__main__":
    sys.exit(main())

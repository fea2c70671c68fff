"""The billing-export source at scale: one Athena query per export per run, whatever the number of clients.

python -m bench.export_source --clients 1000 10000 [--accounts 2] [--services 8]

For each size: a synthetic FOCUS 1.2 export (Parquet, laid out as AWS Data Exports writes it: three
billing periods, daily lines per account and service, an older full snapshot beside the latest in the
open month) in the local S3; the Glue tables as deploy creates them (infra/kinds/exports.py); then the
run's real export steps, timed: eligibility's accounts object and plan, query_exports, the
check loop, split_exports writing every client's dataset. The local Athena (DuckDB over the same
files) measures the bytes Athena would scan and bill. Prints queries per run, bytes scanned,
dollars per client per run (Athena + S3 requests + Lambda duration of the export steps + their
state transitions, priced by bench/prices.py) and the wall time of each step.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from bench.prices import PRICES, athena_billed_bytes

PERIODS = ("2026-09", "2026-10", "2026-11")
AS_OF = date(2026, 11, 22)
SPLIT_MEMORY_GB = 1.0  # what a deployment should give split_exports at this scale
TRANSITIONS = 8  # HasExportClients?, QueryExports, ExportsDone? x2, WaitForExports, CheckExports, SplitExports, ...


def _write_export(s3: Any, export: dict[str, Any], clients: int, accounts: int, services: int, scratch: Path) -> int:
    """The synthetic export in the local S3; its size in bytes (every snapshot)."""
    import duckdb

    bucket, prefix = export["s3_uri"][len("s3://"):].split("/", 1)
    name = prefix.rstrip("/").rsplit("/", 1)[-1]
    con = duckdb.connect(config={"threads": 2})
    total = 0
    for period in PERIODS:
        year, month = int(period[:4]), int(period[5:])
        closed = date(year + month // 12, month % 12 + 1, 3)  # a closed month's last refresh, early the next month
        snapshots = [("20261115T053012Z-older", 0.9), ("20261122T050744Z-latest", 1.0)] if period == "2026-11" else \
            [(f"{closed:%Y%m%d}T050000Z-final", 1.0)]
        days = (date(year + month // 12, month % 12 + 1, 1) - date(year, month, 1)).days
        for folder, scale in snapshots:
            path = scratch / f"{period}-{folder}.parquet"
            con.execute(f"""COPY (
                SELECT 'AWS' AS "ProviderName", lpad(CAST(100000000000 + a AS VARCHAR), 12, '0') AS "SubAccountId",
                       'Service ' || s AS "ServiceName", 'Usage' AS "ChargeCategory", CAST(NULL AS VARCHAR) AS "ChargeClass",
                       'Usage-Based' AS "ChargeFrequency", 'Svc' || s AS "x_ServiceCode",
                       CAST(NULL AS VARCHAR) AS "CommitmentDiscountType", 'UsageType' || s AS "x_UsageType",
                       'SKU' || s AS "SkuId", 'us-east-1' AS "RegionId", 'USD' AS "BillingCurrency",
                       TIMESTAMP '{period}-01 00:00:00' + to_days(CAST(d AS INTEGER)) AS "ChargePeriodStart",
                       CAST(round(((a * 7 + s * 13 + d) % 97 + 1) * 0.137 * {scale}, 10) AS DOUBLE) AS "BilledCost",
                       CAST(round(((a * 7 + s * 13 + d) % 97 + 1) * 0.131 * {scale}, 10) AS DOUBLE) AS "EffectiveCost"
                FROM range({clients * accounts}) t(a), range({services}) u(s), range({days}) v(d)
                ) TO '{path}' (FORMAT PARQUET, COMPRESSION SNAPPY, ROW_GROUP_SIZE 122880)""")
            key = f"{prefix}data/BILLING_PERIOD={period}/{folder}/{name}-00001.snappy.parquet"
            body = path.read_bytes()
            total += len(body)
            s3.put_object(Bucket=bucket, Key=key, Body=body)
            path.unlink()
            manifest = {"executionId": folder.split("-", 1)[1], "dataFiles": [f"s3://{bucket}/{key}"],
                        "billingPeriod": {"start": f"{period}-01T00:00:00.000Z"}}
        s3.put_object(Bucket=bucket, Key=f"{prefix}metadata/BILLING_PERIOD={period}/{name}-Manifest.json",
                      Body=json.dumps(manifest).encode())
    return total


def measure(clients: int, accounts: int, services: int) -> dict[str, Any]:
    import boto3
    from moto import mock_aws

    from infra.kinds.exports import accounts_table, export_table
    from infra.stage import load_stage
    from local.aws.athena.service import LocalAthena, install

    os.environ.update({"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1"})
    stage = load_stage("local")
    export = next(e for e in stage.cost_exports() if e["name"] == "focus")
    scratch = Path(tempfile.mkdtemp(prefix="bench-export-"))
    with mock_aws():
        boto3.setup_default_session(region_name="us-east-1")
        athena = LocalAthena(now=lambda: datetime(2026, 11, 22, tzinfo=UTC))
        uninstall = install(boto3.DEFAULT_SESSION, athena)
        try:
            s3, glue = boto3.client("s3"), boto3.client("glue")
            for bucket in (stage.bucket_name(), export["s3_uri"][len("s3://"):].split("/", 1)[0]):
                s3.create_bucket(Bucket=bucket)
            glue.create_database(DatabaseInput={"Name": export["database"]})
            glue.create_table(DatabaseName=export["database"], TableInput=export_table(stage, export))
            glue.create_table(DatabaseName=export["database"], TableInput=accounts_table(stage))
            boto3.client("athena").create_work_group(Name=export["workgroup"], Configuration={
                "ResultConfiguration": {"OutputLocation": export["results_uri"]}})
            started = time.perf_counter()
            export_bytes = _write_export(s3, export, clients, accounts, services, scratch)
            generated = time.perf_counter() - started
            os.environ.update({"BUCKET_NAME": stage.bucket_name(), "COST_EXPORTS": json.dumps([export]),
                               "POWERTOOLS_LOG_LEVEL": "ERROR"})
            from chalicelib.core.caches import reset_all

            reset_all()
            return {**_run_steps(athena, clients, accounts), "export_bytes": export_bytes, "generate_seconds": generated}
        finally:
            uninstall()
            athena.close()
            import shutil

            shutil.rmtree(scratch, ignore_errors=True)


def _run_steps(athena: Any, clients: int, accounts: int) -> dict[str, Any]:
    from chalicelib.core.store.objects import put_model
    from chalicelib.costs.export.contracts import ExportClientEntry, ExportPlan, ExportsInput, SplitInput
    from chalicelib.costs.export.run import put_run_accounts
    from chalicelib.costs.stages.check_exports import check_exports
    from chalicelib.costs.stages.query_exports import query_exports
    from chalicelib.costs.stages.split_exports import split_exports

    run_id = f"bench-{clients}"
    entries = [ExportClientEntry(client_id=f"client-{c:05d}", metric="UnblendedCost",
                                 accounts=[f"{100000000000 + c * accounts + a:012d}" for a in range(accounts)])
               for c in range(clients)]
    timings: dict[str, float] = {}
    cpu: dict[str, float] = {}

    def timed(step: str, call: Any) -> Any:
        t, c = time.perf_counter(), time.process_time()
        result = call()
        timings[step] = timings.get(step, 0.0) + time.perf_counter() - t
        cpu[step] = cpu.get(step, 0.0) + time.process_time() - c
        return result

    from chalicelib.core.periods import report_periods
    from chalicelib.costs.windows import report_window

    current, previous = report_periods("weekly", AS_OF)
    window, granularity = report_window("weekly", current, previous, AS_OF)  # what eligibility plans for a weekly run
    plan = ExportPlan(run_id=run_id, window=window, granularity=granularity, exports={"focus": entries})
    plan_key = timed("eligibility (plan, accounts)", lambda: (
        put_run_accounts(run_id, [(a, e.client_id) for e in entries for a in e.accounts]),
        put_model(f"runs/{run_id}/export-plan.json", plan))[1])
    state = timed("query_exports", lambda: query_exports(ExportsInput(run_id=run_id, plan_key=plan_key)))
    checks = 0
    while state.running and checks < 3600:  # bounded as the ASL's loop
        time.sleep(0.2)
        state = timed("check_exports", lambda s=state: check_exports(s))
        checks += 1
    result = timed("split_exports", lambda: split_exports(SplitInput(run_id=run_id, plan_key=plan_key,
                                                                      queries=state.queries)))
    usage = athena.usage()
    if result.refused:
        from chalicelib.core.store.objects import get_text
        from chalicelib.costs.store import refusal_key

        print("  refused, e.g.:", get_text(refusal_key(run_id, entries[0].client_id))[:400])
    billed = sum(athena_billed_bytes(e["Statistics"]["DataScannedInBytes"]) for e in athena.executions())
    return {"clients": clients, "written": result.clients, "refused": result.refused, "queries": usage["queries"],
            "bytes_scanned": usage["bytes_scanned"], "billed_bytes": billed, "timings": timings, "cpu": cpu,
            "query_seconds": timings.get("check_exports", 0.0)}


def price(m: dict[str, Any]) -> dict[str, float]:
    n = m["clients"]
    lines = {
        "athena": m["billed_bytes"] * PRICES["athena"].usd,
        # per client: its dataset (PUT); the run: accounts, plan, the started query (PUT), the manifests,
        # plan and result reads (GET); each client's collect reads its dataset (GET)
        "s3 put": (n + 3) * PRICES["s3 put"].usd,
        "s3 get": (n + 8) * PRICES["s3 get"].usd,
        "lambda": (sum(m["cpu"].values()) * SPLIT_MEMORY_GB) * PRICES["lambda duration"].usd,
        # in AWS the loop waits EXPORT_POLL_SECONDS (10 s) between checks: checks = query time / 10 s + 1
        "states": (TRANSITIONS + 2 * (int(m["query_seconds"] // 10) + 1)) * PRICES["states"].usd,
    }
    lines["total"] = sum(lines.values())
    lines["per client"] = lines["total"] / n
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--accounts", type=int, default=2, help="accounts per client")
    parser.add_argument("--services", type=int, default=8, help="services per account (daily lines each)")
    args = parser.parse_args(argv)
    for n in args.clients:
        m = measure(n, args.accounts, args.services)
        p = price(m)
        print(f"\n{n:,} clients x {args.accounts} accounts x {args.services} services, daily lines, "
              f"{len(PERIODS)} billing periods (+1 older snapshot): export {m['export_bytes'] / 1e6:,.1f} MB Parquet "
              f"(generated in {m['generate_seconds']:.1f} s)")
        print(f"  Athena queries per run       {m['queries']}")
        print(f"  bytes scanned                {m['bytes_scanned']:,} ({m['bytes_scanned'] / 1e6:,.1f} MB; billed "
              f"{m['billed_bytes'] / 1e6:,.1f} MB)")
        print(f"  datasets written / refused   {m['written']:,} / {m['refused']:,}")
        for step, seconds in m["timings"].items():
            print(f"  {step:<28} {seconds:8.2f} s wall, {m['cpu'][step]:8.2f} s CPU")
        print("  cost of the export steps (USD): " + ", ".join(f"{k} {v:.6f}" for k, v in p.items() if k != "per client"))
        print(f"  dollars per client per run   {p['per client']:.7f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

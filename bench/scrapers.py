"""Benchmark: the four scrapers through the chunked job (real ASL on moto's engine) against the loopback
fixture server, with the SEC limit on (10 requests/s per deployment, shared in DynamoDB).

python -m bench.scrapers [--items 40] [--chunk-size 10] [--concurrency 4] [--limit-items 80] [--limit-concurrency 10]

Prints per scraper: items/s, SEC requests and their rate (average and the most in any one second),
Lambda invocations and state transitions per run; then requests/s at the limit with many concurrent
chunks, and what real runs cost in Lambda and state transitions (computed from the counts).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

AS_OF = date(2026, 11, 22)
# AWS list prices (us-east-1): Lambda x86 per GB-second and per request; Standard workflow per transition;
# DynamoDB on-demand per write / read request unit; SNS per publish.
LAMBDA_GB_SECOND, LAMBDA_REQUEST = 0.0000166667, 0.20 / 1e6
TRANSITION = 0.025 / 1000
DDB_WRITE, DDB_READ = 0.625 / 1e6, 0.125 / 1e6
LAMBDA_MEMORY_GB = 1.0  # scrape_chunk's memory in dev/prod (infra/stages.json); the short stages use less
# What a real run handles (assumptions; the schedules are in docs/scrapers.md, the resulting bill in
# bench/README.md, "Scrapers"): runs per year, items, SEC requests per run, seconds of Lambda work per
# item beyond the rate-limit wait (big companyfacts downloads for banks).
REAL_RUNS = {
    "bond-issuance": {"runs": 52, "items": 8, "sec_requests": 38, "work_s": 1.0},   # ~30 search pages of 100 + documents
    "bdc-discount": {"runs": 365, "items": 6, "sec_requests": 7, "work_s": 0.5},    # 1 frame + companyconcept misses
    "credit-fund": {"runs": 12, "items": 6, "sec_requests": 6, "work_s": 2.0},      # companyfacts (a few MB each)
    "bank-provision": {"runs": 4, "items": 4, "sec_requests": 4, "work_s": 6.0},    # companyfacts (tens of MB each)
}


def scraper_env(name: str, items: int) -> dict[str, str]:
    from local.fixtures.scrape_fixtures import SYNTHETIC_CIK

    companies = [{"name": f"Synthetic {n}", "cik": SYNTHETIC_CIK + n} for n in range(items)]
    if name == "bdc-discount":
        return {"SCRAPE_BDC_DISCOUNT": json.dumps({"bdcs": [{**c, "ticker": f"SYN{n}"} for n, c in enumerate(companies)]})}
    if name == "credit-fund":
        return {"SCRAPE_CREDIT_FUND": json.dumps({"funds": companies})}
    if name == "bank-provision":
        return {"SCRAPE_BANK_PROVISION": json.dumps({"banks": companies})}
    return {}


def run_one(name: str, items: int, chunk_size: int, concurrency: int, out: Path) -> dict[str, Any]:
    from local.aws.scrape_runtime import LocalScrape
    from local.fixtures.fixture_server import PRICE_HOST, SEC_HOSTS, FixtureServer
    from local.fixtures.scrape_fixtures import FixtureData

    data = FixtureData(synthetic_funds=items, synthetic_filings=items if name == "bond-issuance" else 0, page_size=100)
    with LocalScrape(out_dir=out, chunk_size=chunk_size, max_concurrency=concurrency, chunk_timeout_seconds=60,
                     deadline_margin_seconds=10, fixture=FixtureServer(data), env_overrides=scraper_env(name, items)) as local:
        started = time.perf_counter()
        arn = local.start({"scraper": name, "as_of": AS_OF.isoformat(), "dry_run": True})
        described = local.wait(arn, timeout=1800)
        elapsed = time.perf_counter() - started
        if described["status"] != "SUCCEEDED":
            raise SystemExit(f"{name}: {described['status']}: {described.get('cause')}")
        output = json.loads(described["output"])
        history = local.history(arn)
        sec = sorted(r.at for r in local.fixture.requests(SEC_HOSTS))
        prices = local.fixture.requests((PRICE_HOST,))
        chunks = local.chunks(local.job_id(name, AS_OF))
        return {
            "scraper": name, "items": output["item_count"], "seconds": elapsed,
            "items_per_s": output["item_count"] / elapsed,
            "counts": output["summary"]["counts"],
            "sec_requests": len(sec), "price_requests": len(prices),
            "sec_rate": (len(sec) - 1) / (sec[-1] - sec[0]) if len(sec) > 1 else 0.0,
            "sec_max_1s": local.fixture.max_in_any_window(1.0),
            "chunks": len(chunks), "chunk_invocations": sum(int(c.get("invocations", 0)) for c in chunks),
            "lambda_invocations": sum(v for k, v in local.aws.bridge.invocations.items() if k.startswith("scrape_")),
            "transitions": sum(1 for e in history if e["type"].endswith("StateEntered")),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=40, help="items per scraper (synthetic filers / filings)")
    parser.add_argument("--chunk-size", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--limit-items", type=int, default=80, help="items for the run at the rate limit")
    parser.add_argument("--limit-concurrency", type=int, default=10)
    parser.add_argument("--scrapers", default="bond-issuance,bdc-discount,credit-fund,bank-provision")
    args = parser.parse_args()
    os.environ["POWERTOOLS_LOG_LEVEL"] = "ERROR"

    results = []
    with tempfile.TemporaryDirectory() as out:
        for name in args.scrapers.split(","):
            results.append(run_one(name, args.items, args.chunk_size, args.concurrency, Path(out)))
        limit = run_one("credit-fund", args.limit_items, max(1, args.limit_items // (2 * args.limit_concurrency)),
                        args.limit_concurrency, Path(out))

    print(f"\nscrapers through the chunked job: {args.items} items each, chunks of {args.chunk_size}, "
          f"MaxConcurrency {args.concurrency}, SEC limit 10/s (fixture server on 127.0.0.1)\n")
    print(f"{'scraper':15} {'items':>5} {'s':>6} {'items/s':>8} {'SEC req':>7} {'req/s':>6} {'max 1s':>6} "
          f"{'prices':>6} {'chunks':>6} {'chunk inv':>9} {'lambda inv':>10} {'transitions':>11}")
    for r in results:
        print(f"{r['scraper']:15} {r['items']:5d} {r['seconds']:6.1f} {r['items_per_s']:8.2f} {r['sec_requests']:7d} "
              f"{r['sec_rate']:6.2f} {r['sec_max_1s']:6d} {r['price_requests']:6d} {r['chunks']:6d} "
              f"{r['chunk_invocations']:9d} {r['lambda_invocations']:10d} {r['transitions']:11d}")
    print(f"\nat the limit: {limit['items']} SEC-bound items in {limit['chunks']} chunks, MaxConcurrency "
          f"{args.limit_concurrency}: {limit['sec_requests']} requests in {limit['seconds']:.1f} s, "
          f"{limit['sec_rate']:.2f} requests/s on average, at most {limit['sec_max_1s']} in any one second "
          f"(limit 10; the limiter spaces slots 110 ms apart = 9.1/s)")

    print("\nreal runs (per year, from counts; assumptions in REAL_RUNS, bench/scrapers.py):")
    print(f"{'scraper':15} {'runs/yr':>7} {'transitions/run':>15} {'lambda GB-s/run':>15} {'$/yr Step Fn':>12} "
          f"{'$/yr Lambda':>11} {'$/yr DynamoDB':>13}")
    total = 0.0
    for name, real in REAL_RUNS.items():
        chunks = -(-real["items"] // args.chunk_size)
        # Plan, Map, per chunk ProcessChunk + ChunkDone + ChunkFinished (one invocation: far below the timeout),
        # Aggregate, EvaluateAlerts, DryRun, PublishAlerts, Done
        transitions = 2 + 3 * chunks + 5
        seconds = real["sec_requests"] / 9.1 + real["items"] * real["work_s"] + 5 * 0.3  # chunk work + 5 short stages
        invocations = 4 + chunks
        # DynamoDB: per SEC request 1-2 limiter writes; per item a checkpoint write; plan, result, ledger ~10 writes
        writes = 2 * real["sec_requests"] + real["items"] + 10 + chunks
        reads = 5 + 2 * chunks
        step = real["runs"] * transitions * TRANSITION
        lam = real["runs"] * (seconds * LAMBDA_MEMORY_GB * LAMBDA_GB_SECOND + invocations * LAMBDA_REQUEST)
        ddb = real["runs"] * (writes * DDB_WRITE + reads * DDB_READ)
        total += step + lam + ddb
        print(f"{name:15} {real['runs']:7d} {transitions:15d} {seconds * LAMBDA_MEMORY_GB:15.1f} {step:12.4f} "
              f"{lam:11.4f} {ddb:13.5f}")
    print(f"total: ${total:.2f} per year (plus CloudWatch Logs ingestion, the largest line at these volumes)")


if __name__ == "__main__":
    main()

"""`python -m local scrape NAME`: a scraper's chunked job on the in-process AWS against the loopback fixture
server (never the internet): progress per chunk, the results table and the alerts it would send.

python -m local scrape {bond-issuance,bdc-discount,credit-fund,bank-provision} [--as-of YYYY-MM-DD] [--dry-run]
                       [--chunk-size N] [--concurrency N]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from local.aws.scrape_runtime import LocalScrape
from local.fixtures.fixture_server import PRICE_HOST, SEC_HOSTS

HELP = "run a market-signal scraper's chunked job against the loopback fixture server"


def add_arguments(scrape: argparse.ArgumentParser) -> None:
    scrape.add_argument("name", choices=("bond-issuance", "bdc-discount", "credit-fund", "bank-provision"))
    scrape.add_argument("--as-of", type=date.fromisoformat, default=None, help="YYYY-MM-DD (default: today)")
    scrape.add_argument("--dry-run", action="store_true", help="publish no alerts: show what would be sent")
    scrape.add_argument("--chunk-size", type=int, default=2, help="items per chunk (default: 2, to show chunking)")
    scrape.add_argument("--concurrency", type=int, default=3, help="chunks in parallel (Map MaxConcurrency)")
    scrape.add_argument("--out", type=Path, default=Path("out"), help="output folder (default: out/)")


def command(args: argparse.Namespace) -> int:
    name, dry_run = args.name, args.dry_run
    as_of = args.as_of or date.today()
    run_input = {"scraper": name, "as_of": as_of.isoformat(), "dry_run": dry_run}
    started = time.perf_counter()
    with LocalScrape(out_dir=args.out, chunk_size=args.chunk_size, max_concurrency=args.concurrency) as local:
        job_id = local.job_id(name, as_of)
        print(f"{name}: job {job_id}{' (dry run)' if dry_run else ''}, fixture server {local.fixture.base_url}",
              file=sys.stderr)
        arn = local.start(run_input)
        described = local.wait(arn, on_poll=_progress(local, job_id))
        elapsed = time.perf_counter() - started
        output = json.loads(described.get("output") or "{}")
        summary = local.result(job_id)
        sec = local.fixture.requests(SEC_HOSTS)
        prices = local.fixture.requests((PRICE_HOST,))
        print()
        if described["status"] != "SUCCEEDED":
            print(f"execution {described['status']}: {described.get('error')}: {described.get('cause')}")
            return 1
        _print_rows(summary.rows if summary else [])
        headline = ", ".join(f"{k} {_fmt(v)}" for k, v in (output.get("summary", {}).get("headline") or {}).items())
        counts = output.get("summary", {}).get("counts", {})
        print(f"\n{output['summary']['status']}: {counts.get('ok', 0)} ok, {counts.get('skipped', 0)} skipped, "
              f"{counts.get('failed', 0)} failed; {headline}")
        alerts = output.get("alerts", [])
        verb = "would send" if dry_run else "sent"
        print(f"\nalerts ({verb}): {len(alerts)}" + (f"  [{output['note']}]" if output.get("note") else ""))
        for alert in alerts:
            print(f"  [{alert['severity']}] {alert['title']}")
            for line in alert["message"].splitlines():
                print(f"      {line}")
        published = output.get("published", {})
        if not dry_run:
            print(f"published now: {published.get('published', [])}, already: {published.get('already_published', [])}")
        print(f"\n{elapsed:.1f} s; requests: SEC {len(sec)} (at most {local.fixture.max_in_any_window(1.0)} in any second), "
              f"prices {len(prices)}; Lambda invocations {sum(local.aws.bridge.invocations.values())}")
    return 0


def _progress(local: LocalScrape, job_id: str) -> Callable[[], None]:
    shown: dict[str, tuple[int, int]] = {}
    last = {"at": 0.0}

    def show() -> None:
        now = time.monotonic()
        if now - last["at"] < 0.3:
            return
        last["at"] = now
        for chunk in local.chunks(job_id):
            state = (int(chunk["cursor"]), int(chunk.get("invocations", 0)))
            if shown.get(chunk["sk"]) != state:
                shown[chunk["sk"]] = state
                done = " done" if chunk.get("done") else ""
                print(f"  {chunk['sk'].lower()}: {state[0]}/{int(chunk['size'])} items, {state[1]} invocation(s){done}",
                      file=sys.stderr, flush=True)

    return show


def _fmt(value: Any) -> str:
    if isinstance(value, float) and abs(value) >= 1e6:
        return f"{value:,.0f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _print_rows(rows: list[dict[str, Any]]) -> None:
    if not rows:
        print("(no items)")
        return
    columns = [c for c in rows[0] if c != "url"]
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    widths = [min(48, max(len(c), *(len(r[i]) for r in cells))) for i, c in enumerate(columns)]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print("  ".join(v[:w].ljust(w) for v, w in zip(row, widths, strict=True)))


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) < 1e6 else f"{value:,.0f}"
    if isinstance(value, int) and abs(value) >= 1e6:
        return f"{value:,}"
    return str(value).replace("\n", " ")

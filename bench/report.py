"""Benchmark: the report's extra Cost Explorer requests, render time per client and output sizes.

python -m bench.report [--clients 1000] [--report-type weekly] [--render-sample 100]

The stage code runs as in collect and render (fetch_costs, fetch_context, analyze, build_insights,
the one ReportView and each writer), against the local Cost Explorer called directly (no moto, no
botocore round trip), so the request counts are exactly what the code asks for and the times are
our code's own:
  - Cost Explorer requests per client, main and extra (history, forecast, why), over the sample
    clients and over N synthetic clients;
  - render time per client: HTML + text + CSV, and XLSX and PDF separately (median and p95), in CPU
    time of this process (the machine is shared: wall time would measure the neighbours too);
  - sizes: HTML, XLSX and PDF of a sample client and of the 300-service worst case.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

SAMPLES = Path(__file__).resolve().parents[1] / "local" / "samples"


def _run_context(report_type: str, as_of: date) -> Any:
    from chalicelib.core.periods import report_periods
    from chalicelib.reports.contracts import RunContext

    current, previous = report_periods(report_type, as_of)
    return RunContext(run_id="bench", report_type=report_type, as_of=as_of, current=current, previous=previous,
                      started_at=datetime.now(UTC))


def collect_and_render(configs: list[Any], ce: Any, run: Any, render: bool, formats: tuple[str, ...] = ()) -> dict[str, Any]:
    from chalicelib.reports.costs.analysis import analyze
    from chalicelib.reports.costs.insights import build_insights
    from chalicelib.reports.costs.reading import read_report
    from chalicelib.reports.rendering import render_report

    requests: Counter[str] = Counter()
    times: dict[str, list[float]] = {"email": [], "xlsx": [], "pdf": []}
    for config in configs:
        inputs = read_report(config, run, in_run=False, with_empty=True, ce=ce)
        dataset, context = inputs.dataset, inputs.context
        report = analyze(dataset)
        requests["main"] += dataset.ce_requests
        requests["extra"] += context.ce_requests
        requests["why"] += context.breakdown is not None
        requests["forecast"] += context.forecast is not None and context.forecast.method == "cost_explorer"
        if not render:
            continue
        started = time.process_time()
        insights = build_insights(report, context, config.change_alert, config.budget_for("monthly"))
        render_report(report, insights, ["csv"])
        times["email"].append(time.process_time() - started)
        for fmt in formats:
            started = time.process_time()
            render_report(report, insights, [fmt])
            times[fmt].append(time.process_time() - started - times["email"][-1])
    return {"requests": requests, "times": times, "clients": len(configs)}


def _ms(values: list[float]) -> str:
    if not values:
        return "-"
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"median {statistics.median(ordered) * 1000:6.1f} ms CPU, p95 {p95 * 1000:6.1f} ms"


def _print_requests(label: str, result: dict[str, Any]) -> None:
    n = max(result["clients"], 1)
    r = result["requests"]
    print(f"{label}: {result['clients']} clients, Cost Explorer requests per client: main {r['main'] / n:.2f}, "
          f"extra {r['extra'] / n:.2f} (Cost Explorer forecasts {r['forecast'] / n:.2f}, why {r['why'] / n:.2f}: "
          f"{r['why']} clients had a flagged top mover)")


def sizes() -> None:
    from chalicelib.reports.costs.analysis import analyze
    from chalicelib.reports.rendering import render_report
    from tests import factories as f

    lines = [f.line(account, f"Service {i:03d} " + "x" * 108, f"{9_000_000 + i * 997}.99", f"{1_000_000 + i * 13}.01")
             for i in range(300) for account in f.ACCOUNTS]
    report = analyze(f.dataset(lines, estimated=True, client={"budgets": {"weekly": Decimal(1)}}))
    context = f.realistic_context()
    from chalicelib.reports.costs.insights import build_insights

    insights = build_insights(report, context.model_copy(update={"breakdown": None}), report_rule(), Decimal(50000))
    out = render_report(report, insights, ["csv", "xlsx", "pdf"])
    files = {name.rpartition(".")[2]: len(body) for name, body in out.files.items()}
    print(f"300 services (120-char names, 7-digit figures, 3 accounts, trend and month to date): "
          f"HTML {len(out.html.encode()) / 1000:.1f} KB (Gmail clips at ~102 KB), "
          f"XLSX {files['xlsx'] / 1000:.1f} KB, PDF {files['pdf'] / 1000:.1f} KB, CSV {len(out.csv.encode()) / 1000:.1f} KB")


def report_rule() -> Any:
    from chalicelib.core.models import ChangeAlert

    return ChangeAlert()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--report-type", default="weekly", choices=("daily", "weekly", "monthly"))
    parser.add_argument("--render-sample", type=int, default=100, help="synthetic clients also rendered (timed)")
    args = parser.parse_args(argv)

    from chalicelib.core.models import ClientConfig
    from local.aws.cost_explorer.data import CostData
    from local.aws.cost_explorer.service import LocalCostExplorer
    from local.samples.make_samples import synthetic_clients

    # The sample clients, every report type, each read through the local Cost Explorer called directly (the
    # requests counted here are Cost Explorer's: the billing-export source has its own benchmark,
    # bench.export_source; no payer role is assumed, as no AWS is involved).
    sample_configs = [ClientConfig.model_validate({**c, "cost_source": "cost_explorer", "role_arn": None, "external_id": None})
                      for c in json.loads((SAMPLES / "clients.json").read_text()) if c["status"] == "ACTIVE"]
    sample_ce = LocalCostExplorer(CostData.from_csv(SAMPLES / "costs.csv"), page_size=1000)
    for report_type in ("daily", "weekly", "monthly"):
        result = collect_and_render(sample_configs, sample_ce, _run_context(report_type, date(2026, 11, 22)), render=True,
                                    formats=("xlsx", "pdf"))
        _print_requests(f"sample {report_type:7}", result)
        t = result["times"]
        print(f"  render per client: HTML+text+CSV {_ms(t['email'])}; XLSX {_ms(t['xlsx'])}; PDF {_ms(t['pdf'])}")

    as_of = date(2026, 11, 18)
    started = time.perf_counter()
    clients, rows = synthetic_clients(args.clients, seed=42, start=date(2026, 8, 1), end=as_of)
    configs = [ClientConfig.model_validate(c) for c in clients]
    ce = LocalCostExplorer(CostData(rows), page_size=1000)
    build = time.perf_counter() - started
    run = _run_context(args.report_type, as_of)
    started = time.perf_counter()
    result = collect_and_render(configs, ce, run, render=False)
    elapsed = time.perf_counter() - started
    _print_requests(f"synthetic {args.report_type}", result)
    assert ce.requests == result["requests"]["main"] + result["requests"]["extra"], "emulator count differs"
    print(f"  (data built in {build:.1f} s; collect code for {args.clients} clients in {elapsed:.1f} s; "
          f"emulator counted {ce.requests} requests = {ce.requests / max(args.clients, 1):.2f} per client)")
    rendered = collect_and_render(configs[: args.render_sample], LocalCostExplorer(CostData(rows), page_size=1000), run,
                                  render=True, formats=("xlsx", "pdf"))
    t = rendered["times"]
    print(f"  render per client ({args.render_sample} synthetic): HTML+text+CSV {_ms(t['email'])}; "
          f"XLSX {_ms(t['xlsx'])}; PDF {_ms(t['pdf'])}")
    sizes()
    return 0


if __name__ == "__main__":
    sys.exit(main())

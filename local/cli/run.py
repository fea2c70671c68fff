"""`python -m local run`: one execution of the cost report state machine on an in-process AWS, on
sample or given data; the reports and emails of the clients it delivered, and summary.json, under --out.

Exit codes: 0 every client delivered or skipped for a benign reason (already delivered, not ACTIVE,
report type not enabled); 3 any client failed or was skipped as a problem; 1 the execution failed;
2 unreadable or invalid input (files, options). It writes only its own files under --out.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

from chalicelib.core.constants import REPORT_TYPES
from local.cli.common import (
    COSTS_HELP,
    EXIT_BAD_INPUT,
    EXIT_CLIENT_PROBLEMS,
    EXIT_EXECUTION_FAILED,
    EXIT_OK,
    SAMPLES,
    as_of_date,
    open_month,
    read_inputs,
)

HELP = "run one execution of the state machine on an in-process AWS"
EXAMPLES = (
    "python -m local run                                   # the weekly report of every sample client",
    "python -m local run --report-type daily --as-of 2026-11-22 --out out/daily",
    "python -m local run --client-id acme-retail --force   # send one client's report again",
)


def add_arguments(run: argparse.ArgumentParser) -> None:
    run.add_argument("--clients", type=Path, default=SAMPLES / "clients.json", help="JSON list of client configs")
    run.add_argument("--costs", type=Path, default=SAMPLES / "costs.csv", help=COSTS_HELP)
    run.add_argument("--report-type", choices=REPORT_TYPES, default="weekly", help="which report to run")
    run.add_argument("--as-of", type=as_of_date, default=None,
                     help="YYYY-MM-DD (default: the day after the last date in the cost data)")
    run.add_argument("--client-id", default=None, help="run for this client only")
    run.add_argument("--force", action="store_true", help="re-send even if already delivered")
    run.add_argument("--out", type=Path, default=Path("out"), help="output folder (default: out/)")
    run.add_argument("--organizations", type=Path, default=SAMPLES / "organizations.json",
                     help="payer account -> [{Id, Name}] answered by organizations:ListAccounts")


def command(args: argparse.Namespace) -> int:
    inputs = read_inputs(args)
    if inputs is None:
        return EXIT_BAD_INPUT
    clients, costs, organizations, as_of = inputs
    run_input: dict[str, Any] = {"report_type": args.report_type, "as_of": as_of.isoformat(), "force": args.force}
    if args.client_id:
        run_input["client_id"] = args.client_id
    summary = run_locally(clients, costs, run_input, args.out, organizations=organizations)
    print_table(summary, args.out)
    return exit_code(summary)


def exit_code(summary: dict[str, Any]) -> int:
    if summary["execution_status"] != "SUCCEEDED":
        return EXIT_EXECUTION_FAILED
    if any(c["problem"] for c in summary["clients"]):
        return EXIT_CLIENT_PROBLEMS
    return EXIT_OK


def run_locally(clients: list[dict[str, Any] | str], costs: Any, run_input: dict[str, Any], out_dir: Path,
                retry_time_scale: float = 0.05, progress: bool = True,
                organizations: dict[str, list[dict[str, str]]] | None = None) -> dict[str, Any]:
    from local.aws.runtime import LocalAWS
    from local.metering import usage

    # Nothing under out_dir is deleted: files are only written (report.* of delivered clients are
    # replaced, each message is a new .eml); summary.json says what this run delivered.
    out_dir.mkdir(parents=True, exist_ok=True)
    as_of = date.fromisoformat(run_input["as_of"])
    # Every wait is bounded, by the run's size: 2 s per client is 4x the slowest rate measured here.
    bound = max(600.0, 2.0 * len(clients))
    started, cpu_started = time.perf_counter(), time.process_time()
    with LocalAWS(out_dir=out_dir, costs=costs, clients=clients, retry_time_scale=retry_time_scale,
                  estimated_from=open_month(as_of), organizations=organizations or {}) as aws:
        usage.reset(aws)  # seeding the clients is not part of the run's bill
        arn = aws.start(run_input)
        run_id = arn.rsplit(":", 1)[-1]
        show = _progress_printer(aws, arn) if progress else None
        described = aws.wait(arn, on_poll=show, poll=0.1, timeout=bound)
        if show:
            show(final=True)  # the finished counts, however short the run
            print(file=sys.stderr)
        elapsed = time.perf_counter() - started
        phases = {"until the execution ended": round(elapsed, 3)}
        cpu = {"until the execution ended": round(time.process_time() - cpu_started, 3)}
        mark, cpu_mark = time.perf_counter(), time.process_time()
        aws.notify.drain(timeout=bound)  # change alerts, the operator alert, the metric events
        measured = usage.measure(aws)  # after the drain: the alerts' emails and the metric events are the run's too
        phases["queues drained"], mark = round(time.perf_counter() - mark, 3), time.perf_counter()
        cpu["queues drained"], cpu_mark = round(time.process_time() - cpu_mark, 3), time.process_time()
        records = aws.run_records(run_id)
        summary = _summary(aws, described, run_id, records, elapsed)
        summary["notifications_sent"] = aws.notify.sent_per_channel()
        summary["usage"] = measured
        _write_reports(aws, records, run_id, out_dir)
        phases["report files written"], mark = round(time.perf_counter() - mark, 3), time.perf_counter()
        cpu["report files written"], cpu_mark = round(time.process_time() - cpu_mark, 3), time.process_time()
        summary["summaries"] = _aggregate_own_run(aws, as_of, out_dir, bound)
        phases["run aggregated"] = round(time.perf_counter() - mark, 3)
        cpu["run aggregated"] = round(time.process_time() - cpu_mark, 3)
        # where the whole process's time went, wall and CPU of the process (bench.pipeline prints them)
        summary["phase_seconds"], summary["phase_cpu_seconds"] = phases, cpu
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n")
    return summary


def _aggregate_own_run(aws: Any, as_of: date, out_dir: Path, timeout: float) -> dict[str, Any]:
    """Apply the run's metric events (the SQS poller, drained), then aggregate the periods of its day,
    its as_of (the aggregation state machine with a one-day backfill), and write DIR/summaries.json."""
    import os
    import uuid

    from chalicelib.core.constants import ENV_AGGREGATION_STATE_MACHINE_ARN
    from local.cli.summaries import read_summaries

    aws.poller.drain(settle=True, timeout=timeout)
    day = as_of.isoformat()  # the day the run's metric events are counted on, whatever the clock says
    arn = aws.sfn.start_execution(stateMachineArn=os.environ[ENV_AGGREGATION_STATE_MACHINE_ARN],
                                  name=f"local-aggregate-{uuid.uuid4().hex[:12]}",
                                  input=json.dumps({"backfill": True, "start_date": day, "end_date": day}))["executionArn"]
    aggregated = aws.wait(arn, timeout=timeout)
    views = _stored_summaries(aws) or read_summaries()
    (out_dir / "summaries.json").write_text(json.dumps(views, indent=2, default=str) + "\n")
    return {"execution_status": aggregated["status"], "day": day, "written": len(views), "file": str(out_dir / "summaries.json")}


def _stored_summaries(aws: Any) -> list[dict[str, Any]]:
    """Every stored summary's view, as `read_summaries` gives them, read in one pass over the
    in-process DynamoDB's own store (LocalAWS runs moto in this process) instead of one Query per
    tenant through botocore and moto's HTTP layer. Empty when there is no in-process table (then
    the caller reads them by key)."""
    from boto3.dynamodb.types import TypeDeserializer

    from chalicelib.core.constants import PK_SUMMARY_PREFIX
    from chalicelib.core.settings import get_settings
    from chalicelib.metrics.aggregation import summary_view
    from local.cli.summaries import in_order

    try:
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.dynamodb.models import dynamodb_backends

        backend = dynamodb_backends[getattr(aws, "account", None) or DEFAULT_ACCOUNT_ID][aws.region or "us-east-1"]
        partitions = dict(backend.get_table(get_settings().table_name).items)
    except Exception:  # noqa: BLE001 - no in-process DynamoDB (a server, a real endpoint)
        return []
    deserialize = TypeDeserializer().deserialize
    views = []
    for hash_value, items in partitions.items():
        if str(hash_value.value).startswith(PK_SUMMARY_PREFIX):
            for item in list(items.values()):
                attributes = item.to_json()["Attributes"]
                views.append(summary_view({name: deserialize(value) for name, value in attributes.items()}))
    return in_order(views)


def _progress_printer(aws: Any, execution_arn: str) -> Any:
    """Progress from the engine's own Map Run counters (one DescribeMapRun per refresh): a refresh
    costs the same for 5 clients as for 50,000 and reads none of our records. The Map Run's ARN comes
    from the parent's history (MapRunStarted), a dozen events whatever the number of clients: the
    children's events are in their own histories."""
    last = {"at": 0.0}
    map_run: dict[str, str] = {}

    def show(final: bool = False) -> None:
        now = time.monotonic()
        if now - last["at"] < 0.5 and not final:
            return
        last["at"] = now
        if not map_run:
            for event in aws.sfn.get_execution_history(executionArn=execution_arn, maxResults=100)["events"]:
                if event["type"] == "MapRunStarted":
                    map_run["arn"] = event["mapRunStartedEventDetails"]["mapRunArn"]
        if map_run:
            counts = aws.sfn.describe_map_run(mapRunArn=map_run["arn"])["itemCounts"]
            text = (f"clients done {counts['succeeded'] + counts['failed']}/{counts['total']} "
                    f"(running {counts['running']}, child failures {counts['failed']})")
        else:
            text = "planning and checking eligibility"
        print(f"\r  run {execution_arn.rsplit(':', 1)[-1][:36]}: {text}, emails sent {len(aws.outbox.sent)}   ",
              end="", file=sys.stderr, flush=True)

    return show


def _summary(aws: Any, described: dict[str, Any], run_id: str, records: dict[str, dict[str, Any]],
             elapsed: float) -> dict[str, Any]:
    from chalicelib.core.executions import OUTCOME_OF_STATUS as STATUS_FOR_SUMMARY, is_problem

    output = json.loads(described.get("output") or "{}")
    clients = []
    for client_id, record in sorted(records.items()):
        status = STATUS_FOR_SUMMARY.get(record.get("status", ""), "failed")
        clients.append({
            "client_id": client_id,
            "status": status,
            "reason": record.get("reason", ""),
            "category": record.get("category"),
            "recommended_action": record.get("recommended_action"),
            "message_id": record.get("message_id"),
            "problem": is_problem(status, record),
            "ce_requests": int(record.get("ce_requests") or 0),
            "spend_reported": record.get("spend_reported"),
            "change_reported": record.get("change_reported"),
            "unsubscribed": int(record.get("unsubscribed") or 0),  # recipients skipped: they unsubscribed
        })
    return {
        "run_id": run_id,
        "execution_status": described["status"],
        "execution_error": described.get("error"),
        "execution_cause": described.get("cause"),
        "report_type": output.get("report_type"),
        "period": output.get("period"),
        "clients": clients,
        "ce_requests": aws.cost_explorer.requests,
        "athena_queries": aws.athena.queries if aws.athena is not None else 0,
        "athena_bytes_scanned": aws.athena.bytes_scanned if aws.athena is not None else 0,
        "emails_sent": len(aws.outbox.sent),
        "recipients_unsubscribed": sum(c["unsubscribed"] for c in clients),
        "lambda_invocations": dict(aws.bridge.invocations),
        "elapsed_seconds": round(elapsed, 3),
    }


REPORT_FILES = ("report.html", "report.txt", "report.csv", "report.xlsx", "report.pdf")  # xlsx, pdf: when asked for


def _write_reports(aws: Any, records: dict[str, dict[str, Any]], run_id: str, out_dir: Path) -> None:
    """Every delivered client's report files, from one pass over the run's objects (no request per
    client): the files the run archived, as they are in the local S3."""
    from chalicelib.core.constants import RUNS_PREFIX

    delivered = {client_id for client_id, record in records.items() if record.get("status") == "completed"}
    wanted = {f"{client_id}/{name}" for client_id in delivered for name in REPORT_FILES}
    found = _run_objects(aws, f"{RUNS_PREFIX}{run_id}/", wanted)
    for client_id in sorted(delivered):
        folder = out_dir / client_id
        folder.mkdir(parents=True, exist_ok=True)
        for name in REPORT_FILES:
            body = found.get(f"{client_id}/{name}")
            if body is None and name in ("report.html", "report.txt", "report.csv"):
                raise FileNotFoundError(f"{RUNS_PREFIX}{run_id}/{client_id}/{name}: a delivered client's report file is missing")
            if body is not None:
                (folder / name).write_bytes(body)


def _run_objects(aws: Any, prefix: str, wanted: set[str]) -> dict[str, bytes]:
    """The `wanted` objects under `prefix` of the stage bucket (by name below the prefix). LocalAWS
    runs moto in this process: they are read from its store in one pass, as the run left them
    (nothing writes under a finished run's prefix), instead of one GetObject round trip through
    botocore and moto's HTTP layer per file (3 to 5 a client). Elsewhere: one listing, then the
    reads of the S3 API."""
    from chalicelib.core.settings import get_settings

    bucket_name = get_settings().bucket_name
    try:
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.s3.models import s3_backends

        keys = s3_backends[getattr(aws, "account", None) or DEFAULT_ACCOUNT_ID]["global"].get_bucket(bucket_name).keys
    except Exception:  # noqa: BLE001 - no in-process S3 (a server, a real endpoint): the S3 API
        present = set(aws.artefact_names(prefix)) & wanted
        return {name: aws.read_artefact_bytes(prefix + name) for name in present}
    return {key[len(prefix):]: version.value for key, version in keys.items()
            if key.startswith(prefix) and key[len(prefix):] in wanted}


DETAIL_CHARS = 70


def cut(text: str, limit: int = DETAIL_CHARS) -> str:
    """`text` within `limit` characters: cut at a word boundary with an ellipsis, never silently."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    head = text[:limit - 1]
    space = head.rfind(" ")
    return (head[:space] if space > limit // 2 else head).rstrip(" ,;:") + "\u2026"


def print_table(summary: dict[str, Any], out_dir: Path | None = None) -> None:
    """One line per client: its outcome, the total and change its report shows, where the report was
    written (delivered clients), or why not (the reason, cut with an ellipsis)."""
    from decimal import Decimal

    from chalicelib.core.formatting import format_money

    rows = []
    for c in summary["clients"]:
        total = format_money(Decimal(str(c["spend_reported"]))) if c.get("spend_reported") is not None else "-"
        change = c.get("change_reported") or "-"
        if c["status"] == "delivered" and out_dir is not None:
            detail = str(out_dir / c["client_id"] / "report.html")
        else:
            detail = cut(c["reason"] or c.get("message_id") or "")
        rows.append((c["client_id"], c["status"], total, change, detail))
    headers = ("client", "status", "total", "change", "report / reason")
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers[:-1])]

    def line(cells: tuple[str, ...]) -> str:
        first = [cells[0].ljust(widths[0]), cells[1].ljust(widths[1]), cells[2].rjust(widths[2]),
                 cells[3].ljust(widths[3])]
        return "  ".join([*first, cells[4]]).rstrip()

    print()
    print(line(headers))
    print(line(tuple("-" * w for w in widths) + ("-" * 40,)))
    for row in rows:
        print(line(row))
    counts = {s: sum(c['status'] == s for c in summary['clients']) for s in ('delivered', 'skipped', 'failed')}
    print(f"\nexecution {summary['execution_status']} in {summary['elapsed_seconds']} s: "
          f"{counts['delivered']} delivered, {counts['skipped']} skipped, {counts['failed']} failed; "
          f"{summary['ce_requests']} Cost Explorer requests, {summary['emails_sent']} emails"
          + (f", {summary['recipients_unsubscribed']} recipient(s) skipped as unsubscribed"
             if summary.get("recipients_unsubscribed") else ""))
    sent = summary.get("notifications_sent") or {}
    if sent:
        print("notifications sent: " + ", ".join(f"{channel} {count}" for channel, count in sent.items())
              + " (files under notifications/<client_id>/)")
    if summary.get("execution_error"):
        print(f"error: {summary['execution_error']}: {_cause(summary.get('execution_cause'))}")
    aggregated = summary.get("summaries")
    if aggregated:
        print(f"run summaries of {aggregated['day']} (aggregation {aggregated['execution_status']}): "
              f"{aggregated['written']} in {aggregated['file']}")


def _cause(cause: Any) -> str:
    """The stage's own message out of the Lambda error JSON (never a stack trace)."""
    try:
        return str(json.loads(cause).get("errorMessage", cause))
    except (TypeError, ValueError, AttributeError):
        return str(cause)

"""`python -m local budgets`: the budget check state machine on an in-process AWS, then the
notification queue drained the way Lambda's event source mapping would (webhooks to a loopback
server, SES and SNS captured), everything accepted written under OUT/notifications/<client_id>/."""

from __future__ import annotations

import argparse
import json
import time
from datetime import date
from pathlib import Path
from typing import Any

from local.cli.common import (
    COSTS_HELP,
    EXIT_BAD_INPUT,
    EXIT_EXECUTION_FAILED,
    EXIT_OK,
    SAMPLES,
    as_of_date,
    open_month,
    read_inputs,
)

HELP = "run the budget check state machine, then deliver its notifications"
EXAMPLES = (
    "python -m local budgets                               # every sample client's budgets, as of the data's end",
    "python -m local budgets --client-id acme-retail --reruns 2   # nothing is announced twice",
)


def add_arguments(budgets: argparse.ArgumentParser) -> None:
    budgets.add_argument("--clients", type=Path, default=SAMPLES / "clients.json", help="JSON list of client configs")
    budgets.add_argument("--costs", type=Path, default=SAMPLES / "costs.csv", help=COSTS_HELP)
    budgets.add_argument("--organizations", type=Path, default=SAMPLES / "organizations.json",
                         help="payer account -> [{Id, Name}] answered by organizations:ListAccounts")
    budgets.add_argument("--as-of", type=as_of_date, default=None,
                         help="YYYY-MM-DD (default: the day after the last date in the cost data, the emulator's today)")
    budgets.add_argument("--client-id", default=None, help="check this client only")
    budgets.add_argument("--reruns", type=int, default=0, choices=range(11), metavar="N",
                         help="start N more executions with the same input afterwards (shows nothing is sent twice)")
    budgets.add_argument("--out", type=Path, default=Path("out"), help="notifications land in OUT/notifications/<client_id>/")


def command(args: argparse.Namespace) -> int:
    inputs = read_inputs(args)
    if inputs is None:
        return EXIT_BAD_INPUT
    clients, costs, _organizations, as_of = inputs
    run_input: dict[str, Any] = {"as_of": as_of.isoformat()}
    if args.client_id:
        run_input["client_id"] = args.client_id
    summary = check_locally(clients, costs, run_input, args.out, reruns=args.reruns)
    print_summary(summary)
    return EXIT_OK if all(run["execution_status"] == "SUCCEEDED" for run in summary["runs"]) else EXIT_EXECUTION_FAILED


def check_locally(clients: list[Any], costs: Any, run_input: dict[str, Any], out_dir: Path, reruns: int = 0) -> dict[str, Any]:
    from local.aws.runtime import LocalAWS

    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    runs = []
    # Cost Explorer marks the open month estimated, as on the run date (local/cli/common.open_month).
    estimated_from = open_month(date.fromisoformat(run_input["as_of"]))
    with LocalAWS(out_dir=out_dir, costs=costs, clients=clients, estimated_from=estimated_from) as aws:
        for attempt in range(1 + reruns):
            name = f"local-budget-{run_input['as_of']}-{attempt}"
            described = aws.wait(aws.notify.start_budget_check(run_input, name))
            output = json.loads(described.get("output") or "{}")
            drained = aws.notify.drain()
            runs.append({"execution": name, "execution_status": described["status"],
                         "execution_error": described.get("error"), "execution_cause": described.get("cause"),
                         "notifications_queued": output.get("notifications_queued", 0),
                         "problems": output.get("problems", 0),
                         "sent_so_far": aws.notify.sent_per_channel(), "operator_alerts_so_far": _operator_alerts(aws),
                         "queue": drained, "output": output})
        summary = {
            "as_of": run_input["as_of"],
            "runs": runs,
            "clients": runs[0]["output"].get("clients", []),
            "notifications_sent_per_channel": aws.notify.sent_per_channel(),
            "duplicates_after_reruns": _duplicates(runs),
            "dead_letter_queue_depth": aws.notify.dlq_depth(),
            "ce_requests": aws.cost_explorer.requests,
            "elapsed_seconds": round(time.perf_counter() - started, 3),
        }
    (out_dir / "budgets_summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n")
    return summary


def _operator_alerts(aws: Any) -> int:
    """Operator alerts published: each run with problems sends its own (not a repeat)."""
    return sum(1 for published in aws.notify.published if published.get("TopicArn") == aws.alert_topic_arn)


def _duplicates(runs: list[dict[str, Any]]) -> int:
    """Client notifications sent by the reruns (each file is one accepted send: a repeat would have
    added one); the reruns' own operator alerts are not repeats."""
    first = sum(runs[0]["sent_so_far"].values()) - runs[0]["operator_alerts_so_far"]
    return sum(runs[-1]["sent_so_far"].values()) - runs[-1]["operator_alerts_so_far"] - first


def print_summary(summary: dict[str, Any]) -> None:
    clients = summary["clients"]
    width = max([len("client")] + [len(c["client_id"]) for c in clients])
    print(f"\nbudget check as of {summary['as_of']}\n")
    print(f"{'client'.ljust(width)}  {'status':8}  detail")
    print(f"{'-' * width}  {'-' * 8}  {'-' * 40}")
    for c in clients:
        detail = ", ".join(c.get("crossed") or []) or c.get("reason") or "nothing crossed"
        print(f"{c['client_id'].ljust(width)}  {c['status']:8}  {detail[:100]}")
    for run in summary["runs"]:
        error = ""
        if run.get("execution_error"):  # the Lambda error's message, not its JSON and stack trace
            from chalicelib.core.errors import error_details

            error = f" ({run['execution_error']}: {error_details(run['execution_error'], run['execution_cause'])['message']})"
        problems = f", {run['problems']} problem(s) in the operator alert" if run.get("problems") else ""
        print(f"\n{run['execution']}: {run['execution_status']}{error}, {run['notifications_queued']} notification(s) queued"
              f"{problems}, queue: {run['queue']['received']} received, {run['queue']['failed']} failed")
    per_channel = ", ".join(f"{k} {v}" for k, v in summary["notifications_sent_per_channel"].items()) or "none"
    print(f"\nsent per channel: {per_channel}; duplicates after {len(summary['runs']) - 1} rerun(s): "
          f"{summary['duplicates_after_reruns']}; dead-letter queue: {summary['dead_letter_queue_depth']}; "
          f"{summary['ce_requests']} Cost Explorer requests; {summary['elapsed_seconds']} s")

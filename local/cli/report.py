"""`python -m local report --client-id ID`: one client's report rendered on demand by the report_pdf
function (invoked through the Lambda bridge, as `aws lambda invoke` would), saved under --out and its
path printed."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

from local.cli.common import COSTS_HELP, EXIT_BAD_INPUT, SAMPLES, read_inputs

HELP = "render one client's report on demand (the report_pdf function) and print its path"
EXAMPLES = (
    "python -m local report --client-id globex-logistics                  # this week's PDF",
    "python -m local report --client-id acme-retail --format xlsx --report-type monthly --as-of 2026-11-01",
)


def add_arguments(report: argparse.ArgumentParser) -> None:
    report.add_argument("--client-id", required=True, help="whose report (an id in the clients file)")
    report.add_argument("--format", choices=("pdf", "xlsx", "html"), default="pdf", help="what to render")
    report.add_argument("--report-type", choices=("daily", "weekly", "monthly"), default="weekly", help="which report")
    report.add_argument("--as-of", type=date.fromisoformat, default=None,
                        help="YYYY-MM-DD (default: the day after the last date in the cost data)")
    report.add_argument("--clients", type=Path, default=SAMPLES / "clients.json", help="JSON list of client configs")
    report.add_argument("--costs", type=Path, default=SAMPLES / "costs.csv", help=COSTS_HELP)
    report.add_argument("--organizations", type=Path, default=SAMPLES / "organizations.json",
                        help="payer account -> [{Id, Name}] answered by organizations:ListAccounts")
    report.add_argument("--out", type=Path, default=Path("out"), help="output folder (default: out/)")


def command(args: argparse.Namespace) -> int:
    """Invoke report_pdf synchronously (through the Lambda bridge, as `aws lambda invoke` would) and
    save what its report_key holds: the same function, stage code and S3 object as in AWS."""
    from local.aws.runtime import LocalAWS

    inputs = read_inputs(args, check_client_id=False)
    if inputs is None:
        return EXIT_BAD_INPUT
    clients, costs, organizations, as_of = inputs
    payload = {"client_id": args.client_id, "report_type": args.report_type, "as_of": as_of.isoformat(),
               "format": args.format}
    with LocalAWS(out_dir=args.out, costs=costs, clients=clients, organizations=organizations,
                  estimated_from=as_of.replace(day=1)) as aws:
        reply = aws.session.client("lambda").invoke(FunctionName=aws.stage.function_name("report_pdf"),
                                                    Payload=json.dumps(payload).encode())
        result = json.loads(reply["Payload"].read())
        if reply.get("FunctionError"):
            print(f"error: {result.get('errorType')}: {result.get('errorMessage')}", file=sys.stderr)
            return 1
        body = aws.read_artefact_bytes(result["report_key"])
    path = args.out / args.client_id / f"report-{args.report_type}-{as_of.isoformat()}.{args.format}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)
    print(f"s3 key: {result['report_key']} ({len(body):,} bytes, {result['ce_requests']} Cost Explorer requests; "
          f"presigned URL valid 1 hour)", file=sys.stderr)
    print(path)
    return 0

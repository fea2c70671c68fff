"""What the subcommands share: the sample inputs, the exit codes, the --as-of type, and reading the
clients, cost and organizations files (a bad file or an unknown --client-id is exit 2, named)."""

from __future__ import annotations

import argparse
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

SAMPLES = Path(__file__).resolve().parents[1] / "samples"

EXIT_OK, EXIT_EXECUTION_FAILED, EXIT_BAD_INPUT, EXIT_CLIENT_PROBLEMS = 0, 1, 2, 3
COSTS_HELP = ("cost data: a Cost Explorer CSV (date,account_id,service,amount[,record_type,...]), or a FOCUS 1.x "
              "or CUR 2.0 file (CSV, gzipped CSV or Parquet), laid out in the local S3 as a billing export; "
              "its AWS rows also feed the local Cost Explorer")

Inputs = tuple[list[dict[str, Any] | str], Any, dict[str, Any], date]


def as_of_date(text: str) -> date:
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(f"as_of must be a date YYYY-MM-DD, got {text!r}")


def read_inputs(args: argparse.Namespace, check_client_id: bool = True) -> Inputs | None:
    """(clients, costs, organizations, as_of) from the command line; None once the problem is printed
    (an unreadable or invalid file, or with `check_client_id` a --client-id not in the clients file)."""
    try:
        inputs = _inputs(args)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None
    unknown = unknown_client_id(args, inputs[0]) if check_client_id else None
    if unknown:
        print(f"error: {unknown}", file=sys.stderr)
        return None
    return inputs


def _inputs(args: argparse.Namespace) -> Inputs:
    """OSError/ValueError when a file is unreadable or invalid."""
    from local.aws.client_configs import load_clients
    from local.aws.exports.files import read_costs
    from local.aws.organizations import load as load_organizations

    clients = from_option("--clients", args.clients, load_clients)
    costs = from_option("--costs", args.costs, read_costs)  # a Cost Explorer CSV, a FOCUS 1.x or a CUR 2.0 file
    organizations = from_option("--organizations", args.organizations, load_organizations)
    return clients, costs, organizations, args.as_of or ((costs.last_day or date.today()) + timedelta(days=1))


def from_option(option: str, path: Path, load: Any) -> Any:
    """load(path); a file that is missing, unreadable or invalid is a ValueError naming the option."""
    try:
        return load(path)
    except FileNotFoundError:
        raise ValueError(f"{option} {path}: no such file") from None
    except OSError as exc:
        raise ValueError(f"{option} {path}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise ValueError(f"{option} {path}: {exc}") from None


def unknown_client_id(args: argparse.Namespace, clients: list[Any]) -> str | None:
    """The error for a --client-id that is not in the clients file (listing known ids), else None."""
    from local.aws.client_configs import client_id_of

    if not args.client_id:
        return None
    known = [cid for cid in map(client_id_of, clients) if cid]
    if args.client_id in known:
        return None
    listed = ", ".join(known[:5]) + (f" and {len(known) - 5} more" if len(known) > 5 else "")
    return f"--client-id {args.client_id!r} is not in the clients file {args.clients} (known: {listed or 'none'})"


def open_month(as_of: date) -> date:
    """The first day Cost Explorer still marks estimated on the run date: the month of the last
    complete day is open (its bill is not final). On 2026-11-01 October is estimated; on 2026-11-20
    only November's days are."""
    return (as_of - timedelta(days=1)).replace(day=1)

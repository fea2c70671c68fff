"""`python -m local serve`: a persistent AWS-compatible endpoint on 127.0.0.1 with the app deployed
into it (local/aws/server.py), a banner, then exactly one line `READY <endpoint-url> <state-machine-arn>`.

python -m local serve [--port 4566] [--clients FILE.json] [--costs FILE.csv] [--out DIR]
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from local.cli.common import COSTS_HELP, EXIT_BAD_INPUT, EXIT_OK, SAMPLES

HELP = "a persistent local AWS endpoint on 127.0.0.1 with the app deployed into it"


def add_arguments(serve: argparse.ArgumentParser) -> None:
    serve.add_argument("--port", type=int, default=4566, help="port on 127.0.0.1 (default: 4566)")
    serve.add_argument("--clients", type=Path, default=SAMPLES / "clients.json", help="JSON list of client configs")
    serve.add_argument("--costs", type=Path, default=SAMPLES / "costs.csv", help=COSTS_HELP)
    serve.add_argument("--out", type=Path, default=Path("out"), help="emails land in OUT/<client_id>/ (default: out/)")


def command(args: argparse.Namespace) -> int:
    """The `python -m local serve` command: deploy, print the banner, then exactly one `READY ...`
    line; run until Ctrl-C or SIGTERM, then stop cleanly (exit 0)."""
    from local.aws.client_configs import load_clients
    from local.aws.exports.files import read_costs
    from local.aws.server import LocalServer

    try:
        clients = load_clients(args.clients)
        costs = read_costs(args.costs)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    server = LocalServer(port=args.port, clients=clients, costs=costs, out_dir=args.out, log=lambda line: print(line, flush=True))
    stop_early = signal.signal(signal.SIGTERM, lambda signum, frame: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        server.start()
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:  # start() has cleaned up already
        return 130
    finally:
        signal.signal(signal.SIGTERM, stop_early)
    try:
        print(server.banner(), flush=True)
        print(server.ready_line, flush=True)
        server.wait()
    finally:
        server.stop()
    return EXIT_OK

"""`python -m local serve`: a persistent AWS-compatible endpoint on 127.0.0.1 with the app deployed
into it (local/aws/server.py), a banner, then exactly one line `READY <endpoint-url> <state-machine-arn>`.

python -m local serve [--port 4566] [--clients FILE.json] [--costs FILE.csv] [--out DIR]
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from local.cli.common import COSTS_HELP, EXIT_BAD_INPUT, EXIT_OK, SAMPLES, from_option

HELP = "a persistent local AWS endpoint on 127.0.0.1 with the app deployed into it"
EXAMPLES = (
    "python -m local serve                                 # port 4566, the sample clients and costs",
    "python -m local serve --port 4600 --verbose           # with the deploy log",
)


def add_arguments(serve: argparse.ArgumentParser) -> None:
    serve.add_argument("--port", type=int, default=4566, help="port on 127.0.0.1 (default: 4566)")
    serve.add_argument("--clients", type=Path, default=SAMPLES / "clients.json", help="JSON list of client configs")
    serve.add_argument("--costs", type=Path, default=SAMPLES / "costs.csv", help=COSTS_HELP)
    serve.add_argument("--out", type=Path, default=Path("out"), help="emails land in OUT/<client_id>/ (default: out/)")
    serve.add_argument("--verbose", action="store_true", help="print the deploy log (each resource, chalice deploy)")


class DeployLog:
    """The server's log: the deploy's lines are kept (shown with --verbose, or when the start fails),
    its first line (where it deploys) is always shown."""

    def __init__(self, verbose: bool) -> None:
        self.quiet = not verbose
        self.kept: list[str] = []
        self.resources = 0

    def __call__(self, line: str) -> None:
        if line.lstrip().startswith("created") or line.lstrip().startswith("updated"):
            self.resources += 1
        if self.quiet and self.kept:
            self.kept.append(line)
            return
        self.kept.append(line)
        print(line, flush=True)

    def replay(self) -> None:
        if self.quiet:
            print("\n".join(self.kept[1:]), file=sys.stderr, flush=True)


def command(args: argparse.Namespace) -> int:
    """The `python -m local serve` command: deploy, print the banner, then exactly one `READY ...`
    line; run until Ctrl-C or SIGTERM, then stop cleanly (exit 0)."""
    from local.aws.client_configs import load_clients
    from local.aws.exports.files import read_costs
    from local.aws.server import LocalServer

    try:
        clients = from_option("--clients", args.clients, load_clients)
        costs = from_option("--costs", args.costs, read_costs)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    log = DeployLog(verbose=args.verbose)
    server = LocalServer(port=args.port, clients=clients, costs=costs, out_dir=args.out, log=log)
    stop_early = signal.signal(signal.SIGTERM, lambda signum, frame: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        server.start()
    except OSError as exc:
        log.replay()
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:  # start() has cleaned up already
        return 130
    finally:
        signal.signal(signal.SIGTERM, stop_early)
    log.quiet = False  # from here on (stopping...), every line is shown
    if not args.verbose:
        print(f"deployed: {log.resources} resources and the functions (--verbose shows the deploy log)", flush=True)
    try:
        print(server.banner(), flush=True)
        print(server.ready_line, flush=True)
        server.wait()
    finally:
        server.stop()
    return EXIT_OK

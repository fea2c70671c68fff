"""`python -m local`: the pipeline on an in-process AWS, on sample or given data; one module a
subcommand under local/cli/ (see local/README.md).

python -m local scrape NAME [--as-of YYYY-MM-DD] [--dry-run]   (the market-signal scrapers, see local/cli/scrape.py)
python -m local run [--clients FILE.json] [--costs FILE.csv] [--report-type daily|weekly|monthly]
                    [--as-of YYYY-MM-DD] [--client-id ID] [--force] [--out DIR]
python -m local serve [--port 4566] ...
python -m local summaries [--period daily|weekly|monthly|yearly] [--client-id ID] [--json]
python -m local budgets [--clients FILE.json] [--costs FILE.csv] [--as-of YYYY-MM-DD] [--client-id ID]
                        [--reruns N] [--out DIR]
python -m local report --client-id ID [--format pdf|xlsx|html] [--report-type ...] [--as-of ...]

Exit codes: 0 every client delivered or skipped for a benign reason (already delivered, not ACTIVE,
report type not enabled); 3 any client failed or was skipped as a problem; 1 the execution failed;
2 unreadable or invalid input (files, options). It writes only its own files under --out.
"""

from __future__ import annotations

import argparse
import sys

from local.cli import budgets, report, run, scrape, serve, summaries

# In the order `python -m local --help` lists them.
COMMANDS = {"run": run, "budgets": budgets, "serve": serve, "summaries": summaries, "scrape": scrape, "report": report}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local", description="Run the cost report pipeline locally.")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, module in COMMANDS.items():
        module.add_arguments(commands.add_parser(name, help=module.HELP))
    args = parser.parse_args(argv)
    return COMMANDS[args.command].command(args)


if __name__ == "__main__":
    sys.exit(main())

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
from pathlib import Path

from local.cli import budgets, report, run, scrape, serve, summaries

# In the order `python -m local --help` lists them.
COMMANDS = {"run": run, "budgets": budgets, "serve": serve, "summaries": summaries, "scrape": scrape, "report": report}


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """The description and examples as written; every option with a default says it (unless its help does)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if "default" in text or default in (None, False, argparse.SUPPRESS) or action.option_strings == []:
            return text
        shown = default.name if isinstance(default, Path) and default.parent.name == "samples" else default
        return f"{text} (default: {'the sample ' + str(shown) if shown is not default else shown})".strip()


def description(module: object) -> str:
    """The subcommand module's docstring, its first paragraph: what the command does."""
    doc = (module.__doc__ or "").strip()
    return doc.split("\n\n")[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local", description="Run the cost report pipeline locally.",
                                     epilog="`python -m local COMMAND --help` describes each command, with examples.")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, module in COMMANDS.items():
        examples = "\n".join(f"  {line}" for line in module.EXAMPLES)
        module.add_arguments(commands.add_parser(name, help=module.HELP, description=description(module),
                                                 epilog=f"examples:\n{examples}", formatter_class=HelpFormatter))
    args = parser.parse_args(argv)
    return COMMANDS[args.command].command(args)


if __name__ == "__main__":
    sys.exit(main())

"""`python -m infra ...`: generate the files derived from the description; add a stage.

  python -m infra generate            write .chalice/config.json, .chalice/policies/, resources.yaml
  python -m infra generate --check    exit 1 and say what differs (the tests run it)
  python -m infra stage add NAME --like STAGE
                                      a new stage with STAGE's settings, then generate
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    from infra import generate, stages

    parser = argparse.ArgumentParser(prog="python -m infra", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    gen = commands.add_parser("generate", help="write every generated file from the description")
    gen.add_argument("--check", action="store_true", help="write nothing; exit 1 when a generated file differs")
    stage = commands.add_parser("stage", help="manage stages (infra/stages.json)")
    stage_commands = stage.add_subparsers(dest="stage_command", required=True)
    add = stage_commands.add_parser("add", help="add a stage with the settings of another")
    add.add_argument("name")
    add.add_argument("--like", required=True, help="the stage whose settings to copy (e.g. dev)")
    args = parser.parse_args(argv)

    try:
        if args.command == "stage":
            stages.add_stage(args.name, args.like)
            print(f"added stage {args.name!r} to infra/stages.json (settings of {args.like!r})")
        elif args.check:
            problems = generate.drift()
            for problem in problems:
                print(problem)
            if problems:
                print("generated files differ from the description: run python -m infra generate", file=sys.stderr)
                return 1
            print("generated files are up to date")
            return 0
        for line in generate.write() or ["generated files are up to date"]:
            print(line)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Deploy or tear down a stage: `python deploy.py --stage STAGE [--teardown]`.

Creates or updates, idempotently, everything infra/description.py describes besides the functions
(tables, buckets, queues with their DLQs, topics, the SES configuration set, log groups), runs
`chalice deploy`, then the state machines with the deployed function ARNs, the functions' ARN/URL
variables, the alarms and the dashboard; prints what it created, updated or left unchanged. A
second run with nothing changed changes nothing. `--teardown` removes all of it (`chalice delete`
included). The order is in infra/deployer.py, each kind of resource in infra/kinds/.

Honours AWS_ENDPOINT_URL: `AWS_ENDPOINT_URL=http://127.0.0.1:4566 python deploy.py --stage local`
deploys into a local endpoint (e.g. `python -m local serve`). See docs/DEPLOY.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    from botocore.exceptions import BotoCoreError, ClientError

    from infra.deployer import Deployer, DeployError
    from infra.stage import load_stage, stage_names

    parser = argparse.ArgumentParser(prog="python deploy.py", description=__doc__.splitlines()[0])
    parser.add_argument("--stage", required=True, help=f"a stage of infra/stages.json ({', '.join(stage_names(ROOT))})")
    parser.add_argument("--teardown", action="store_true", help="delete everything the stage deployed")
    parser.add_argument("--yes", action="store_true", help="do not ask before a teardown")
    parser.add_argument("--offline", action="store_true",
                        help="build the Lambda package from this environment's installed packages instead of letting "
                             "chalice download Lambda wheels (no registry access; for local endpoints and CI)")
    parser.add_argument("--force-chalice", action="store_true",
                        help="run chalice deploy even when its inputs are unchanged since the last deploy")
    parser.add_argument("--project-dir", type=Path, default=ROOT, help="the Chalice project (default: this repository)")
    args = parser.parse_args(argv)

    project_dir = args.project_dir.resolve()
    try:
        stage = load_stage(args.stage, project_dir)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    deployer = Deployer(stage, offline=args.offline, force_chalice=args.force_chalice, out=lambda line: print(line, flush=True))
    try:
        if args.teardown:
            if not args.yes and not _confirm(stage.name, deployer):
                print("teardown cancelled")
                return 1
            deployer.teardown()
        else:
            deployer.deploy()
    except (DeployError, BotoCoreError, ClientError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def _confirm(stage: str, deployer) -> bool:
    if not sys.stdin.isatty():
        print("error: --teardown deletes the table (delivery ledger), the reports and the functions; "
              "pass --yes to confirm", file=sys.stderr)
        return False
    answer = input(f"Delete everything of stage {stage!r} in account {deployer.account} ({deployer.region})? "
                   f"Type the stage name: ")
    return answer.strip() == stage


if __name__ == "__main__":
    sys.exit(main())

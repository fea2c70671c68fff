"""Least-privilege IAM policies, one per function and stage: `.chalice/policies/<stage>/<function>.json`.

Chalice reads these files as they are (`"autogen_policy": false` + `iam_policy_file`), so they
are generated here from what each stage's code does and committed; `python -m deploy_support.policies`
rewrites them after a change, `--check` fails when a committed file differs (run by the tests).

What each function may do (read from chalicelib/, see the table in docs/DEPLOY.md):
  - DynamoDB: only the actions it calls, only on the stage's table, and only on the partition
    keys it uses (`dynamodb:LeadingKeys`: CLIENTS, DELIVERY#..., RUN#..., RUNS, idempotency#deliver).
  - S3: objects under `runs/` of the stage's bucket (readers may also list `runs/`, so a missing
    object is a 404 and not an AccessDenied that would be misclassified as a permissions problem).
  - Cost Explorer GetCostAndUsage: `Resource: *`, CE has no resource-level permissions.
  - sts:AssumeRole (payer-account roles of clients): any role, but only with an ExternalId, only
    with the session name the code uses and never a role in this very account.
  - SES: SendEmail/SendRawEmail from the account's verified identities and the stage's
    configuration set (SES only lets verified identities send anyway).
  - SNS publish to the stage's operator topic; Step Functions StartExecution on the stage's state
    machine; CloudWatch Logs to the function's own log group; X-Ray segments when tracing is on.

Account and region are `*` in ARNs: Chalice does not template policy files, and names are unique
per stage (another account's resource would also need its own resource policy to let us in).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from chalicelib.core.constants import (
    PK_CLIENTS,
    PK_DELIVERY_PREFIX,
    PK_IDEMPOTENCY_DELIVER,
    PK_RUN_PREFIX,
    PK_RUNS,
    ROLE_SESSION_PREFIX,
)
from deploy_support.project import ROOT, Stage, load_stage, stage_names

# Partition keys (pk) each function reads or writes: chalicelib/core/constants.py.
DYNAMODB_ACCESS: dict[str, tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]] = {
    # function: one (actions, leading keys) grant per kind of item it touches
    "plan": ((("dynamodb:UpdateItem",), (f"{PK_RUN_PREFIX}*",)),),
    "eligibility": (
        (("dynamodb:Query", "dynamodb:GetItem"), (PK_CLIENTS,)),
        (("dynamodb:BatchGetItem",), (f"{PK_DELIVERY_PREFIX}*",)),
        (("dynamodb:BatchWriteItem",), (f"{PK_RUN_PREFIX}*",)),
    ),
    "collect_costs": (
        (("dynamodb:GetItem",), (PK_CLIENTS,)),
        (("dynamodb:PutItem",), (f"{PK_RUN_PREFIX}*",)),  # the client's record: running
    ),
    "deliver_report": (
        # Powertools idempotency (get/put/update/delete of its record) + the delivery ledger.
        (("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"), (PK_IDEMPOTENCY_DELIVER,)),
        (("dynamodb:PutItem",), (f"{PK_DELIVERY_PREFIX}*",)),
    ),
    "record_result": ((("dynamodb:PutItem",), (f"{PK_RUN_PREFIX}*",)),),
    "summarize_run": (
        (("dynamodb:Query", "dynamodb:UpdateItem"), (f"{PK_RUN_PREFIX}*",)),
        (("dynamodb:PutItem",), (PK_RUNS,)),
    ),
}
S3_ACCESS: dict[str, tuple[str, ...]] = {
    "collect_costs": ("s3:PutObject",),
    "render_report": ("s3:GetObject", "s3:PutObject"),
    "deliver_report": ("s3:GetObject",),
}


def policy_for(stage: Stage, function: str) -> dict[str, Any]:
    spec = stage.function(function)
    statements: list[dict[str, Any]] = []
    log_group = f"arn:aws:logs:*:*:log-group:{stage.lambda_log_group(function)}"
    statements.append({
        "Sid": "OwnLogs",
        "Effect": "Allow",
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": [f"{log_group}:log-stream:*"],
    })
    if stage.xray:
        statements.append({
            "Sid": "Tracing",
            "Effect": "Allow",
            "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
            "Resource": "*",  # X-Ray has no resource-level permissions for these actions
        })
    for index, (actions, leading_keys) in enumerate(DYNAMODB_ACCESS.get(function, ()), start=1):
        statements.append({
            "Sid": f"ProjectTable{index}",
            "Effect": "Allow",
            "Action": list(actions),
            "Resource": [f"arn:aws:dynamodb:*:*:table/{stage.table_name}"],
            "Condition": {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": list(leading_keys)}},
        })
    if function in S3_ACCESS:
        actions = S3_ACCESS[function]
        statements.append({
            "Sid": "RunArtefacts",
            "Effect": "Allow",
            "Action": list(actions),
            "Resource": [f"arn:aws:s3:::{stage.bucket_name}/runs/*"],
        })
        if "s3:GetObject" in actions:
            statements.append({
                "Sid": "ListRunArtefacts",
                "Effect": "Allow",
                "Action": ["s3:ListBucket"],
                "Resource": [f"arn:aws:s3:::{stage.bucket_name}"],
                "Condition": {"StringLike": {"s3:prefix": ["runs/*"]}},
            })
    if function == "collect_costs":
        statements.append({
            "Sid": "CostExplorer",
            "Effect": "Allow",
            "Action": ["ce:GetCostAndUsage"],
            "Resource": "*",  # Cost Explorer has no resource-level permissions
        })
        statements.append({
            "Sid": "ClientPayerRoles",
            "Effect": "Allow",
            "Action": ["sts:AssumeRole"],
            "Resource": ["arn:aws:iam::*:role/*"],
            "Condition": {
                "Null": {"sts:ExternalId": "false"},
                "StringLike": {"sts:RoleSessionName": f"{ROLE_SESSION_PREFIX}*"},
                "StringNotEquals": {"aws:ResourceAccount": "${aws:PrincipalAccount}"},
            },
        })
    if function == "deliver_report":
        statements.append({
            "Sid": "SendThroughConfigurationSet",
            "Effect": "Allow",
            "Action": ["ses:SendEmail", "ses:SendRawEmail"],
            "Resource": [
                "arn:aws:ses:*:*:identity/*",
                f"arn:aws:ses:*:*:configuration-set/{stage.configuration_set}",
            ],
        })
    if function == "summarize_run":
        statements.append({
            "Sid": "OperatorAlerts",
            "Effect": "Allow",
            "Action": ["sns:Publish"],
            "Resource": [f"arn:aws:sns:*:*:{stage.alert_topic_name}"],
        })
    if spec.kind == "trigger":
        statements.append({
            "Sid": "StartScheduledRun",
            "Effect": "Allow",
            "Action": ["states:StartExecution"],
            "Resource": [f"arn:aws:states:*:*:stateMachine:{stage.state_machine_name()}"],
        })
    return {"Version": "2012-10-17", "Statement": statements}


def policy_path(stage: Stage, function: str) -> Path:
    spec = stage.function(function)
    if not spec.policy_file:
        raise ValueError(f"stage {stage.name}: function {function} has no iam_policy_file in .chalice/config.json")
    return stage.project_dir / ".chalice" / spec.policy_file


def render(policy: dict[str, Any]) -> str:
    return json.dumps(policy, indent=2) + "\n"


def sync(project_dir: Path = ROOT, check: bool = False) -> list[Path]:
    """Write every stage's policy files; with check, write nothing and return the stale ones."""
    stale = []
    for name in stage_names(project_dir):
        stage = load_stage(name, project_dir)
        for spec in stage.functions:
            path = policy_path(stage, spec.name)
            text = render(policy_for(stage, spec.name))
            if not path.exists() or path.read_text() != text:
                stale.append(path)
                if not check:
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_text(text)
    return stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy_support.policies", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report files that differ from the generated ones")
    args = parser.parse_args(argv)
    stale = sync(check=args.check)
    for path in stale:
        print(f"{'stale' if args.check else 'wrote'}: {path.relative_to(ROOT)}")
    return 1 if (args.check and stale) else 0


if __name__ == "__main__":
    sys.exit(main())

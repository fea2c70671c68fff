"""IAM roles that deploy.py makes itself (the state machines'); the functions' roles are Chalice's."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from infra.kinds.base import Context, code, policy_document, same


def ensure(ctx: Context, name: str, trust: dict[str, Any], policy_name: str, policy: dict[str, Any],
           description: str) -> None:
    iam = ctx.client("iam")
    created, changes = False, []
    try:
        existing = iam.get_role(RoleName=name)["Role"]
        if not same(trust, policy_document(existing.get("AssumeRolePolicyDocument"))):
            iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(trust))
            changes.append("trust policy")
    except ClientError as exc:
        if code(exc) != "NoSuchEntity":
            raise
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust), Description=description,
                        Tags=ctx.tag_list())
        created = True
    try:
        attached = policy_document(iam.get_role_policy(RoleName=name, PolicyName=policy_name)["PolicyDocument"])
    except ClientError as exc:
        if code(exc) != "NoSuchEntity":
            raise
        attached = None
    if not same(policy, attached):
        iam.put_role_policy(RoleName=name, PolicyName=policy_name, PolicyDocument=json.dumps(policy))
        changes.append(f"{policy_name} policy")
    ctx.report.record(f"IAM role {name}", created, changes)


def delete(ctx: Context, name: str) -> None:
    iam = ctx.client("iam")
    try:
        for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]:
            iam.delete_role_policy(RoleName=name, PolicyName=policy)
        for attached in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
            iam.detach_role_policy(RoleName=name, PolicyArn=attached["PolicyArn"])
        iam.delete_role(RoleName=name)
        ctx.report.add(f"IAM role {name}", "deleted")
    except ClientError as exc:
        if code(exc) != "NoSuchEntity":
            raise
        ctx.report.add(f"IAM role {name}", "absent")

"""The unsubscribe links' HMAC key (the Api's `key_secret` under the stage's secrets prefix): created
with one random key when missing, never overwritten (rotation is the operator's: docs/clients.md),
deleted by `deploy.py --teardown` with the table; the stack retains its copy as it retains the
table. CloudFormation generates the same shape with GenerateSecretString."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from infra.kinds import kms
from infra.kinds.base import Context, code, tags_cfn
from infra.model import Api
from infra.naming import Naming
from infra.stage import Stage

FIRST_KEY_ID = "k1"


def secret_name(stage: Stage, api: Api) -> str:
    return f"{stage.secrets_prefix}{api.key_secret}"


def ensure(ctx: Context, api: Api) -> None:
    from chalicelib.core.subscriptions import new_key_secret

    sm = ctx.client("secretsmanager")
    name = secret_name(ctx.stage, api)
    try:
        sm.describe_secret(SecretId=name)
        ctx.report.add(f"secret {name}", "unchanged", "its keys are the operator's to rotate")
    except ClientError as exc:
        if code(exc) != "ResourceNotFoundException":
            raise
        stage_key = kms.key(ctx.stage)
        sm.create_secret(Name=name, SecretString=new_key_secret(FIRST_KEY_ID), Tags=ctx.tag_list(),
                         Description="HMAC keys of the unsubscribe links (chalicelib/core/subscriptions.py)",
                         **({"KmsKeyId": stage_key} if stage_key else {}))
        ctx.report.add(f"secret {name}", "created", "one random key")


def delete(ctx: Context, api: Api) -> None:
    """Teardown removes it at once, as it removes the table (the stack's copy is retained instead)."""
    sm = ctx.client("secretsmanager")
    name = secret_name(ctx.stage, api)
    ctx.delete(f"secret {name}", lambda: sm.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True),
               lambda: sm.describe_secret(SecretId=name), ("ResourceNotFoundException",))


def cloudformation(stage: Stage, n: Naming, api: Api) -> dict[str, Any]:
    return {api.logical_id: {"Type": "AWS::SecretsManager::Secret", "DeletionPolicy": "Retain",
                             "UpdateReplacePolicy": "Retain", "Properties": {
        "Name": n.sub("${Prefix}" + api.key_secret, Prefix=n.value("SecretsPrefix")),
        "Description": "HMAC keys of the unsubscribe links (chalicelib/core/subscriptions.py)",
        "GenerateSecretString": {"SecretStringTemplate": f'{{"current": "{FIRST_KEY_ID}"}}',
                                 "GenerateStringKey": FIRST_KEY_ID, "PasswordLength": 64, "ExcludePunctuation": True},
        "KmsKeyId": kms.cfn_if(kms.cfn_key(n)), "Tags": tags_cfn(stage)}}}

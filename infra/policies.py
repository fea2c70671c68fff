"""Least-privilege IAM policies from the typed grants of the description.

One file per function and stage, `.chalice/policies/<stage>/<function>.json`, which Chalice reads
as it is (`"autogen_policy": false` + `iam_policy_file`). What each grant becomes:
  TableItems        only those actions, on the stage's table, only on items whose partition key
                    matches (`dynamodb:LeadingKeys`)
  BucketObjects     object actions under the prefix; with GetObject also ListBucket of the prefix
  CostExplorer      `Resource: *` (Cost Explorer has no resource-level permissions)
  AssumePayerRoles  roles named with the payer role prefix (CostReporter...), only with an ExternalId,
                    only with the code's session name prefix and never a role of this very account
  SendEmail         ses:SendEmail from the account's identities through the stage's configuration
                    set, From only in the stage's allowed sender domains (ses:FromAddress)
  PublishTo / SendToQueue / ConsumeQueue / StartExecution / ReadSecrets   on that one resource
  RunMapChildren    a Distributed Map's children: start the machine, describe/stop its executions
Every function may also write its own log group, and X-Ray segments when the stage traces.
With a stage KMS key (kms_key_arn in infra/stages.json), each grant on an encrypted resource also
gives exactly the KMS actions that use needs, on that key only and only through that service
(`kms:ViaService`), one statement per service: kms_statements below.
Account and region are `*` in ARNs: Chalice does not template policy files, and names are unique
per stage (another account's resource would also need its own resource policy to let us in).
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib.core import constants as c
from infra.model import (
    AssumePayerRoles,
    Athena,
    BucketObjects,
    ConsumeQueue,
    CostExplorer,
    Grant,
    PublishTo,
    ReadExports,
    ReadSecrets,
    RunMapChildren,
    SendEmail,
    SendToQueue,
    StartExecution,
    TableItems,
    UnsubscribeKey,
    camel,
)
from infra.stage import Stage

CONSUME_ACTIONS = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes")  # Chalice's SQS event source


def _split_uri(uri: str) -> tuple[str, str]:
    bucket, _, prefix = uri[len("s3://"):].partition("/")
    return bucket, prefix


def _athena_statements(stage: Stage, grant: Athena) -> list[dict[str, Any]]:
    workgroups = sorted({e["workgroup"] for e in stage.cost_exports()})
    if not workgroups:
        return []
    return [{"Sid": "AthenaWorkgroups", "Effect": "Allow", "Action": list(grant.actions),
             "Resource": [f"arn:aws:athena:*:*:workgroup/{w}" for w in workgroups]}]


def _export_read_statements(stage: Stage) -> list[dict[str, Any]]:
    exports = stage.cost_exports()
    if not exports:
        return []
    databases = sorted({e["database"] for e in exports})
    tables = sorted({(e["database"], t) for e in exports for t in (e["table"], e["accounts_table"])})
    statements: list[dict[str, Any]] = [{
        "Sid": "GlueExportTables", "Effect": "Allow",
        "Action": ["glue:GetDatabase", "glue:GetTable", "glue:GetPartition", "glue:GetPartitions"],
        "Resource": ["arn:aws:glue:*:*:catalog", *(f"arn:aws:glue:*:*:database/{d}" for d in databases),
                     *(f"arn:aws:glue:*:*:table/{d}/{t}" for d, t in tables)]}]
    reads = sorted({_split_uri(e["s3_uri"]) for e in exports})
    statements.append({"Sid": "ExportObjects", "Effect": "Allow", "Action": ["s3:GetObject"],
                       "Resource": [f"arn:aws:s3:::{b}/{p}*" for b, p in reads]})
    for index, (bucket, prefix) in enumerate(reads, 1):
        statements.append({"Sid": f"ExportList{index}", "Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetBucketLocation"],
                           "Resource": [f"arn:aws:s3:::{bucket}"], "Condition": {"StringLike": {"s3:prefix": [f"{prefix}*"]}}})
    own = stage.bucket_name()
    statements.append({"Sid": "RunAccounts", "Effect": "Allow", "Action": ["s3:GetObject"],
                       "Resource": [f"arn:aws:s3:::{own}/{c.RUNS_PREFIX}*/{c.EXPORT_ACCOUNTS_FOLDER}/*"]})
    results = sorted({_split_uri(e["results_uri"]) for e in exports})
    statements.append({"Sid": "AthenaResults", "Effect": "Allow",
                       "Action": ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
                       "Resource": [f"arn:aws:s3:::{b}/{p}*" for b, p in results]})
    buckets = sorted({own} | {b for b, _ in results})
    statements.append({"Sid": "AthenaResultsBuckets", "Effect": "Allow",
                       "Action": ["s3:ListBucket", "s3:GetBucketLocation", "s3:ListBucketMultipartUploads"],
                       "Resource": [f"arn:aws:s3:::{b}" for b in buckets]})
    return statements


def grant_statements(stage: Stage, grants: tuple[Grant, ...]) -> list[dict[str, Any]]:
    d = stage.description
    statements: list[dict[str, Any]] = []
    table_grants = 0
    for grant in grants:
        if isinstance(grant, TableItems):
            table_grants += 1
            statements.append({
                "Sid": f"{d.table(grant.table).logical_id}{table_grants}",
                "Effect": "Allow",
                "Action": list(grant.actions),
                "Resource": [f"arn:aws:dynamodb:*:*:table/{stage.table_name(grant.table)}"],
                "Condition": {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": list(grant.partition_keys)}},
            })
        elif isinstance(grant, BucketObjects):
            bucket = stage.bucket_name(grant.bucket)
            sid = f"{d.bucket(grant.bucket).logical_id}{camel(grant.prefix)}"
            # Several grants on one prefix (different keys): Sids must be unique within a policy.
            taken = sum(1 for s in statements if s["Sid"] == sid or (s["Sid"].startswith(sid) and s["Sid"][len(sid):].isdigit()))
            sid += str(taken + 1) if taken else ""
            statements.append({"Sid": sid, "Effect": "Allow", "Action": list(grant.actions),
                               "Resource": [f"arn:aws:s3:::{bucket}/{grant.prefix}{grant.keys}"]})
            if "s3:GetObject" in grant.actions:
                statements.append({"Sid": f"{sid}List", "Effect": "Allow", "Action": ["s3:ListBucket"],
                                   "Resource": [f"arn:aws:s3:::{bucket}"],
                                   "Condition": {"StringLike": {"s3:prefix": [f"{grant.prefix}*"]}}})
        elif isinstance(grant, Athena):
            statements += _athena_statements(stage, grant)
        elif isinstance(grant, ReadExports):
            statements += _export_read_statements(stage)
        elif isinstance(grant, CostExplorer):
            statements.append({"Sid": "CostExplorer", "Effect": "Allow", "Action": list(grant.actions),
                               "Resource": "*"})  # Cost Explorer has no resource-level permissions
        elif isinstance(grant, AssumePayerRoles):
            statements.append({
                "Sid": "ClientPayerRoles",
                "Effect": "Allow",
                "Action": ["sts:AssumeRole"],
                "Resource": [f"arn:aws:iam::*:role/{grant.role_name_prefix}*"],
                "Condition": {
                    "Null": {"sts:ExternalId": "false"},
                    "StringLike": {"sts:RoleSessionName": f"{grant.session_prefix}*"},
                    "StringNotEquals": {"aws:ResourceAccount": "${aws:PrincipalAccount}"},
                },
            })
        elif isinstance(grant, SendEmail):
            statements.append({
                "Sid": "SendThroughConfigurationSet",
                "Effect": "Allow",
                "Action": ["ses:SendEmail"],
                "Resource": ["arn:aws:ses:*:*:identity/*",
                             f"arn:aws:ses:*:*:configuration-set/{stage.configuration_set}"],
                # The same domains eligibility allows for a client's sender (ALLOWED_SENDER_DOMAINS).
                "Condition": {"StringLike": {"ses:FromAddress": [f"*@{d}" for d in stage.settings.sender_domains()]}},
            })
        elif isinstance(grant, PublishTo):
            topic = d.topic(grant.topic)
            statements.append({"Sid": f"PublishTo{topic.logical_id}", "Effect": "Allow", "Action": ["sns:Publish"],
                               "Resource": [f"arn:aws:sns:*:*:{stage.topic_name(topic)}"]})
        elif isinstance(grant, SendToQueue):
            queue = d.queue(grant.queue)
            statements.append({"Sid": f"SendTo{queue.logical_id}", "Effect": "Allow", "Action": ["sqs:SendMessage"],
                               "Resource": [f"arn:aws:sqs:*:*:{stage.queue_name(queue)}"]})
        elif isinstance(grant, ConsumeQueue):
            queue = d.queue(grant.queue)
            statements.append({"Sid": f"Consume{queue.logical_id}", "Effect": "Allow", "Action": list(CONSUME_ACTIONS),
                               "Resource": [f"arn:aws:sqs:*:*:{stage.queue_name(queue)}"]})
        elif isinstance(grant, StartExecution):
            machine = d.machine(grant.machine)
            statements.append({"Sid": f"Start{machine.logical_id}", "Effect": "Allow",
                               "Action": ["states:StartExecution"],
                               "Resource": [f"arn:aws:states:*:*:stateMachine:{stage.state_machine_name(machine)}"]})
            if grant.watch:
                statements.append({"Sid": f"Watch{machine.logical_id}", "Effect": "Allow",
                                   "Action": ["states:DescribeExecution"],
                                   "Resource": [f"arn:aws:states:*:*:execution:{stage.state_machine_name(machine)}:*"]})
        elif isinstance(grant, RunMapChildren):
            machine = d.machine(grant.machine)
            name = stage.state_machine_name(machine)
            statements.append({"Sid": f"RunMapChildrenOf{machine.logical_id}", "Effect": "Allow",
                               "Action": ["states:StartExecution"],
                               "Resource": [f"arn:aws:states:*:*:stateMachine:{name}"]})
            statements.append({"Sid": f"WatchMapChildrenOf{machine.logical_id}", "Effect": "Allow",
                               "Action": ["states:DescribeExecution", "states:StopExecution"],
                               "Resource": [f"arn:aws:states:*:*:execution:{name}/*",
                                            f"arn:aws:states:*:*:execution:{name}:*"]})
        elif isinstance(grant, ReadSecrets):
            statements.append({"Sid": "ReadStageSecrets", "Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"],
                               # Secrets Manager appends -XXXXXX to a secret's ARN
                               "Resource": [f"arn:aws:secretsmanager:*:*:secret:{stage.secrets_prefix}*"]})
        elif isinstance(grant, UnsubscribeKey) and d.api is not None:
            statements.append({"Sid": "ReadUnsubscribeKey", "Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"],
                               "Resource": [f"arn:aws:secretsmanager:*:*:secret:{stage.secrets_prefix}{d.api.key_secret}-*"]})
        else:
            raise TypeError(f"unknown grant {grant!r}")
    return statements + kms_statements(stage, grants)


# What each use of an encrypted resource asks of the stage's key, by the service that calls KMS:
#   S3 (SSE-KMS)     PutObject: GenerateDataKey (the object's data key); GetObject: Decrypt; a multipart
#                    upload (ResultWriter) also Decrypt, to complete it
#   DynamoDB         any item access: Decrypt (DynamoDB decrypts the table key for the caller, at most
#                    every 5 minutes per connection; reads and writes alike)
#   SQS              SendMessage: GenerateDataKey and Decrypt; receiving (the event source): Decrypt
#   SNS              Publish: GenerateDataKey and Decrypt
#   Secrets Manager  GetSecretValue: Decrypt (secrets created under the key: docs/DEPLOY.md)
MULTIPART_ACTIONS = ("s3:ListMultipartUploadParts", "s3:AbortMultipartUpload")
KMS_SERVICES = {"s3": "S3", "dynamodb": "DynamoDB", "sqs": "Sqs", "sns": "Sns", "secretsmanager": "SecretsManager"}


def kms_uses(grant: Grant) -> dict[str, set[str]]:
    """service -> the KMS actions one grant needs on the stage's key ({} for unencrypted resources)."""
    if isinstance(grant, TableItems):
        return {"dynamodb": {"kms:Decrypt"}}
    if isinstance(grant, BucketObjects):
        actions = set()
        if "s3:PutObject" in grant.actions:
            actions.add("kms:GenerateDataKey")
        if "s3:GetObject" in grant.actions or any(a in grant.actions for a in MULTIPART_ACTIONS):
            actions.add("kms:Decrypt")
        return {"s3": actions} if actions else {}
    if isinstance(grant, SendToQueue):
        return {"sqs": {"kms:GenerateDataKey", "kms:Decrypt"}}
    if isinstance(grant, ConsumeQueue):
        return {"sqs": {"kms:Decrypt"}}
    if isinstance(grant, PublishTo):
        return {"sns": {"kms:GenerateDataKey", "kms:Decrypt"}}
    if isinstance(grant, (ReadSecrets, UnsubscribeKey)):
        return {"secretsmanager": {"kms:Decrypt"}}
    return {}


def kms_statements(stage: Stage, grants: tuple[Grant, ...]) -> list[dict[str, Any]]:
    key = stage.settings.kms_key_arn
    if not key:
        return []
    by_service: dict[str, set[str]] = {}
    for grant in grants:
        for service, actions in kms_uses(grant).items():
            by_service.setdefault(service, set()).update(actions)
    return [{"Sid": f"StageKeyVia{KMS_SERVICES[service]}", "Effect": "Allow", "Action": sorted(actions),
             "Resource": [key], "Condition": {"StringLike": {"kms:ViaService": f"{service}.*.amazonaws.com"}}}
            for service, actions in sorted(by_service.items())]


def policy_for(stage: Stage, function: str) -> dict[str, Any]:
    spec = stage.function(function)
    statements: list[dict[str, Any]] = [{
        "Sid": "OwnLogs",
        "Effect": "Allow",
        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": [f"arn:aws:logs:*:*:log-group:{stage.lambda_log_group(function)}:log-stream:*"],
    }]
    if stage.xray:
        statements.append({
            "Sid": "Tracing",
            "Effect": "Allow",
            "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
            "Resource": "*",  # X-Ray has no resource-level permissions for these actions
        })
    statements += grant_statements(stage, spec.grants)
    return {"Version": "2012-10-17", "Statement": statements}


def render(policy: dict[str, Any]) -> str:
    return json.dumps(policy, indent=2) + "\n"

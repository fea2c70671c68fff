"""DynamoDB tables: `pk`/`sk` strings, on demand, TTL on the described attribute, point-in-time recovery."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from infra.kinds import kms
from infra.kinds.base import Context, DeployError, code, retry, same, tags_cfn
from infra.model import Table
from infra.naming import Naming
from infra.stage import Stage

KEY_SCHEMA = [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
ATTRIBUTE_DEFINITIONS = [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}]


def ensure(ctx: Context, table: Table) -> None:
    ddb = ctx.client("dynamodb")
    name = ctx.stage.table_name(table)
    created, changes = False, []
    try:
        described = ddb.describe_table(TableName=name)["Table"]
    except ClientError as exc:
        if code(exc) != "ResourceNotFoundException":
            raise
        extra = {"SSESpecification": sse_specification(stage_key)} if (stage_key := kms.key(ctx.stage)) else {}
        ddb.create_table(TableName=name, KeySchema=KEY_SCHEMA, AttributeDefinitions=ATTRIBUTE_DEFINITIONS,
                         BillingMode="PAY_PER_REQUEST", Tags=ctx.tag_list(), **extra)
        ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 2, "MaxAttempts": 90})
        described = ddb.describe_table(TableName=name)["Table"]
        created = True
    if not same(KEY_SCHEMA, described.get("KeySchema")):
        raise DeployError(f"table {name} exists with key schema {described.get('KeySchema')}, expected pk/sk strings: "
                          "a table's keys cannot change, delete it or pick another name")
    if described.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED") != "PAY_PER_REQUEST" and not created:
        ddb.update_table(TableName=name, BillingMode="PAY_PER_REQUEST")
        changes.append("on-demand billing")
    stage_key = kms.key(ctx.stage)
    sse = described.get("SSEDescription") or {}
    if stage_key and (sse.get("SSEType") != "KMS" or sse.get("KMSMasterKeyArn") != stage_key):
        ddb.update_table(TableName=name, SSESpecification=sse_specification(stage_key))
        changes.append("encryption with the stage's KMS key")
    if table.ttl_attribute:
        ttl = ddb.describe_time_to_live(TableName=name).get("TimeToLiveDescription", {})
        on = ttl.get("TimeToLiveStatus") in ("ENABLED", "ENABLING")
        if not on or ttl.get("AttributeName") != table.ttl_attribute:
            if on:
                raise DeployError(f"table {name}: TTL is on attribute {ttl.get('AttributeName')!r}; "
                                  f"the description says {table.ttl_attribute!r} (disable it first)")
            ddb.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": True,
                                                                            "AttributeName": table.ttl_attribute})
            changes.append(f"TTL on {table.ttl_attribute}")
    backups = ddb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
    if backups.get("PointInTimeRecoveryDescription", {}).get("PointInTimeRecoveryStatus") != "ENABLED":
        retry("point-in-time recovery", lambda: ddb.update_continuous_backups(
            TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}),
            ("ContinuousBackupsUnavailableException",))
        changes.append("point-in-time recovery")
    ctx.report.record(f"DynamoDB table {name}", created, changes)


def sse_specification(stage_key: str) -> dict[str, Any]:
    return {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": stage_key}


def delete(ctx: Context, table: Table) -> None:
    ddb = ctx.client("dynamodb")
    name = ctx.stage.table_name(table)
    ctx.delete(f"DynamoDB table {name}", lambda: ddb.delete_table(TableName=name), None, ("ResourceNotFoundException",))


def cloudformation(stage: Stage, n: Naming, table: Table) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "TableName": n.value(f"{table.logical_id}Name"),
        "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": KEY_SCHEMA,
        "AttributeDefinitions": ATTRIBUTE_DEFINITIONS,
    }
    if table.ttl_attribute:
        properties["TimeToLiveSpecification"] = {"AttributeName": table.ttl_attribute, "Enabled": True}
    properties["PointInTimeRecoverySpecification"] = {"PointInTimeRecoveryEnabled": True}
    properties["SSESpecification"] = kms.cfn_if({"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": kms.cfn_key(n)})
    properties["Tags"] = tags_cfn(stage)
    resource: dict[str, Any] = {"Type": "AWS::DynamoDB::Table"}
    if table.retain:  # e.g. the delivery ledger: losing it means re-sending reports
        resource.update({"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"})
    resource["Properties"] = properties
    return {table.logical_id: resource}

"""SNS topics (the operators' alert topic: failed-run alerts and the alarms)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from infra.kinds import kms
from infra.kinds.base import Context, code, tags_cfn
from infra.model import Topic
from infra.naming import Naming
from infra.stage import Stage


def ensure(ctx: Context, topic: Topic) -> None:
    sns = ctx.client("sns")
    name = ctx.stage.topic_name(topic)
    stage_key = kms.key(ctx.stage)
    try:
        attributes = sns.get_topic_attributes(TopicArn=ctx.naming.arn(topic))["Attributes"]
        if stage_key and attributes.get("KmsMasterKeyId") != stage_key:
            sns.set_topic_attributes(TopicArn=ctx.naming.arn(topic), AttributeName="KmsMasterKeyId",
                                     AttributeValue=stage_key)
            ctx.report.add(f"SNS topic {name}", "updated", "encryption with the stage's KMS key")
        else:
            ctx.report.add(f"SNS topic {name}", "unchanged")
    except ClientError as exc:
        if code(exc) != "NotFound":
            raise
        sns.create_topic(Name=name, Tags=ctx.tag_list(), **({"Attributes": {"KmsMasterKeyId": stage_key}} if stage_key else {}))
        ctx.report.add(f"SNS topic {name}", "created",
                       "subscribe the operators: aws sns subscribe --protocol email ..." if topic.alarm_target else "")


def delete(ctx: Context, topic: Topic) -> None:
    sns = ctx.client("sns")
    arn = ctx.naming.arn(topic)
    ctx.delete(f"SNS topic {ctx.stage.topic_name(topic)}", lambda: sns.delete_topic(TopicArn=arn),
               lambda: sns.get_topic_attributes(TopicArn=arn), ("NotFound",))


def cloudformation(stage: Stage, n: Naming, topic: Topic) -> dict[str, Any]:
    return {topic.logical_id: {"Type": "AWS::SNS::Topic", "Properties": {
        "TopicName": n.value(f"{topic.logical_id}Name"), "KmsMasterKeyId": kms.cfn_if(kms.cfn_key(n)),
        "Tags": tags_cfn(stage)}}}

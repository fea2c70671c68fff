"""SQS queues, each with its dead-letter queue: redrive after `max_receive_count` receives,
the described visibility timeout and retention. The DLQ depth alarm is in monitoring.py."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from infra.kinds import kms
from infra.kinds.base import Context, code, tags_cfn
from infra.model import Queue
from infra.naming import Naming
from infra.stage import Stage


def redrive_policy(dlq_arn: Any, queue: Queue) -> dict[str, Any]:
    return {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": queue.max_receive_count}


def _ensure_one(ctx: Context, name: str, attributes: dict[str, str]) -> tuple[str, str]:
    """(url, arn) of the queue `name`, created or updated to `attributes`."""
    sqs = ctx.client("sqs")
    try:
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    except ClientError as exc:
        if code(exc) not in ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"):
            raise
        url = sqs.create_queue(QueueName=name, Attributes=attributes, tags=ctx.tags())["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        ctx.report.add(f"SQS queue {name}", "created", ", ".join(f"{k} {_show(v)}" for k, v in attributes.items()))
        return url, arn
    actual = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    changed = {k: v for k, v in attributes.items() if not _equal(k, v, actual.get(k))}
    if changed:
        sqs.set_queue_attributes(QueueUrl=url, Attributes=changed)
    ctx.report.record(f"SQS queue {name}", False, sorted(changed))
    return url, actual["QueueArn"]


def _equal(key: str, desired: str, actual: str | None) -> bool:
    if actual is None:
        return False
    if key == "RedrivePolicy":
        return {k: str(v) for k, v in json.loads(desired).items()} == {k: str(v) for k, v in json.loads(actual).items()}
    return str(desired) == str(actual)


def _show(value: str) -> str:
    return value if len(value) < 40 else "set"


def ensure(ctx: Context, queue: Queue) -> None:
    stage = ctx.stage
    # SSE-KMS under the stage's key (its DLQ too: a message moved there stays encrypted the same way)
    encrypted = {"KmsMasterKeyId": stage_key} if (stage_key := kms.key(stage)) else {}
    _, dlq_arn = _ensure_one(ctx, stage.dlq_name(queue), {"MessageRetentionPeriod": str(queue.dlq_retention_seconds),
                                                          **encrypted})
    url, _ = _ensure_one(ctx, stage.queue_name(queue), {
        "VisibilityTimeout": str(queue.visibility_timeout),
        "MessageRetentionPeriod": str(queue.retention_seconds),
        "RedrivePolicy": json.dumps(redrive_policy(dlq_arn, queue)),
        **encrypted,
    })
    ctx.queue_urls[queue.key] = url


def delete(ctx: Context, queue: Queue) -> None:
    sqs = ctx.client("sqs")
    for name in (ctx.stage.queue_name(queue), ctx.stage.dlq_name(queue)):
        def remove(name: str = name) -> None:
            sqs.delete_queue(QueueUrl=sqs.get_queue_url(QueueName=name)["QueueUrl"])

        ctx.delete(f"SQS queue {name}", remove, None, ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"))


def cloudformation(stage: Stage, n: Naming, queue: Queue) -> dict[str, Any]:
    return {
        queue.dlq_logical_id: {"Type": "AWS::SQS::Queue", "Properties": {
            "QueueName": n.value(f"{queue.dlq_logical_id}Name"),
            "MessageRetentionPeriod": queue.dlq_retention_seconds,
            "KmsMasterKeyId": kms.cfn_if(kms.cfn_key(n)),
            "Tags": tags_cfn(stage),
        }},
        queue.logical_id: {"Type": "AWS::SQS::Queue", "Properties": {
            "QueueName": n.value(f"{queue.logical_id}Name"),
            "VisibilityTimeout": queue.visibility_timeout,
            "MessageRetentionPeriod": queue.retention_seconds,
            "RedrivePolicy": redrive_policy(n.dlq_arn(queue), queue),
            "KmsMasterKeyId": kms.cfn_if(kms.cfn_key(n)),
            "Tags": tags_cfn(stage),
        }},
    }

"""What Chalice does not deploy, described once for deploy.py and resources.yaml (see naming.py).

Table: pk/sk strings, on demand, TTL on `expiration` (Powertools idempotency records), point-in-time
recovery. Bucket: SSE-S3, all public access blocked, owner-enforced objects, TLS only (except on the
loopback stage), `runs/` expires after 30 days. SNS operator topic. SES configuration set whose events (send, delivery,
bounce, complaint, reject, rendering failure) become CloudWatch metrics. The state machine's
role: invoke the project's task functions and nothing else, plus log delivery and X-Ray.
"""

from __future__ import annotations

from typing import Any

from chalicelib.core.constants import RUNS_EXPIRY_DAYS, RUNS_PREFIX, TTL_ATTRIBUTE  # noqa: F401 (used below)
from deploy_support.naming import Naming
from deploy_support.project import Stage

SES_EVENT_TYPES = ["send", "reject", "bounce", "complaint", "delivery", "renderingFailure"]
SES_DIMENSION = "ses:configuration-set"  # an auto-tag SES puts on every message sent through the set

KEY_SCHEMA = [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
ATTRIBUTE_DEFINITIONS = [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}]
PUBLIC_ACCESS_BLOCK = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
                       "RestrictPublicBuckets": True}
ENCRYPTION_RULES = [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": True}]


def lifecycle_rules() -> list[dict[str, Any]]:
    """S3 API shape (the CloudFormation shape is built in template.py)."""
    return [{
        "ID": "expire-run-artefacts",
        "Status": "Enabled",
        "Filter": {"Prefix": RUNS_PREFIX},
        "Expiration": {"Days": RUNS_EXPIRY_DAYS},
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
    }]


LOOPBACK_STAGES = ("local",)  # deployed into a plain-HTTP endpoint on 127.0.0.1 (python -m local serve)


def enforces_tls(stage_name: str) -> bool:
    """The bucket's TLS-only policy; not on the loopback stage, whose endpoint has no TLS to enforce
    (moto evaluates bucket policies, so the policy would deny every request there)."""
    return stage_name not in LOOPBACK_STAGES


def bucket_policy(n: Naming, bucket_arn: Any) -> dict[str, Any]:
    objects = n.sub("${Bucket}/*", Bucket=bucket_arn) if n.cloudformation else f"{bucket_arn}/*"
    return {
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "TlsOnly",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [bucket_arn, objects],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }],
    }


def ses_event_destination(n: Naming) -> dict[str, Any]:
    return {
        "Name": n.sub("${Prefix}-metrics", Prefix=n.value("Prefix")),
        "Enabled": True,
        "MatchingEventTypes": list(SES_EVENT_TYPES),
        "CloudWatchDestination": {"DimensionConfigurations": [{
            "DimensionName": SES_DIMENSION,
            "DimensionValueSource": "messageTag",
            "DefaultDimensionValue": n.value("ConfigurationSet"),
        }]},
    }


def state_machine_trust_policy(n: Naming) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "states.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": n.sub("${AWS::AccountId}")}},
        }],
    }


def state_machine_policy(stage: Stage, n: Naming, function_arns: dict[str, Any]) -> dict[str, Any]:
    """Invoke the task functions (any version or alias of them) and nothing else; logs and X-Ray."""
    resources: list[Any] = []
    for spec in stage.tasks:
        arn = function_arns[spec.name]
        resources.append(arn)
        resources.append(n.sub("${Arn}:*", Arn=arn) if n.cloudformation else f"{arn}:*")
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "InvokeProjectFunctions", "Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": resources},
            {
                "Sid": "DeliverExecutionLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery",
                           "logs:DeleteLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy",
                           "logs:DescribeResourcePolicies", "logs:DescribeLogGroups"],
                "Resource": "*",  # CloudWatch Logs vended delivery has no resource-level permissions
            },
            {
                "Sid": "Tracing",
                "Effect": "Allow",
                "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules",
                           "xray:GetSamplingTargets"],
                "Resource": "*",  # X-Ray has no resource-level permissions for these actions
            },
        ],
    }


STATE_MACHINE_LOG_LEVEL = "ERROR"  # failed states with their input/output; execution history has the rest


def state_machine_logging(log_group_arn: Any) -> dict[str, Any]:
    """Step Functions API shape (lowerCamel); CloudFormation uses the same fields capitalised."""
    return {
        "level": STATE_MACHINE_LOG_LEVEL,
        "includeExecutionData": True,
        "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": log_group_arn}}],
    }

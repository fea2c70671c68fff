"""S3 buckets: SSE-S3 with bucket key, all public access blocked, owner-enforced objects, TLS-only
policy (not on loopback stages, whose endpoint has no TLS: moto evaluates bucket policies), and
lifecycle expiry of the described prefixes."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from infra.kinds.base import Context, DeployError, current, same, status, tags_cfn
from infra.model import Bucket
from infra.naming import Naming
from infra.stage import Stage

PUBLIC_ACCESS_BLOCK = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
                       "RestrictPublicBuckets": True}
ENCRYPTION_RULES = [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": True}]
OWNERSHIP_RULES = [{"ObjectOwnership": "BucketOwnerEnforced"}]


def lifecycle_rules(bucket: Bucket) -> list[dict[str, Any]]:
    """S3 API shape (cloudformation() below converts)."""
    return [{
        "ID": f"expire-{prefix.strip('/').replace('/', '-')}",
        "Status": "Enabled",
        "Filter": {"Prefix": prefix},
        "Expiration": {"Days": days},
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
    } for prefix, days in bucket.expiring_prefixes]


def tls_policy(bucket_arn: Any, objects_arn: Any) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "TlsOnly",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [bucket_arn, objects_arn],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }],
    }


def ensure(ctx: Context, bucket: Bucket) -> None:
    s3 = ctx.client("s3")
    name = ctx.stage.bucket_name(bucket)
    created, changes = False, []
    try:
        s3.head_bucket(Bucket=name)
    except ClientError as exc:
        if status(exc) == 403:
            raise DeployError(f"bucket {name} exists and belongs to another account (bucket names are global): "
                              f"set bucket_names.{bucket.key} for the stage in infra/stages.json and run "
                              "python -m infra generate") from exc
        if status(exc) != 404:
            raise
        kwargs: dict[str, Any] = {"Bucket": name}
        if ctx.region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": ctx.region}
        s3.create_bucket(**kwargs)
        s3.get_waiter("bucket_exists").wait(Bucket=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
        created = True
    encryption = current(lambda: s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"],
                         ("ServerSideEncryptionConfigurationNotFoundError",))
    if not same(ENCRYPTION_RULES, encryption):
        s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": ENCRYPTION_RULES})
        changes.append("encryption")
    block = current(lambda: s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"],
                    ("NoSuchPublicAccessBlockConfiguration",))
    if not same(PUBLIC_ACCESS_BLOCK, block):
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=PUBLIC_ACCESS_BLOCK)
        changes.append("public access block")
    ownership = current(lambda: s3.get_bucket_ownership_controls(Bucket=name)["OwnershipControls"]["Rules"],
                        ("OwnershipControlsNotFoundError",))
    if not same(OWNERSHIP_RULES, ownership):
        s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls={"Rules": OWNERSHIP_RULES})
        changes.append("object ownership")
    rules = lifecycle_rules(bucket)
    if rules:
        lifecycle = current(lambda: s3.get_bucket_lifecycle_configuration(Bucket=name)["Rules"],
                            ("NoSuchLifecycleConfiguration",))
        if not same(rules, lifecycle):
            s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": rules})
            changes.append(", ".join(f"{p} expiry after {d} days" for p, d in bucket.expiring_prefixes))
    existing = current(lambda: json.loads(s3.get_bucket_policy(Bucket=name)["Policy"]), ("NoSuchBucketPolicy",))
    if not ctx.stage.loopback:
        policy = tls_policy(f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*")
        if not same(policy, existing):
            s3.put_bucket_policy(Bucket=name, Policy=json.dumps(policy))
            changes.append("TLS-only policy")
    elif existing is not None:
        s3.delete_bucket_policy(Bucket=name)
        changes.append("bucket policy removed (loopback stage: no TLS)")
    if created:
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": ctx.tag_list()})
    ctx.report.record(f"S3 bucket {name}", created, changes)


def delete(ctx: Context, bucket: Bucket) -> None:
    s3 = ctx.client("s3")
    name = ctx.stage.bucket_name(bucket)
    try:
        s3.head_bucket(Bucket=name)
    except ClientError as exc:
        if status(exc) == 404:
            ctx.report.add(f"S3 bucket {name}", "absent")
            return
        raise
    objects = 0
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=name):
        keys = [{"Key": v["Key"], "VersionId": v["VersionId"]}
                for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
        for start in range(0, len(keys), 1000):
            s3.delete_objects(Bucket=name, Delete={"Objects": keys[start:start + 1000], "Quiet": True})
        objects += len(keys)
    s3.delete_bucket(Bucket=name)
    ctx.report.add(f"S3 bucket {name}", "deleted", f"{objects} objects")


def cloudformation(stage: Stage, n: Naming, bucket: Bucket) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "BucketName": n.value(f"{bucket.logical_id}Name"),
        "BucketEncryption": {"ServerSideEncryptionConfiguration": [
            {"ServerSideEncryptionByDefault": r["ApplyServerSideEncryptionByDefault"],
             "BucketKeyEnabled": r["BucketKeyEnabled"]} for r in ENCRYPTION_RULES]},
        "PublicAccessBlockConfiguration": PUBLIC_ACCESS_BLOCK,
        "OwnershipControls": {"Rules": OWNERSHIP_RULES},
    }
    rules = lifecycle_rules(bucket)
    if rules:
        properties["LifecycleConfiguration"] = {"Rules": [{
            "Id": rule["ID"],
            "Status": rule["Status"],
            "Prefix": rule["Filter"]["Prefix"],
            "ExpirationInDays": rule["Expiration"]["Days"],
            "AbortIncompleteMultipartUpload": rule["AbortIncompleteMultipartUpload"],
        } for rule in rules]}
    properties["Tags"] = tags_cfn(stage)
    resource: dict[str, Any] = {"Type": "AWS::S3::Bucket"}
    if bucket.retain:
        resource.update({"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"})
    resource["Properties"] = properties
    arn = n.arn(bucket)
    return {
        bucket.logical_id: resource,
        f"{bucket.logical_id}Policy": {
            "Type": "AWS::S3::BucketPolicy",
            "Condition": "EnforceTls",
            "Properties": {"Bucket": n.name(bucket),
                           "PolicyDocument": tls_policy(arn, n.sub("${Bucket}/*", Bucket=arn))},
        },
    }

"""The call counter bills requests, and a presigned URL is not one: botocore signs it locally."""

from __future__ import annotations

import boto3
from botocore.stub import Stubber

from local.metering.aws_calls import STAGES, AwsCallCounter


def test_a_presigned_url_is_not_counted_and_a_real_call_is() -> None:
    session = boto3.Session(aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret", region_name="us-east-1")
    counter = AwsCallCounter()
    uninstall = counter.install(session)
    try:
        s3 = session.client("s3")
        counter.enter_stage()
        url = s3.generate_presigned_url("get_object", Params={"Bucket": "reports", "Key": "a/report.html"}, ExpiresIn=60)
        assert "X-Amz-Signature=" in url or "Signature=" in url
        assert counter.by_operation() == {}

        with Stubber(s3) as stub:
            stub.add_response("get_object", {}, {"Bucket": "reports", "Key": "a/report.html"})
            s3.get_object(Bucket="reports", Key="a/report.html")
        counter.leave_stage()
    finally:
        uninstall()
    assert counter.by_operation(STAGES) == {"s3.GetObject": 1}

"""What our local services (Cost Explorer, Athena) share to answer a botocore call in process: the
event emitter of a session or client, and a reply shaped as the real endpoint's (status, request id,
headers in ResponseMetadata)."""

from __future__ import annotations

import uuid
from typing import Any


def events_of(target: Any) -> Any:
    """The event emitter of a boto3 Session, a botocore Session or a client (None: boto3's default session)."""
    if target is None:
        import boto3

        target = boto3._get_default_session()  # what boto3.client() uses
    meta = getattr(target, "meta", None)
    if meta is not None and hasattr(meta, "events"):
        return meta.events  # a client
    if hasattr(target, "events"):
        return target.events  # a boto3 Session
    if hasattr(target, "get_component"):
        return target.get_component("event_emitter")  # a botocore Session
    raise TypeError(f"install() needs a boto3/botocore Session or a client, got {type(target).__name__}")


def new_request_id() -> str:
    return str(uuid.uuid4())


def answer(url: str, request_id: str, headers: dict[str, str], status: int, parsed: dict[str, Any]) -> tuple[Any, dict]:
    """(AWSResponse, parsed) as botocore's before-call hook returns them, with the real ResponseMetadata."""
    from botocore.awsrequest import AWSResponse

    parsed["ResponseMetadata"] = {"RequestId": request_id, "HTTPStatusCode": status, "HTTPHeaders": dict(headers),
                                  "RetryAttempts": 0}
    return AWSResponse(url, status, headers, None), parsed

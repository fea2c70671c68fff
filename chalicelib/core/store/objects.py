"""Objects in the stage's bucket: every write encrypted the same way, every failure classified the
same way (chalicelib/core/errors.classify_aws_error), models read back validated."""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, ValidationError

from chalicelib.core import aws
from chalicelib.core.errors import DataValidationError, classify_aws_error
from chalicelib.core.settings import get_settings

M = TypeVar("M", bound=BaseModel)


def put_text(key: str, body: str, content_type: str) -> str:
    return put_bytes(key, body.encode("utf-8"), content_type)


def put_bytes(key: str, body: bytes, content_type: str) -> str:
    try:
        aws.client("s3").put_object(
            Bucket=get_settings().bucket_name,
            Key=key,
            Body=body,
            ContentType=content_type,
            ServerSideEncryption="AES256",
        )
    except Exception as exc:
        raise classify_aws_error(exc, f"write s3://{get_settings().bucket_name}/{key}") from exc
    return key


def get_text(key: str) -> str:
    return get_bytes(key).decode("utf-8")


def get_bytes(key: str) -> bytes:
    try:
        reply = aws.client("s3").get_object(Bucket=get_settings().bucket_name, Key=key)
        return reply["Body"].read()
    except Exception as exc:
        raise classify_aws_error(exc, f"read s3://{get_settings().bucket_name}/{key}") from exc


def put_model(key: str, model: BaseModel) -> str:
    return put_text(key, model.model_dump_json(), "application/json")


def get_model(key: str, model_type: type[M]) -> M:
    try:
        return model_type.model_validate_json(get_text(key))
    except ValidationError as exc:
        raise DataValidationError(f"s3 object {key} is not a valid {model_type.__name__}: {exc}") from exc

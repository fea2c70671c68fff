"""Report artefacts in S3. States pass these keys, never the bodies (256 KB payload limit)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from chalicelib.core import aws
from chalicelib.core.constants import ELIGIBLE_IDS_OBJECT, RUNS_PREFIX
from chalicelib.core.errors import DataValidationError, classify_aws_error
from chalicelib.core.settings import get_settings

M = TypeVar("M", bound=BaseModel)


def artefact_key(run_id: str, client_id: str, name: str) -> str:
    # Tenant isolation by prefix: a run's objects for a client live under its own prefix only.
    return f"{RUNS_PREFIX}{run_id}/{client_id}/{name}"


def eligible_ids_key(run_id: str) -> str:
    return f"{RUNS_PREFIX}{run_id}/{ELIGIBLE_IDS_OBJECT}"


def put_eligible_items(run_id: str, items: Sequence[BaseModel]) -> dict[str, str]:
    """The run's Map items as a JSON list of objects: what the Distributed Map's ItemReader reads."""
    body = "[" + ",".join(item.model_dump_json() for item in items) + "]"
    key = put_text(eligible_ids_key(run_id), body, "application/json")
    return {"bucket": get_settings().bucket_name, "key": key}


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
    except Exception as exc:  # noqa: BLE001
        raise classify_aws_error(exc, f"write s3://{get_settings().bucket_name}/{key}") from exc
    return key


def get_text(key: str) -> str:
    return get_bytes(key).decode("utf-8")


def get_bytes(key: str) -> bytes:
    try:
        reply = aws.client("s3").get_object(Bucket=get_settings().bucket_name, Key=key)
        return reply["Body"].read()
    except Exception as exc:  # noqa: BLE001
        raise classify_aws_error(exc, f"read s3://{get_settings().bucket_name}/{key}") from exc


def put_model(key: str, model: BaseModel) -> str:
    return put_text(key, model.model_dump_json(), "application/json")


def get_model(key: str, model_type: type[M]) -> M:
    try:
        return model_type.model_validate_json(get_text(key))
    except ValidationError as exc:
        raise DataValidationError(f"s3 object {key} is not a valid {model_type.__name__}: {exc}") from exc

"""boto3 clients, created on first use and reused across warm invocations.

Standard retry mode: boto3 retries throttling and 5xx a few times itself; what is left
surfaces as a taxonomy error and the ASL Retry takes over.
"""

from __future__ import annotations

import threading
from functools import cache
from typing import Any

_lock = threading.Lock()
_RETRY_CONFIG: dict[str, Any] = {"retries": {"mode": "standard", "max_attempts": 3}, "connect_timeout": 5, "read_timeout": 30}


@cache
def client(service: str, region: str | None = None) -> Any:
    import boto3
    from botocore.config import Config

    # The default session is not thread-safe to build; Map iterations share a process locally.
    with _lock:
        return boto3.client(service, region_name=region, config=Config(**_RETRY_CONFIG))


@cache
def resource(service: str) -> Any:
    import boto3
    from botocore.config import Config

    with _lock:
        return boto3.resource(service, config=Config(**_RETRY_CONFIG))


@cache
def dynamodb_table(name: str) -> Any:
    """A boto3 Table object; building one per call costs more than most of the calls it makes."""
    return resource("dynamodb").Table(name)


def client_with_credentials(service: str, credentials: dict[str, str], region: str | None = None) -> Any:
    """A client acting with assumed-role credentials (not cached: credentials expire)."""
    import boto3
    from botocore.config import Config

    with _lock:
        return boto3.client(
            service,
            region_name=region,
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
            config=Config(**_RETRY_CONFIG),
        )


def reset_clients() -> None:
    """Forget cached clients (tests and the local runtime start a fresh in-process AWS)."""
    client.cache_clear()
    resource.cache_clear()
    dynamodb_table.cache_clear()

"""Secrets Manager reads, by name under the deployment's prefix (`SECRETS_PREFIX`,
`cost-reporter/<stage>/`): IAM lets the functions read nothing else. Webhook URLs and API keys live
here, never in configs or logs.

Cached per warm container for a few minutes, so a rotated secret is picked up without a redeploy.
Errors are the taxonomy's (throttling and 5xx retried by the caller's ASL or queue); the secret's
value never appears in one.
"""

from __future__ import annotations

import logging
import threading
import time

from chalicelib.core import aws, caches
from chalicelib.core.errors import aws_error_code, classify_aws_error

CACHE_SECONDS = 300
_SECRET_FIELDS = ("SecretString", "SecretBinary")


class _RedactSecretValues(logging.Filter):
    """botocore's DEBUG lines quote whole request and response bodies: a GetSecretValue answer (or a
    CreateSecret/PutSecretValue request) would put the secret in the log. Such a line is kept with
    its body replaced."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record is not ours to judge
            return True
        if any(name in text for name in _SECRET_FIELDS):
            record.msg, record.args = "(a Secrets Manager request or response; its body is not logged)", ()
        return True


_REDACT = _RedactSecretValues()
for _name in ("botocore.parsers", "botocore.endpoint", "botocore.hooks", "botocore.retryhandler"):
    logging.getLogger(_name).addFilter(_REDACT)
_cache: dict[str, tuple[float, str | None]] = {}
_lock = threading.Lock()


def secret_id(name: str) -> str:
    """The full name of secret `name` in this deployment."""
    from chalicelib.core.settings import get_settings

    return f"{get_settings().secrets_prefix}{name}"


def read_secret(name: str, *, optional: bool = False) -> str | None:
    """The SecretString of `name`; None when `optional` and the secret does not exist."""
    full = secret_id(name)
    now = time.monotonic()
    with _lock:
        cached = _cache.get(full)
    if cached and now - cached[0] < CACHE_SECONDS:
        return cached[1]
    try:
        value: str | None = aws.client("secretsmanager").get_secret_value(SecretId=full)["SecretString"]
    except Exception as exc:
        if not (optional and aws_error_code(exc) == "ResourceNotFoundException"):
            raise classify_aws_error(exc, f"read secret {full}") from exc
        value = None
    with _lock:
        _cache[full] = (now, value)
    return value


@caches.register
def reset_cache() -> None:
    with _lock:
        _cache.clear()

"""Webhook URLs from Secrets Manager, by name under the deployment's prefix (IAM allows nothing else).

A secret holds the URL as plain text or as JSON `{"url": "https://..."}`. Cached per warm container
for a few minutes: a rotated URL is picked up without a redeploy.
"""

from __future__ import annotations

import json
import threading
import time

from chalicelib.core import aws, caches
from chalicelib.core.errors import ConfigurationError, classify_aws_error
from chalicelib.core.settings import get_settings

CACHE_SECONDS = 300
_cache: dict[str, tuple[float, str]] = {}
_lock = threading.Lock()


def secret_id(name: str) -> str:
    return f"{get_settings().secrets_prefix}{name}"


def webhook_url(name: str) -> str:
    now = time.monotonic()
    with _lock:
        cached = _cache.get(name)
    if cached and now - cached[0] < CACHE_SECONDS:
        return cached[1]
    try:
        value = aws.client("secretsmanager").get_secret_value(SecretId=secret_id(name))["SecretString"]
    except Exception as exc:  # noqa: BLE001
        raise classify_aws_error(exc, f"read secret {secret_id(name)}") from exc
    url = value.strip()
    if url.startswith("{"):
        try:
            url = str(json.loads(url)["url"]).strip()
        except (ValueError, KeyError, TypeError):
            raise ConfigurationError(f"secret {secret_id(name)}: JSON without a 'url' field") from None
    with _lock:
        _cache[name] = (now, url)
    return url


@caches.register
def reset_cache() -> None:
    with _lock:
        _cache.clear()

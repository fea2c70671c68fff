"""The scrapers' optional secret: `<SECRETS_PREFIX>scraping` in Secrets Manager (the deployment's prefix,
`cost-reporter/<stage>/`; IAM lets the functions read nothing else), a JSON object:

  {"prices_api_key": "..."}   sent as the `X-API-KEY` header to SCRAPE_PRICES_URL (a keyed price
                              endpoint or mirror); no key, no header

A missing secret is no error (it is optional); a malformed one is a ConfigurationError naming the
field, never echoing the value. Cached per warm container for a few minutes (rotation without a redeploy).
"""

from __future__ import annotations

import threading
import time

from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError

from ..core import aws, caches
from ..core import constants as c
from ..core.errors import ConfigurationError, classify_aws_error

SECRET_NAME = "scraping"
CACHE_SECONDS = 300
_cache: dict[str, tuple[float, "ScraperSecrets"]] = {}
_lock = threading.Lock()


class ScraperSecrets(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    prices_api_key: SecretStr | None = None


def secret_id() -> str:
    import os

    return f"{os.environ.get(c.ENV_SECRETS_PREFIX, c.APP_NAME + '/')}{SECRET_NAME}"


def scraper_secrets() -> ScraperSecrets:
    name = secret_id()
    now = time.monotonic()
    with _lock:
        cached = _cache.get(name)
    if cached and now - cached[0] < CACHE_SECONDS:
        return cached[1]
    try:
        text = aws.client("secretsmanager").get_secret_value(SecretId=name)["SecretString"]
    except Exception as exc:  # noqa: BLE001
        if getattr(exc, "response", {}).get("Error", {}).get("Code") == "ResourceNotFoundException":
            secrets = ScraperSecrets()
        else:
            raise classify_aws_error(exc, f"read secret {name}") from exc
    else:
        try:
            secrets = ScraperSecrets.model_validate_json(text)
        except ValidationError as exc:
            fields = ", ".join(".".join(map(str, e["loc"])) or "<root>" for e in exc.errors(include_url=False))
            raise ConfigurationError(f"secret {name}: not the expected JSON object (problem at: {fields})") from None
    with _lock:
        _cache[name] = (now, secrets)
    return secrets


@caches.register
def _forget() -> None:
    with _lock:
        _cache.clear()

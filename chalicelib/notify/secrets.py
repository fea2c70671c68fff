"""Webhook URLs: a Secrets Manager secret named in the client's config (read under the deployment's
prefix by chalicelib/core/secrets.py), holding the URL as plain text or as JSON `{"url": "https://..."}`."""

from __future__ import annotations

import json

from chalicelib.core.errors import ConfigurationError
from chalicelib.core.secrets import read_secret, secret_id


def webhook_url(name: str) -> str:
    url = (read_secret(name) or "").strip()
    if url.startswith("{"):
        try:
            url = str(json.loads(url)["url"]).strip()
        except (ValueError, KeyError, TypeError):
            raise ConfigurationError(f"secret {secret_id(name)}: JSON without a 'url' field") from None
    return url

"""Webhook URLs: a Secrets Manager secret named in the client's config (read under the deployment's
prefix by chalicelib/core/secrets.py), holding the URL as plain text or as JSON `{"url": "https://..."}`.

What is wrong with a secret is said with its NAME only: a malformed value (JSON without a url,
whitespace inside the URL, not https, no host, ...) is a ConfigurationError, permanent, never
retried, and quotes nothing of the value."""

from __future__ import annotations

import json

from chalicelib.core.errors import ConfigurationError
from chalicelib.core.secrets import read_secret
from chalicelib.notify.http import WebhookTarget, parse_target


def webhook_target(name: str) -> WebhookTarget:
    raw = (read_secret(name) or "").strip()  # surrounding whitespace (a pasted newline) is not part of a URL
    if raw.startswith("{"):
        try:
            value = json.loads(raw)["url"]
        except (ValueError, KeyError, TypeError):
            raise ConfigurationError(f"webhook secret {name}: JSON without a 'url' field") from None
        if not isinstance(value, str):
            raise ConfigurationError(f"webhook secret {name}: its 'url' field is not a string")
        raw = value.strip()
    return parse_target(name, raw)

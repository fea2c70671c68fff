"""What the three webhook channels share: resolve the secret, post with the idempotency headers.

Every post of one channel of one notification carries the same key, on every retry and redelivery:
`Idempotency-Key: "<notification id>.<channel>"` (a Structured Field string, as the IETF httpapi
draft defines the header) and `X-Notification-Id: <notification id>`. A receiver that keeps the keys
it has accepted can drop the rare repeat (a post accepted just before the process died, or one that
a 5xx answer had in fact processed)."""

from __future__ import annotations

from typing import Any

from chalicelib.core.errors import ConfigurationError, CostReportError, NetworkError
from chalicelib.core.notifications import Notification
from chalicelib.core.settings import get_settings
from chalicelib.notify.http import post_json
from chalicelib.notify.secrets import webhook_target

IDEMPOTENCY_HEADER = "Idempotency-Key"
NOTIFICATION_ID_HEADER = "X-Notification-Id"


def idempotency_key(notification: Notification, channel: str) -> str:
    return f"{notification.notification_id}.{channel}"


def post(notification: Notification, channel: str, secret_name: str | None, payload: dict[str, Any]) -> str:
    if not secret_name:
        raise ConfigurationError(f"{channel}: no secret configured")
    target = webhook_target(secret_name)
    headers = {IDEMPOTENCY_HEADER: f'"{idempotency_key(notification, channel)}"',
               NOTIFICATION_ID_HEADER: notification.notification_id}
    try:
        result = post_json(target, payload, headers=headers, timeout=get_settings().webhook_timeout_seconds)
    except CostReportError:
        raise  # messages name the target by its label only
    except Exception as exc:  # noqa: BLE001 - a library's message may quote the URL: only its class is kept
        raise NetworkError(f"webhook {target.label}: {type(exc).__name__}") from None
    return f"HTTP {result.status} from {target.label}"

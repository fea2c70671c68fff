"""What the three webhook channels share: resolve the secret, post with the notification id."""

from __future__ import annotations

from typing import Any

from chalicelib.core.errors import ConfigurationError
from chalicelib.notify.http import describe_target, post_json
from chalicelib.notify.models import Notification
from chalicelib.notify.secrets import webhook_url
from chalicelib.core.settings import get_settings


def post(notification: Notification, channel: str, secret_name: str | None, payload: dict[str, Any]) -> str:
    if not secret_name:
        raise ConfigurationError(f"{channel}: no secret configured")
    url = webhook_url(secret_name)
    # The id lets a receiver drop the rare repeat (the post succeeded but its record did not).
    result = post_json(url, payload, headers={"X-Notification-Id": notification.notification_id},
                       timeout=get_settings().webhook_timeout_seconds)
    return f"HTTP {result.status} from {describe_target(url)}"

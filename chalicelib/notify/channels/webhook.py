"""A generic JSON webhook: the notification as data (JSON escaping is the only escaping needed;
receivers must treat the strings as untrusted). The route is left out: it names our secrets."""

from __future__ import annotations

from typing import Any

from chalicelib.notify.models import Notification
from chalicelib.notify.channels import webhook_common

SCHEMA_VERSION = "1"


def build(notification: Notification) -> dict[str, Any]:
    return {"schema_version": SCHEMA_VERSION, **notification.model_dump(mode="json", exclude={"route"})}


def send(notification: Notification) -> str:
    return webhook_common.post(notification, "webhook", notification.route.webhook_secret, build(notification))

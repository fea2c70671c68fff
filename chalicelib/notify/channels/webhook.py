"""A generic JSON webhook: the notification as data (JSON escaping is the only escaping needed;
receivers must treat the strings as untrusted). The route is left out: it names our secrets. Every
string is neutralised (controls and bidi controls become spaces: chalicelib/core/text.py), as in
every channel. The `Idempotency-Key` header (webhook_common) is also in the body as
`idempotency_key`, for receivers that only see the body."""

from __future__ import annotations

from typing import Any

from chalicelib.core.notifications import Notification
from chalicelib.core.text import neutralise
from chalicelib.notify.channels import webhook_common

SCHEMA_VERSION = "1"


def _neutralised(value: Any) -> Any:
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, list):
        return [_neutralised(item) for item in value]
    if isinstance(value, dict):
        return {key: _neutralised(item) for key, item in value.items()}
    return value


def build(notification: Notification) -> dict[str, Any]:
    data = notification.model_dump(mode="json", exclude={"route"})
    return {"schema_version": SCHEMA_VERSION, "idempotency_key": webhook_common.idempotency_key(notification, "webhook"),
            **_neutralised(data)}


def send(notification: Notification) -> str:
    return webhook_common.post(notification, "webhook", notification.route.webhook_secret, build(notification))

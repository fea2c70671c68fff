"""Email through SES: HTML and text from jinja2 templates (autoescape on the HTML), built by the one
MIME builder; the subject goes through its header sanitiser. Every value a template prints is
neutralised first (controls and bidi controls become spaces: chalicelib/core/text.py), in the text
and the HTML part alike (the SNS channel renders the same text template)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from chalicelib.core.email import build_message, header_safe, send_raw
from chalicelib.core.errors import ConfigurationError
from chalicelib.core.notifications import Notification
from chalicelib.core.settings import get_settings
from chalicelib.core.text import neutralise

_COLOUR = {"info": "#2563eb", "warning": "#d97706", "critical": "#dc2626"}


def _printed(value: Any) -> Any:
    return neutralise(value) if isinstance(value, str) else value


@lru_cache(maxsize=1)
def templates() -> Any:
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    return Environment(loader=PackageLoader("chalicelib.notify", "templates"), undefined=StrictUndefined,
                       autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=True),
                       keep_trailing_newline=True, finalize=_printed)


def build(notification: Notification) -> bytes:
    env = templates()
    context = {"n": notification, "colour": _COLOUR[notification.severity]}
    route = notification.route
    return build_message(
        sender=route.email_sender or get_settings().default_sender,
        recipients=list(route.email_to),
        reply_to=list(route.email_reply_to),
        subject=header_safe(notification.title),
        text=env.get_template("alert.txt.j2").render(context),
        html=env.get_template("alert.html.j2").render(context),
        csv_body=None,  # an alert has no attachment
        csv_filename="",
        extra_headers={"X-Notification-Id": notification.notification_id},
    )


def send(notification: Notification) -> str:
    if not notification.route.email_to:
        raise ConfigurationError("email: no recipients")
    raw = build(notification)
    message_id = send_raw(raw, sender=notification.route.email_sender or get_settings().default_sender,
                          recipients=list(notification.route.email_to),
                          tags={"client_id": notification.client_id, "notification_id": notification.notification_id,
                                "kind": notification.kind}, doing="SES SendEmail notification")
    return f"SES message {message_id}"

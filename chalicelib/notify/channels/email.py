"""Email through SES: HTML and text from jinja2 templates (autoescape on the HTML), built by the one
MIME builder; the subject goes through its header sanitiser. Sent per recipient, with its own
List-Unsubscribe (chalicelib/core/subscriptions.py), as report emails are. Every value a template prints is
neutralised first (controls and bidi controls become spaces: chalicelib/core/text.py), in the text
and the HTML part alike (the SNS channel renders the same text template)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from chalicelib.core.constants import OPERATOR_CLIENT_ID
from chalicelib.core.email import build_message, for_recipient, header_safe, send_raw
from chalicelib.core.errors import ConfigurationError
from chalicelib.core.notifications import Notification, footer_text, severity_line
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
    context = {"n": notification, "colour": _COLOUR[notification.severity], "footer": footer_text(notification),
               "severity": severity_line(notification.severity)}
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
    """One message per recipient, each with its own To and unsubscribe link; recipients who
    unsubscribed from the client are skipped, and those a previous receive already sent to are not
    sent again (a per-recipient record, chalicelib/notify/store.py). A failure stops here: the
    queue's next receive sends to the rest only."""
    from chalicelib.core import subscriptions
    from chalicelib.notify import store

    if not notification.route.email_to:
        raise ConfigurationError("email: no recipients")
    # Operator alerts go to the deployment's own operator: no client list to leave, no link.
    operator = notification.client_id == OPERATOR_CLIENT_ID
    suppressed = {} if operator else subscriptions.unsubscribed_recipients(notification.client_id)
    raw = build(notification)
    sender = notification.route.email_sender or get_settings().default_sender
    sent: list[str] = []
    skipped = 0
    for position, address in enumerate(notification.route.email_to, start=1):
        if subscriptions.is_unsubscribed(address, suppressed):
            skipped += 1
            continue
        earlier = store.recipient_message(notification.notification_id, "email", address)
        if earlier is not None:
            sent.append(earlier)
            continue
        links = {} if operator else subscriptions.unsubscribe_headers(notification.client_id, address)
        message_id = send_raw(for_recipient(raw, address, links), sender=sender, recipients=[address],
                              tags={"client_id": notification.client_id, "notification_id": notification.notification_id,
                                    "kind": notification.kind, "recipient": str(position)},
                              doing="SES SendEmail notification")
        store.record_recipient(notification.notification_id, "email", address, message_id)
        sent.append(message_id)
    if not sent:
        raise ConfigurationError(f"email: every recipient ({skipped}) has unsubscribed: nothing was sent")
    return f"SES message {', '.join(sent)}" + (f"; {skipped} unsubscribed, skipped" if skipped else "")

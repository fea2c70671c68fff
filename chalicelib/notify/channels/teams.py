"""Microsoft Teams through a Workflows webhook ("Post to a channel when a webhook request is
received"): a message with one Adaptive Card attachment.

Teams renders a subset of Markdown in TextBlocks and FactSets and mentions only through
`msteams.entities`, which we never send; `escape` backslash-escapes the Markdown emphasis, code and
link characters and writes `<`/`>` as entities, so a client name can make neither a link nor an
`<at>` tag.
"""

from __future__ import annotations

import re
from typing import Any

from chalicelib.notify.models import Notification
from chalicelib.notify.channels import webhook_common

_MARKDOWN = re.compile(r"([\\`*_\[\]~])")  # emphasis, code and link syntax: enough that no link forms
_COLOUR = {"info": "Default", "warning": "Warning", "critical": "Attention"}


def escape(text: str) -> str:
    return _MARKDOWN.sub(r"\\\1", text).replace("<", "&lt;").replace(">", "&gt;")


def build(notification: Notification) -> dict[str, Any]:
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": escape(notification.title), "weight": "Bolder", "size": "Medium",
         "wrap": True, "color": _COLOUR[notification.severity]},
        {"type": "TextBlock", "text": escape(notification.summary), "wrap": True},
    ]
    if notification.facts:
        body.append({"type": "FactSet", "facts": [{"title": escape(f.label), "value": escape(f.value)} for f in notification.facts]})
    for line in notification.details:
        body.append({"type": "TextBlock", "text": "- " + escape(line), "wrap": True, "spacing": "None"})
    body.append({"type": "TextBlock", "text": escape(f"{notification.kind} | {notification.client_id} | {notification.notification_id}"),
                 "isSubtle": True, "size": "Small", "wrap": True})
    card = {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard",
            "version": "1.4", "body": body}
    return {"type": "message", "attachments": [
        {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
    ]}


def send(notification: Notification) -> str:
    return webhook_common.post(notification, "teams", notification.route.teams_secret, build(notification))

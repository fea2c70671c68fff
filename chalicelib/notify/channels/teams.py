"""Microsoft Teams through a Workflows webhook ("Post to a channel when a webhook request is
received"): a message with one Adaptive Card attachment.

Teams renders a subset of Markdown in TextBlocks and FactSets and mentions only through
`msteams.entities`, which we never send; `escape` backslash-escapes the Markdown emphasis, code and
link characters and writes `<`/`>` as entities, so a client name can make neither a link nor an
`<at>` tag. Every untrusted text is neutralised first (controls and bidi controls become spaces:
chalicelib/core/text.py).

Size: Teams refuses a message over about 28 KB ("Request Entity too large", Microsoft's documented
limit for webhook and Workflows posts; smaller refusals have been reported), so the card is built to
at most MAX_PAYLOAD_BYTES of JSON, measured after escaping: each text is cut to its own limit, then
facts and detail lines are added while they fit, and the ones left out are counted in a last line.
"""

from __future__ import annotations

import json
import re
from typing import Any

from chalicelib.core.notifications import Notification
from chalicelib.core.text import fit
from chalicelib.notify.channels import webhook_common

_MARKDOWN = re.compile(r"([\\`*_\[\]~])")  # emphasis, code and link syntax: enough that no link forms
_COLOUR = {"info": "Default", "warning": "Warning", "critical": "Attention"}
MAX_PAYLOAD_BYTES = 20_000
MAX_TITLE = 400
MAX_TEXT = 3000
MAX_FACT_TITLE = 200
MAX_FACT_VALUE = 600


def escape(text: str) -> str:
    return _MARKDOWN.sub(r"\\\1", text).replace("<", "&lt;").replace(">", "&gt;")


def _fit(text: str, limit: int) -> str:
    return fit(text, limit, escape)


def _size(value: Any) -> int:
    """Bytes of `value` as the HTTP client serialises it (compact UTF-8 JSON), plus a separating comma."""
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")) + 1


def _message(body: list[dict[str, Any]]) -> dict[str, Any]:
    card = {"$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard",
            "version": "1.4", "body": body}
    return {"type": "message", "attachments": [
        {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
    ]}


def build(notification: Notification) -> dict[str, Any]:
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": _fit(notification.title, MAX_TITLE), "weight": "Bolder", "size": "Medium",
         "wrap": True, "color": _COLOUR[notification.severity]},
        {"type": "TextBlock", "text": _fit(notification.summary, MAX_TEXT), "wrap": True},
    ]
    footer = {"type": "TextBlock",
              "text": _fit(f"{notification.kind} | {notification.client_id} | {notification.notification_id}", MAX_TEXT),
              "isSubtle": True, "size": "Small", "wrap": True}
    more = {"type": "TextBlock", "text": "\u2026 and 1000 more item(s) not shown", "wrap": True, "spacing": "None"}
    room = MAX_PAYLOAD_BYTES - _size(_message(body)) - _size(footer) - _size(more)
    left_out = 0
    facts = [{"title": _fit(f.label, MAX_FACT_TITLE), "value": _fit(f.value, MAX_FACT_VALUE)} for f in notification.facts]
    shown_facts: list[dict[str, str]] = []
    fact_set = _size({"type": "FactSet", "facts": []})
    for fact in facts:
        cost = _size(fact) + (0 if shown_facts else fact_set)
        if cost > room:
            left_out = len(facts) - len(shown_facts)
            break
        room -= cost
        shown_facts.append(fact)
    if shown_facts:
        body.append({"type": "FactSet", "facts": shown_facts})
    for index, line in enumerate(notification.details):
        block = {"type": "TextBlock", "text": "- " + _fit(line, MAX_TEXT), "wrap": True, "spacing": "None"}
        if left_out or _size(block) > room:
            left_out += len(notification.details) - index
            break
        room -= _size(block)
        body.append(block)
    if left_out:
        body.append({**more, "text": f"\u2026 and {left_out} more item(s) not shown"})
    body.append(footer)
    return _message(body)


def send(notification: Notification) -> str:
    return webhook_common.post(notification, "teams", notification.route.teams_secret, build(notification))

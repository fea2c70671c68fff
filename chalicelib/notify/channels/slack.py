"""Slack incoming webhook: a Block Kit message.

Every untrusted text goes through `escape`: Slack parses `&`, `<` and `>` as control characters in
mrkdwn and in the fallback `text`, so `<!channel>` or `<https://evil|click>` in a client name would
become a mention or a link; escaped, they show as typed. `link_names` is never set, so a bare
`@channel` stays text. Header blocks are plain_text (not parsed) and escaped all the same, as Slack
asks for every text object.
"""

from __future__ import annotations

from typing import Any

from chalicelib.notify.models import Notification
from chalicelib.notify.channels import webhook_common

_EMOJI = {"info": ":information_source:", "warning": ":warning:", "critical": ":rotating_light:"}
MAX_SECTION = 2900  # Slack's section text limit is 3,000 characters


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def build(notification: Notification) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": escape(notification.title[:150]), "emoji": False}},
        {"type": "section", "text": {"type": "mrkdwn", "text": f"{_EMOJI[notification.severity]} {escape(notification.summary)}"[:MAX_SECTION]}},
    ]
    if notification.facts:
        blocks.append({"type": "section", "fields": [
            {"type": "mrkdwn", "text": f"*{escape(fact.label)}*\n{escape(fact.value)}"} for fact in notification.facts[:10]
        ]})
    if notification.details:
        text = "\n".join(f"\u2022 {escape(line)}" for line in notification.details)
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text[:MAX_SECTION]}})
    blocks.append({"type": "context", "elements": [
        {"type": "mrkdwn", "text": escape(f"{notification.kind} \u00b7 {notification.client_id} \u00b7 {notification.notification_id}")}
    ]})
    return {"text": escape(notification.title), "blocks": blocks, "unfurl_links": False, "unfurl_media": False}


def send(notification: Notification) -> str:
    return webhook_common.post(notification, "slack", notification.route.slack_secret, build(notification))

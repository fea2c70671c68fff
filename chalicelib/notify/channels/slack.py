"""Slack incoming webhook: a Block Kit message.

Every untrusted text is neutralised (controls and bidi controls become spaces: chalicelib/core/text.py)
and escaped: Slack parses `&`, `<` and `>` as control characters in mrkdwn and in the fallback
`text`, so `<!channel>` or `<https://evil|click>` in a client name would become a mention or a
link; escaped, they show as typed. `link_names` is never set, so a bare `@channel` stays text.
Header blocks are plain_text (not parsed) and escaped all the same, as Slack asks for every text
object.

Limits (Slack's Block Kit reference) are applied AFTER escaping, so `&` (5 characters escaped)
cannot push a text over: header text 150 characters, section text 3,000, section fields 10 of
2,000 each, 50 blocks. Slack also refuses a message whose blocks hold about 13,000 characters in all
(`msg_blocks_too_long`, observed, not documented): the blocks stay under MAX_BLOCKS_TEXT, and
detail lines that do not fit are counted in a last line instead.
"""

from __future__ import annotations

from typing import Any

from chalicelib.core.notifications import Notification
from chalicelib.core.text import fit, utf16_len
from chalicelib.notify.channels import webhook_common

_EMOJI = {"info": ":information_source:", "warning": ":warning:", "critical": ":rotating_light:"}
MAX_HEADER = 150
MAX_SECTION = 3000
MAX_FIELD = 2000
MAX_FIELDS = 10
MAX_BLOCKS = 50
MAX_TEXT = 3000  # the fallback `text` (notifications, screen readers): well under Slack's 40,000
MAX_BLOCKS_TEXT = 12000
MAX_FACTS_TEXT = 4000  # the facts' share of it (the header and summary take at most 3,150)


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _fit(text: str, limit: int) -> str:
    return fit(text, limit, escape)


def _text_size(block: dict[str, Any]) -> int:
    texts = [block["text"]["text"]] if "text" in block else []
    texts += [item["text"] for item in block.get("fields", []) + block.get("elements", [])]
    return sum(utf16_len(t) for t in texts)


def _pack(lines: list[str], limit: int) -> list[str]:
    """Lines joined by newlines into as few texts of at most `limit` as they go."""
    texts: list[str] = []
    for line in lines:
        if texts and utf16_len(texts[-1]) + 1 + utf16_len(line) <= limit:
            texts[-1] += "\n" + line
        else:
            texts.append(line)
    return texts


def build(notification: Notification) -> dict[str, Any]:
    emoji = _EMOJI[notification.severity] + " "
    footer = {"type": "context", "elements": [
        {"type": "mrkdwn",
         "text": _fit(f"{notification.kind} \u00b7 {notification.client_id} \u00b7 {notification.notification_id}", MAX_SECTION)}
    ]}
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _fit(notification.title, MAX_HEADER), "emoji": False}},
        {"type": "section", "text": {"type": "mrkdwn", "text": emoji + _fit(notification.summary, MAX_SECTION - len(emoji))}},
    ]
    per_field = min(MAX_FIELD, MAX_FACTS_TEXT // max(1, len(notification.facts)))
    for start in range(0, len(notification.facts), MAX_FIELDS):
        fields = []
        for fact in notification.facts[start:start + MAX_FIELDS]:
            label = f"*{_fit(fact.label, per_field // 2)}*\n"
            fields.append({"type": "mrkdwn", "text": label + _fit(fact.value, per_field - utf16_len(label))})
        blocks.append({"type": "section", "fields": fields})
    budget = MAX_BLOCKS_TEXT - sum(_text_size(b) for b in blocks) - _text_size(footer) - 100  # 100: the "more" line
    lines: list[str] = []
    for line in notification.details:
        shown = f"\u2022 {_fit(line, MAX_SECTION - 2)}"
        if utf16_len(shown) + 1 > budget:
            break
        lines.append(shown)
        budget -= utf16_len(shown) + 1
    if len(lines) < len(notification.details):
        lines.append(f"\u2026 and {len(notification.details) - len(lines)} more line(s) not shown")
    blocks += [{"type": "section", "text": {"type": "mrkdwn", "text": text}} for text in _pack(lines, MAX_SECTION)]
    del blocks[MAX_BLOCKS - 1:]  # never reached with the budget above; Slack refuses a 51st block
    blocks.append(footer)
    return {"text": _fit(notification.title, MAX_TEXT), "blocks": blocks, "unfurl_links": False, "unfurl_media": False}


def send(notification: Notification) -> str:
    return webhook_common.post(notification, "slack", notification.route.slack_secret, build(notification))

"""Chat limits after escaping, and bidi/control characters in every channel, through the
notification queue's consumer (the local event source mapping feeding the real handler).

The Slack and Teams receivers on 127.0.0.1 refuse what the real services refuse (local/fixtures/webhook_server.py:
Slack's Block Kit limits, Teams' 28 KB), so a payload over a limit is an alert lost as "permanent".
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from email import message_from_bytes
from email.policy import default as default_policy
from typing import Any

import pytest

from chalicelib.core.notifications import Fact, Route
from chalicelib.core.text import BIDI_CONTROLS
from local.fixtures.webhook_server import WebhookServer
from tests.factories import client_config
from tests.notify_support import channel, enqueue, notification, settle

FAMILY = "\U0001F468\u200d\U0001F469\u200d\U0001F467"  # one emoji, five code points, eight UTF-16 units
FLAG = "\U0001F1EB\U0001F1F7"
SPOOF = "\u202egnp.exe\u202c \u2066x\u2069 \u200f\u061c"
INJECT = "\r\nFAKE: line\x00\x85\u2028"


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)


def _hostile_notifications(route: Route) -> list:
    amp = notification(
        "amp", route, name="&<>" * 66, title="&<>" * 100, summary=("&<>" + SPOOF + INJECT) * 40,
        facts=[Fact(label="&" * 100, value="<" * 300) for _ in range(20)],
        details=[(f"{i} &<>{SPOOF}{INJECT} " + "&" * 2000)[:2000] for i in range(60)])
    emoji = notification(
        "emoji", route, name="Emoji", title="A" * 147 + FAMILY + " budget",  # the family emoji straddles 150
        summary="&" * 596 + FLAG + "tail",  # escaped: 2,980 units, then the flag straddles Slack's 3,000
        facts=[Fact(label="Who" + SPOOF, value="x" * 290 + FAMILY)],
        details=["C" * 1999 + FAMILY[0]])
    bidi = notification(
        "bidi", route, name="Acme" + SPOOF + INJECT, title="Acme" + SPOOF + INJECT + ": budget exceeded",
        summary="Spent" + SPOOF + INJECT, facts=[Fact(label="Service" + INJECT, value="EC2" + SPOOF)],
        details=["Crossed" + SPOOF + INJECT])
    return [amp, emoji, bidi]


@pytest.fixture
def env(local_aws):
    with WebhookServer() as server:
        aws = local_aws(clients=[client_config("acme")], retry_time_scale=0.005, poll_queues=False)
        aws.notify.put_secret("l/slack", server.url("slack", "acme", mode="slack"))
        aws.notify.put_secret("l/teams", server.url("teams", "acme", mode="teams"))
        aws.notify.put_secret("l/hook", server.url("webhook", "acme"))
        yield aws, server


def _assert_neutral(text: str, where: str, newlines: bool = False) -> None:
    assert not set(text) & BIDI_CONTROLS, where
    controls = [ch for ch in text if unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp") and not (newlines and ch == "\n")]
    assert controls == [], (where, controls)
    assert "\nFAKE" not in text and "\u202e" not in text, where


def test_hostile_texts_fit_every_channel_after_escaping_and_carry_no_bidi_or_control_characters(env):
    aws, server = env
    route = Route(email_to=["finops@acme.example"], operator_topic=True, slack_secret="l/slack",
                  teams_secret="l/teams", webhook_secret="l/hook")
    items = _hostile_notifications(route)
    enqueue(*items)
    settle(aws, expected_dlq=0, rounds=4)

    for item in items:  # every channel accepted it: nothing lost as "permanent"
        for name in ("email", "sns", "slack", "teams", "webhook"):
            record = channel(item.notification_id, name)
            assert record["status"] == "sent", (item.client_id, name, record.get("reason"))

    slack = {p.headers["X-Notification-Id"]: p.json() for p in server.accepted("slack")}
    teams = {p.headers["X-Notification-Id"]: p for p in server.accepted("teams")}
    hooks = {p.headers["X-Notification-Id"]: p.json() for p in server.accepted("webhook")}
    assert len(slack) == len(teams) == len(hooks) == 3
    amp, emoji, bidi = items

    # Slack: limits counted on the escaped text; no escape cut in half
    for nid, message in slack.items():
        header = message["blocks"][0]["text"]["text"]
        assert _units(header) <= 150 and len(message["blocks"]) <= 50
        for text in _strings(message):
            assert "<" not in text and ">" not in text
            assert "&" not in text.replace("&amp;", "").replace("&lt;", "").replace("&gt;", ""), text[:80]
            assert not any(0xD800 <= ord(ch) <= 0xDFFF for ch in text)
            _assert_neutral(text, f"slack {nid}", newlines=True)
        texts = [b["text"]["text"] for b in message["blocks"] if "text" in b]
        texts += [item["text"] for b in message["blocks"] for item in b.get("fields", []) + b.get("elements", [])]
        assert sum(_units(t) for t in texts) <= 13000  # Slack: msg_blocks_too_long above about 13,000
    amp_header = slack[amp.notification_id]["blocks"][0]["text"]["text"]
    assert amp_header.endswith("\u2026") and len(amp_header) > 140
    assert ("&amp;&lt;&gt;" * 100).startswith(amp_header[:-1])  # whole escapes only, cut after escaping
    assert any("more line(s) not shown" in t for t in _strings(slack[amp.notification_id]))
    emoji_header = slack[emoji.notification_id]["blocks"][0]["text"]["text"]
    assert emoji_header == "A" * 147 + "\u2026"  # the whole family emoji dropped, not a piece of it
    emoji_summary = slack[emoji.notification_id]["blocks"][1]["text"]["text"]
    assert emoji_summary.endswith("&amp;\u2026") and "\U0001F1EB" not in emoji_summary  # the flag not split
    assert "Acme gnp.exe" in slack[bidi.notification_id]["text"]  # shown in the order it was typed

    # Teams: the whole message within the size limit, escaped, neutral
    for nid, post in teams.items():
        assert len(post.body) <= 28 * 1024
        for text in _strings(post.json()):
            assert "<" not in text and not any(0xD800 <= ord(ch) <= 0xDFFF for ch in text)
            _assert_neutral(text, f"teams {nid}")
    assert any("more item(s) not shown" in t for t in _strings(teams[amp.notification_id].json()))

    # the generic webhook: data, neutral
    for nid, body in hooks.items():
        for text in _strings(body):
            _assert_neutral(text, f"webhook {nid}")

    # email (subject and both parts) and SNS (subject and message)
    assert len(aws.outbox.notifications) == 3
    for sent in aws.outbox.notifications:
        message = message_from_bytes(sent["raw"], policy=default_policy)
        _assert_neutral(str(message["Subject"]), "email subject")
        for part in ("plain", "html"):
            body = message.get_body((part,)).get_content().replace("\r\n", "\n")  # SMTP line ends
            _assert_neutral(body, f"email {part}", newlines=True)
    published = [p for p in aws.notify.published if "notification_id" in (p.get("MessageAttributes") or {})]
    assert len(published) == 3
    for params in published:
        _assert_neutral(params["Subject"], "sns subject")
        _assert_neutral(params["Message"], "sns message", newlines=True)
        assert all(_units(v["StringValue"]) < 100 for v in params["MessageAttributes"].values())

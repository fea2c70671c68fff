"""Channel payloads (escaping) and the webhook HTTP client against a loopback server (127.0.0.1)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email import message_from_bytes
from email.policy import default as default_policy

import pytest

from chalicelib.core.errors import ConfigurationError, NetworkError, ServiceUnavailableError, ThrottlingError
from chalicelib.core.notifications import Fact, Notification, Route, notification_id
from chalicelib.notify.channels import email, slack, sns, teams, webhook
from chalicelib.notify.http import parse_target, post_json
from local.fixtures.webhook_server import WebhookServer

HOSTILE = "Evil <!channel> <@U123> <https://evil.example|click> [x](https://evil.example) *b* & <script>alert(1)</script>"


def _notification(name: str = HOSTILE, **route) -> Notification:
    return Notification(
        notification_id=notification_id("budget", "acme", "x"), kind="budget", client_id="acme", client_name=name,
        severity="critical", title=f"{name}: monthly budget exceeded", summary=f"{name} spent 1,200.00 USD of 1,000.00 USD",
        facts=[Fact(label="Service", value=name)], details=[f"Crossed by {name}"],
        created_at=datetime(2026, 11, 22, tzinfo=UTC),
        route=Route(email_to=["finops@acme.example"], **route))


def test_slack_payload_escapes_mentions_and_links():
    payload = slack.build(_notification())
    text = json.dumps(payload)
    assert "<!channel>" not in text and "<@U123>" not in text and "<https://" not in text and "<script>" not in text
    assert "&lt;!channel&gt;" in payload["text"]
    mrkdwn = [b["text"]["text"] for b in payload["blocks"] if b["type"] == "section" and "text" in b]
    assert all("<" not in t.replace("&lt;", "") for t in mrkdwn)
    assert payload["blocks"][0]["text"]["type"] == "plain_text"  # headers are never parsed
    assert "link_names" not in payload


def test_teams_payload_escapes_markdown_links_and_tags():
    card = teams.build(_notification())["attachments"][0]["content"]
    texts = [b["text"] for b in card["body"] if b["type"] == "TextBlock"]
    texts += [f["value"] for b in card["body"] if b["type"] == "FactSet" for f in b["facts"]]
    for text in texts:
        assert "<" not in text and "](" not in text.replace("\\](", "")
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"


def test_generic_webhook_is_data_without_the_route():
    payload = webhook.build(_notification(slack_secret="acme/slack"))
    assert payload["client_name"] == HOSTILE and "route" not in payload and "acme/slack" not in json.dumps(payload)


def test_email_html_is_autoescaped_and_headers_are_clean():
    raw = email.build(_notification(name="Acme\r\nBcc: evil@evil.example <img src=x onerror=alert(1)>"))
    message = message_from_bytes(raw, policy=default_policy)
    assert message["Bcc"] is None and "\n" not in str(message["Subject"])
    html = message.get_body(("html",)).get_content()
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<img src=x" in message.get_body(("plain",)).get_content()  # plain text stays as typed
    assert message["X-Notification-Id"].startswith("budget-")


def test_sns_subject_is_ascii_and_short():
    payload = sns.build(_notification(name="Café \u2603 " + "x" * 150))
    assert payload["Subject"].isascii() and len(payload["Subject"]) < 100 and "\n" not in payload["Subject"]


# ---- the HTTP client --------------------------------------------------------------------------

def _target(url: str):
    return parse_target("acme/slack", url)


@pytest.fixture
def server():
    with WebhookServer(hold_seconds=1.5) as running:
        yield running


def test_post_sends_json_with_user_agent_and_timeout(server):
    result = post_json(_target(server.url("slack", "acme")), {"text": "hi"}, headers={"X-Notification-Id": "n1"})
    assert result.status == 200
    (post,) = server.accepted()
    assert post.json() == {"text": "hi"} and post.headers["User-Agent"].startswith("cost-reporter-notify/")
    assert post.headers["Content-Type"].startswith("application/json") and post.headers["X-Notification-Id"] == "n1"


@pytest.mark.parametrize("mode, error", [
    ("status/429", ThrottlingError), ("status/500", ServiceUnavailableError), ("status/503", ServiceUnavailableError),
    ("status/404", ConfigurationError), ("status/400", ConfigurationError), ("status/410", ConfigurationError),
])
def test_status_classification(server, mode, error):
    url = server.url("slack", "acme", mode=mode)
    with pytest.raises(error) as caught:
        post_json(_target(url), {"text": "hi"})
    from chalicelib.notify.stages.consumer import QUEUE_RETRIED

    assert isinstance(caught.value, QUEUE_RETRIED) is (mode in ("status/429", "status/500", "status/503"))
    assert url not in str(caught.value) and "/acme" not in str(caught.value)  # the URL is a secret
    assert "secret acme/slack (host 127.0.0.1)" in str(caught.value)  # named by the secret's name


@pytest.mark.timing  # measures rates or waits on the clock: run in the serial phase (Makefile)
def test_a_post_sent_whole_but_unanswered_is_unconfirmed_and_bounded(server):
    import time

    from chalicelib.notify.http import DeliveryUnconfirmed

    started = time.monotonic()
    with pytest.raises(DeliveryUnconfirmed, match=r"no answer within 0\.3 s"):
        post_json(_target(server.url("slack", "acme", mode="slow")), {"text": "hi"}, timeout=0.3)
    assert time.monotonic() - started < 1.4


def test_connection_refused_is_retryable():
    with pytest.raises(NetworkError):
        post_json(_target("http://127.0.0.1:9/hook"), {"x": 1}, timeout=1)


def test_same_host_redirect_followed_other_host_refused(server):
    assert post_json(_target(server.url("teams", "acme", mode="redirect-same")), {"a": 1}).status == 200
    assert [p.path for p in server.accepted()] == ["/ok/teams/acme"]
    with pytest.raises(ConfigurationError, match="another host"):
        post_json(_target(server.url("teams", "acme", mode="redirect-other")), {"a": 1})
    assert len(server.accepted()) == 1  # nothing was posted to the other host


def test_only_https_or_loopback_http():
    with pytest.raises(ConfigurationError, match="https"):
        _target("http://hooks.example.com/services/x")
    with pytest.raises(ConfigurationError):
        _target("file:///etc/passwd")


@pytest.mark.timing  # waits on the clock: run in the serial phase (Makefile)
def test_a_tls_handshake_that_never_ends_is_cut_at_the_deadline():
    """A listener that accepts and never answers the TLS handshake: not sent, retried, bounded."""
    import socket
    import time

    listener = socket.create_server(("127.0.0.1", 0))
    try:
        port = listener.getsockname()[1]
        started = time.monotonic()
        with pytest.raises(NetworkError, match="not sent within the deadline") as caught:
            post_json(parse_target("acme/hook", f"https://127.0.0.1:{port}/hooks/T0ken?k=T0ken"), {"a": 1}, timeout=0.4)
        assert time.monotonic() - started < 1.5
        assert "T0ken" not in str(caught.value) and "secret acme/hook (host 127.0.0.1)" in str(caught.value)
    finally:
        listener.close()


@pytest.mark.parametrize("value, problem", [
    ("https://hooks.example/a b", "space"), ("https://hooks.example/a\tb", "control"),
    ("https://hooks.example/\u00e9", "non-ASCII"),
    ("ftp://hooks.example/x", "https"), ("https:///x", "no host"), ("https://hooks.example:99999/x", "cannot be parsed"),
    ("https://[::1/x", "cannot be parsed"), ("", "empty"), ("http://hooks.example/x", "loopback"),
])
def test_a_malformed_url_names_the_secret_and_quotes_nothing_of_it(value, problem):
    with pytest.raises(ConfigurationError, match=problem) as caught:
        parse_target("acme/slack", value)
    message = str(caught.value)
    assert message.startswith("webhook secret acme/slack: ") and "hooks.example" not in message and "/x" not in message


def test_fit_cuts_after_escaping_never_inside_an_escape_a_character_or_an_emoji():
    from chalicelib.core.text import fit, neutralise, utf16_len

    family = "\U0001F468\u200d\U0001F469\u200d\U0001F467"
    for limit in range(1, 40):
        for text in ("&<>" * 20, "ab" + family * 5, "\U0001F1EB\U0001F1F7" * 9, "e\u0301" * 20, "x\u202ey\r\nz" * 5):
            cut = fit(text, limit, slack.escape)
            assert utf16_len(cut) <= limit, (text, limit, cut)
            body = cut.removesuffix("\u2026")
            assert "&" not in body.replace("&amp;", "").replace("&lt;", "").replace("&gt;", "")
            assert slack.escape(neutralise(text)).startswith(body)  # a prefix of whole clusters
            assert not body.endswith("\u200d") and not body.endswith("\U0001F468\u200d\U0001F469")
            assert body.count("\U0001F1EB") == body.count("\U0001F1F7")  # no half flag
            assert "\u202e" not in cut and "\n" not in cut
    assert fit("short", 10) == "short" and fit("a&b", 3, slack.escape) == "a\u2026"

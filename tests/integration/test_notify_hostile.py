"""Webhook secrets and deadlines through the notification queue's consumer (the local event source
mapping feeding the real handler), against hostile receivers on 127.0.0.1.

- Nothing derived from a webhook secret (path, query, userinfo) or from a receiver's answer reaches
  any output of the run: logs at every level, the ledger, DLQ messages, exception messages, files,
  stdout/stderr. Receivers are named by the secret's name and host.
- A malformed URL secret is a permanent configuration error naming the secret, never posted.
- The webhook timeout is a total deadline; a post sent whole and answered late is posted once and
  recorded `unconfirmed`; every post of a channel carries one idempotency key.
"""

from __future__ import annotations

import base64
import json
import logging
import time
import uuid
from pathlib import Path

import pytest

from chalicelib.core.notifications import Route
from local.fixtures.webhook_server import WebhookServer
from tests.factories import client_config
from tests.notify_support import channel, dlq_bodies, enqueue, ledger_items, notification, settle


@pytest.fixture
def env(local_aws, monkeypatch):
    monkeypatch.setenv("WEBHOOK_TIMEOUT_SECONDS", "0.5")
    with WebhookServer(hold_seconds=1.2, drip_seconds=0.15) as server:
        # visibility timeout 360 s scaled to 2 s; the queue consumed only by drain() (deterministic)
        aws = local_aws(clients=[client_config("acme")], retry_time_scale=0.005, poll_queues=False)
        yield aws, server


def _token() -> str:
    return f"Tok{uuid.uuid4().hex}"


# ---- secrets never leave the secret ---------------------------------------------------------------

def _hostile_secrets(port: int) -> dict[str, tuple[str, str, list[str]]]:
    """secret name -> (value, expected outcome, strings derived from it that must appear nowhere)."""
    base = f"http://127.0.0.1:{port}"
    secrets: dict[str, tuple[str, str, list[str]]] = {}

    def add(name: str, outcome: str, make) -> None:
        token = _token()
        value = make(token)
        derived = [token, base64.b64encode(f"user:{token}".encode()).decode()]
        secrets[name] = (value, outcome, derived)

    # the error page echoes path and query in its body, reason phrase and a header
    add("h/echo-404", "permanent", lambda t: f"{base}/echo/404/hooks/{t}/slack/acme?sig={t}")
    # retried to the DLQ; echoes the Authorization header made from the userinfo
    add("h/echo-500", "dead-lettered", lambda t: f"http://user:{t}@127.0.0.1:{port}/echo/500/hooks/{t}/x/y?sig={t}")
    add("h/echo-429", "dead-lettered", lambda t: f"{base}/echo/429/{t}/x/y")
    add("h/garbage", "dead-lettered", lambda t: f"{base}/garbage/{t}/x/y?k={t}")  # a status line made of the path
    add("h/hangup", "dead-lettered", lambda t: f"{base}/hangup/{t}/x/y")
    add("h/redirect-away", "permanent", lambda t: f"{base}/redirect-away/{t}/x/y?k={t}")  # Location carries the token
    add("h/redirect-found", "permanent", lambda t: f"{base}/redirect-found/{t}/x/y?k={t}")
    # malformed: never posted, permanent, the secret named
    add("h/space", "malformed", lambda t: f"{base}/ok/hooks/{t} x/y")
    add("h/newline", "malformed", lambda t: f"{base}/ok/{t}\r\nX-Injected: {t}")
    add("h/non-ascii", "malformed", lambda t: f"{base}/ok/{t}\u00e9/x/y")
    add("h/ftp", "malformed", lambda t: f"ftp://127.0.0.1/{t}")
    add("h/no-host", "malformed", lambda t: f"https:///{t}")
    add("h/bad-port", "malformed", lambda t: f"https://hooks.example:{t}/x")
    add("h/http-remote", "malformed", lambda t: f"http://hooks.example.com/{t}")
    add("h/json-no-url", "malformed", lambda t: json.dumps({"href": f"https://hooks.example.com/{t}"}))
    add("h/json-not-string", "malformed", lambda t: json.dumps({"url": [f"https://hooks.example.com/{t}"]}))
    return secrets


def _run_outputs(aws, capfd, caplog, tmp_path: Path) -> str:
    """Every output of the run, as one text: logs (every record at every level, with its extras),
    stdout/stderr, the ledger, the DLQ messages, the poller's exception messages, every file."""
    logs = capfd.readouterr()
    parts = [logs.out, logs.err]
    for record in caplog.records:
        parts.append(record.getMessage())
        parts.append(json.dumps(record.__dict__, default=str))
        if record.exc_info:
            parts.append(logging.Formatter().formatException(record.exc_info))
    parts.append(json.dumps(ledger_items(), default=str))
    parts += dlq_bodies(aws)
    parts += [f"{d.error or ''} {d.failed}" for d in aws.poller.deliveries]
    for path in sorted(tmp_path.rglob("*")):
        if path.is_file():
            parts.append(path.read_bytes().decode("utf-8", "replace"))
    return "\n".join(parts)


def test_no_output_of_a_run_with_hostile_receivers_holds_anything_of_a_secret(env, capfd, caplog, tmp_path):
    aws, server = env
    from chalicelib.core.observability import logger

    logger().setLevel("DEBUG")
    caplog.set_level(logging.DEBUG)  # every logger, every level: botocore's request/response bodies included
    secrets = _hostile_secrets(server.port)
    for name, (value, _, _) in secrets.items():
        aws.notify.put_secret(name, value)
    names = list(secrets)
    notifications = []
    for index in range(0, len(names), 3):  # three webhook channels per notification
        slack, teams, hook = (names[index:index + 3] + [None, None])[:3]
        route = Route(slack_secret=slack, teams_secret=teams, webhook_secret=hook)
        notifications.append(notification(f"hostile{index}", route))
    enqueue(*notifications)
    dead = {n.notification_id for n in notifications
            if any(secrets[s][1] == "dead-lettered"
                   for s in (n.route.slack_secret, n.route.teams_secret, n.route.webhook_secret) if s)}
    settle(aws, expected_dlq=len(dead))

    everything = _run_outputs(aws, capfd, caplog, tmp_path)
    assert "HTTP 404" in everything and "h/echo-500" in everything  # the outputs were captured
    leaks = {secret: everything[max(0, everything.index(d) - 200):everything.index(d) + 40]
             for secret, (_, _, derived) in secrets.items() for d in derived if d in everything}
    assert leaks == {}, f"outputs hold something of these secrets (where: the text around it) {leaks}"
    assert aws.notify.dlq_depth() == len(dead)  # only the retryable failures, after 5 receives

    by_secret = {}
    for n in notifications:
        for name, secret in (("slack", n.route.slack_secret), ("teams", n.route.teams_secret),
                             ("webhook", n.route.webhook_secret)):
            if secret:
                by_secret[secret] = channel(n.notification_id, name)
    for secret, (_, outcome, _) in secrets.items():
        record = by_secret[secret]
        assert record["status"] == "failed", (secret, record)
        assert f"secret {secret}" in record["reason"], (secret, record["reason"])  # named by the secret's name
        if outcome == "dead-lettered":
            assert int(record["attempts"]) == 5 and record["dead_lettered"] is True, (secret, record)
        else:
            assert int(record["attempts"]) == 1 and record["dead_lettered"] is False, (secret, record)
        if outcome == "malformed":
            assert record["reason"].startswith("ConfigurationError: webhook secret "), (secret, record["reason"])
    malformed_paths = [p.path for p in server.posts if "/ok/" in p.path]
    assert malformed_paths == [], "a malformed secret must never be posted"



# ---- deadlines and idempotency ---------------------------------------------------------------

@pytest.mark.timing  # waits on the clock: run in the serial phase (Makefile)
def test_a_dripping_receiver_is_cut_off_at_the_deadline_and_posted_once(env):
    aws, server = env
    aws.notify.put_secret("d/drip", f"http://127.0.0.1:{server.port}/drip/webhook/acme")
    item = notification("drip", Route(webhook_secret="d/drip"))
    enqueue(item)
    started = time.monotonic()
    settle(aws, expected_dlq=0, rounds=1)
    elapsed = time.monotonic() - started
    # The answer takes 60 bytes x 0.15 s = 9 s to drip; the post gives up at its 0.5 s deadline.
    assert elapsed < 4.0, elapsed
    record = channel(item.notification_id, "webhook")
    assert record["status"] == "unconfirmed" and "no answer within 0.5 s" in record["reason"]
    assert int(record["attempts"]) == 1 and aws.notify.dlq_depth() == 0
    assert len([p for p in server.posts if p.path.startswith("/drip/")]) == 1


@pytest.mark.timing  # waits on the clock: run in the serial phase (Makefile)
def test_a_slow_200_is_posted_once_and_recorded_unconfirmed_not_failed(env):
    aws, server = env
    aws.notify.put_secret("s/slow", f"http://127.0.0.1:{server.port}/slow/webhook/acme")  # 200 after 1.2 s
    aws.notify.put_secret("s/drip-body", f"http://127.0.0.1:{server.port}/drip-body/slack/acme")  # 200 at once, body dripped
    item = notification("slow", Route(webhook_secret="s/slow", slack_secret="s/drip-body"))
    enqueue(item)
    for _ in range(3):  # several visibility timeouts: nothing comes back
        settle(aws, expected_dlq=0, rounds=1)
        time.sleep(1.0)
    assert len([p for p in server.posts if p.path.startswith("/slow/")]) == 1  # one copy, not five
    record = channel(item.notification_id, "webhook")
    assert record["status"] == "unconfirmed" and int(record["attempts"]) == 1 and not record["dead_lettered"]
    # the status line decides: a 200 whose body drips is sent, not held to the deadline
    assert channel(item.notification_id, "slack")["status"] == "sent"
    assert aws.notify.dlq_depth() == 0


def test_every_post_of_a_channel_carries_the_same_idempotency_key(env):
    aws, server = env
    for name in ("slack", "webhook"):
        aws.notify.put_secret(f"i/{name}", server.url(name, "idem"))
    server.fail_next("/ok/slack/idem", [500, 503])  # two failed receives, then accepted
    server.fail_next("/ok/webhook/idem", [429])
    item = notification("idem", Route(slack_secret="i/slack", webhook_secret="i/webhook"))
    enqueue(item)
    settle(aws, expected_dlq=0, rounds=10)
    slack = [p for p in server.posts if p.path == "/ok/slack/idem"]
    hook = [p for p in server.posts if p.path == "/ok/webhook/idem"]
    assert [p.status for p in slack] == [500, 503, 200] and [p.status for p in hook] == [429, 200]
    assert {p.headers["Idempotency-Key"] for p in slack} == {f'"{item.notification_id}.slack"'}
    assert {p.headers["Idempotency-Key"] for p in hook} == {f'"{item.notification_id}.webhook"'}
    assert {p.headers["X-Notification-Id"] for p in slack + hook} == {item.notification_id}
    assert hook[-1].json()["idempotency_key"] == f"{item.notification_id}.webhook"
    assert channel(item.notification_id, "slack")["status"] == "sent"


def test_no_post_starts_without_the_largest_allowed_timeout_left(env, monkeypatch):
    """The reserve is the settings' bound on WEBHOOK_TIMEOUT_SECONDS (plus a ledger margin): with
    34 s of the consumer's 60 s left, a post that may last 30 s is not started (the record goes
    back to the queue untouched), and it is sent on the next receive."""
    aws, server = env
    from pydantic import ValidationError

    from chalicelib.core import constants as c
    from chalicelib.core.settings import Settings
    from chalicelib.notify.stages import consumer

    aws.notify.put_secret("r/hook", server.url("webhook", "reserve"))
    item = notification("reserve", Route(webhook_secret="r/hook"))
    enqueue(item)
    real = time.monotonic

    class LateClock:  # the invocation's clock, 26 s in once the handler has read its start
        calls = 0

        @classmethod
        def monotonic(cls) -> float:
            cls.calls += 1
            return real() + (0 if cls.calls == 1 else 26.0)

    monkeypatch.setattr(consumer, "time", LateClock)
    (mapping,) = [m for m in aws.poller.mappings if m.function == "notify_consumer"]
    assert aws.poller.poll(mapping) == 1  # one receive, one invocation of the handler
    assert aws.poller.deliveries[-1].failed == aws.poller.deliveries[-1].message_ids  # handed back
    assert server.posts == [] and "CHANNEL#webhook" not in {i["sk"] for i in ledger_items()}  # untouched
    monkeypatch.setattr(consumer, "time", time)
    settle(aws, expected_dlq=0, rounds=6)
    assert len(server.accepted("webhook")) == 1 and channel(item.notification_id, "webhook")["status"] == "sent"

    # the bound the reserve covers is the one the settings enforce
    (bound,) = [m.le for m in Settings.model_fields["webhook_timeout_seconds"].metadata if getattr(m, "le", None)]
    assert bound <= consumer.RESERVE_SECONDS
    monkeypatch.setenv(c.ENV_WEBHOOK_TIMEOUT_SECONDS, str(bound + 0.1))
    with pytest.raises(ValidationError):
        Settings()

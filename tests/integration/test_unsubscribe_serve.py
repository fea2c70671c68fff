"""One-click unsubscribe end to end through `python -m local serve` (a subprocess on 127.0.0.1): the
report emails carry RFC 8058's headers, the link is answered on the same port by the app's route,
a one-click POST stops that recipient for that client, the operator sees it in `admin clients show`,
and `admin clients resubscribe` brings the recipient back. And the alert emails of the notification
queue, in process: the same headers, the same filtering, exactly once per recipient."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.factories import AS_OF, client_config
from tests.integration.serve_command import serve_command
from tests.integration.test_admin_clients import admin
from tests.integration.test_serve import external_client, wait

TEAM = ["ann@alpha.example", "bob@alpha.example"]
CLIENTS = [client_config("alpha", ["111111111111"], recipients=TEAM), client_config("bravo", ["222222222222"])]
STATE_MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:cost-reporter-local-cost-report"


def _messages(folder: Path) -> dict[Path, Any]:
    return {path: message_from_bytes(path.read_bytes(), policy=default_policy) for path in sorted(folder.glob("*.eml"))}


def _to(message: Any) -> str:
    [address] = message["To"].addresses
    return address.addr_spec


def _run(endpoint: str, **extra: Any) -> dict[str, Any]:
    sfn = external_client(endpoint)
    run_input = {"report_type": "weekly", "as_of": AS_OF.isoformat(), **extra}
    described = wait(sfn, sfn.start_execution(stateMachineArn=STATE_MACHINE, input=json.dumps(run_input))["executionArn"])
    assert described["status"] == "SUCCEEDED", described
    return json.loads(described["output"])


def _http(url: str, body: bytes | None = None, content_type: str | None = None) -> tuple[int, str, str]:
    request = urllib.request.Request(url, data=body, method="POST" if body is not None else "GET",
                                     headers={"Content-Type": content_type} if content_type else {})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback only, never a proxy
    try:
        with opener.open(request, timeout=30) as reply:
            return reply.status, reply.headers.get("Content-Type", ""), reply.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", ""), exc.read().decode()


def test_one_click_unsubscribe_through_local_serve(tmp_path: Path) -> None:
    with serve_command(tmp_path, CLIENTS) as served:
        endpoint, lines, out = served.endpoint, served.lines, served.out
        assert f"Unsubscribe route:  {endpoint}/unsubscribe" in "".join(lines)  # serve prints where links point

        # 1. a run: one message per recipient, each with its own link to this endpoint
        first = _run(endpoint)
        assert first["delivered"] == 2
        sent = _messages(out / "alpha")
        assert sorted(_to(m) for m in sent.values()) == TEAM
        links = {}
        for message in sent.values():
            assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
            link = str(message["List-Unsubscribe"])
            assert link.startswith(f"<{endpoint}/unsubscribe?token=v1.") and link.endswith(">"), link
            links[_to(message)] = link[1:-1]
        assert links["ann@alpha.example"] != links["bob@alpha.example"]
        assert parse_qs(urlsplit(links["bob@alpha.example"]).query)["token"][0].count(".") == 3

        # 2. a GET (a link scanner, a preview) shows the page and records nothing
        status, kind, page = _http(links["bob@alpha.example"])
        assert status == 200 and kind.startswith("text/html") and 'value="One-Click"' in page and "b***@alpha.example" in page
        shown = admin(endpoint, "show", "alpha", "--json")
        assert shown.returncode == 0, shown.stderr
        assert json.loads(shown.stdout)["unsubscribed"] == []

        # 3. a forged link is refused, then bob's mailbox provider POSTs the one-click form
        forged = links["bob@alpha.example"][:-3] + ("AAA" if not links["bob@alpha.example"].endswith("AAA") else "BBB")
        status, _, text = _http(forged, b"List-Unsubscribe=One-Click", "application/x-www-form-urlencoded")
        assert status == 400 and "not valid" in text
        status, _, text = _http(links["bob@alpha.example"], b"List-Unsubscribe=One-Click", "application/x-www-form-urlencoded")
        assert status == 200 and "Unsubscribed" in text

        # 4. the operator sees it: whole address, when, how
        shown = admin(endpoint, "show", "alpha")
        assert shown.returncode == 0, shown.stderr
        assert "unsubscribed recipients: 1" in shown.stdout and "bob@alpha.example" in shown.stdout
        assert "(one-click)" in shown.stdout

        # 5. the next run skips bob, still sends to ann (and bravo is untouched)
        second = _run(endpoint, client_id="alpha", force=True)
        assert second["delivered"] == 1
        now = _messages(out / "alpha")
        new = [m for path, m in now.items() if path not in sent]
        assert [_to(m) for m in new] == ["ann@alpha.example"]
        records = external_client(endpoint, "dynamodb").get_item(
            TableName="cost-reporter-local", Key={"pk": {"S": f"RUN#{second['run_id']}"}, "sk": {"S": "CLIENT#alpha"}})
        assert records["Item"]["unsubscribed"]["N"] == "1"

        # 6. bob asks to come back: resubscribe, and a run sends to both again
        back = admin(endpoint, "resubscribe", "alpha", "bob@ALPHA.example")
        assert back.returncode == 0, back.stderr
        assert "bob@alpha.example receives its reports and alerts again" in back.stdout
        again = admin(endpoint, "resubscribe", "alpha", "bob@alpha.example")
        assert again.returncode == 2 and "has not unsubscribed" in again.stderr
        third = _run(endpoint, client_id="alpha", force=True)
        assert third["delivered"] == 1
        latest = [m for path, m in _messages(out / "alpha").items() if path not in now]
        assert sorted(_to(m) for m in latest) == TEAM
    assert served.process.returncode == 0, "".join(lines) + served.rest


# ---- alert emails (the notification queue's email channel), in process --------------------------------------


def test_alert_emails_carry_the_headers_skip_the_unsubscribed_and_send_once_each_after_a_partial_failure(local_aws):
    from chalicelib.core.notifications import Route
    from chalicelib.core.subscriptions import unsubscribe, verify
    from tests.notify_support import channel, enqueue, notification, settle

    aws = local_aws(clients=[client_config("acme", ["111111111111"])])
    unsubscribe("acme", "gone@acme.example", "one-click")
    failed: list[str] = []

    def cat_fails_once(request):
        if request["Destination"]["ToAddresses"] == ["cat@acme.example"] and not failed:
            failed.append("cat")
            return (500, "InternalFailure", "injected: SES failed for one recipient")  # the queue redelivers
        return None

    aws.outbox.fault_hook = cat_fails_once
    route = Route(email_to=["ann@acme.example", "gone@acme.example", "cat@acme.example"])
    item = notification("acme", route)
    enqueue(item)
    settle(aws, expected_dlq=0, rounds=20)
    for _ in range(20):  # bounded: the failed receive comes back after the (scaled) visibility timeout
        if channel(item.notification_id, "email")["status"] == "sent":
            break
        time.sleep(0.5)
        aws.notify.drain()
    assert failed == ["cat"]
    record = channel(item.notification_id, "email")
    assert record["status"] == "sent" and "1 unsubscribed" in record["detail"]
    sent = [message_from_bytes(n["raw"], policy=default_policy) for n in aws.outbox.notifications]
    assert sorted(_to(m) for m in sent) == ["ann@acme.example", "cat@acme.example"]  # once each, never "gone"
    for message in sent:
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        token = parse_qs(urlsplit(str(message["List-Unsubscribe"])[1:-1]).query)["token"][0]
        assert verify(token).client_id == "acme" and verify(token).address == _to(message)


def test_an_alert_whose_every_recipient_unsubscribed_is_failed_not_sent_and_operator_alerts_carry_no_link(local_aws):
    from chalicelib.core.constants import OPERATOR_CLIENT_ID
    from chalicelib.core.notifications import Route
    from chalicelib.core.subscriptions import unsubscribe
    from tests.notify_support import channel, enqueue, notification, settle

    aws = local_aws(clients=[client_config("acme", ["111111111111"])])
    unsubscribe("acme", "only@acme.example", "page")
    gone = notification("acme", Route(email_to=["only@acme.example"]))
    operator = notification(OPERATOR_CLIENT_ID, Route(email_to=["ops@provider.example"]))
    enqueue(gone, operator)
    settle(aws, expected_dlq=0, rounds=4)
    record = channel(gone.notification_id, "email")
    assert record["status"] == "failed" and "every recipient (1) has unsubscribed" in record["reason"]
    [sent] = [message_from_bytes(n["raw"], policy=default_policy) for n in aws.outbox.notifications]
    assert _to(sent) == "ops@provider.example" and sent["List-Unsubscribe"] is None

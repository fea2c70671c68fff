"""The budget state machine and the notification queue end to end on the in-process AWS, webhooks
posted to a loopback server: once per crossing across reruns and days, partial batch failure, the
DLQ path, permanent 4xx, timeouts, and no webhook URL in the logs."""

from __future__ import annotations

import json
import time
from datetime import UTC, date
from decimal import Decimal as D

import pytest

from local.fixtures.webhook_server import WebhookServer
from tests.factories import client_config as client, cost_rows

ACCOUNTS = {"over": "111111111111", "ahead": "222222222222", "quiet": "333333333333", "broken": "444444444444"}
ROWS = cost_rows(list(ACCOUNTS.values()), start=date(2026, 10, 1), end=date(2026, 11, 20))  # CE "today": Nov 20


def _november_to_date(account: str) -> D:
    return sum((D(r["amount"]) for r in ROWS if r["account_id"] == account and r["date"] >= "2026-11-01"), D(0))


def _clients() -> list[dict]:
    over = _november_to_date(ACCOUNTS["over"])
    ahead = _november_to_date(ACCOUNTS["ahead"])
    quiet = _november_to_date(ACCOUNTS["quiet"])

    def channels(cid: str) -> dict[str, str]:
        return {"slack_secret": f"{cid}/slack", "teams_secret": f"{cid}/teams", "webhook_secret": f"{cid}/hook"}

    return [
        # 85% spent, forecast ~134%: both default thresholds at once -> one notification listing both
        client("over", [ACCOUNTS["over"]], name="Over <!channel> & Co",
               budgets={"monthly": str((over / D("0.85")).quantize(D("0.01")))}, notifications=channels("over")),
        # 70% spent, forecast ~110%: forecast only
        client("ahead", [ACCOUNTS["ahead"]],
               budgets=[{"amount": str((ahead / D("0.7")).quantize(D("0.01"))), "period": "monthly"}],
               notifications={"alert_recipients": ["alerts@ahead.example"], "slack_secret": "ahead/slack"}),
        client("quiet", [ACCOUNTS["quiet"]], budgets={"monthly": str(quiet * 3)}),
        client("broken", [ACCOUNTS["broken"]], budgets=[{"amount": 100, "thresholds": [{"percent": 80, "on": "vibes"}]}]),
    ]


@pytest.fixture
def env(local_aws, tmp_path, monkeypatch):
    monkeypatch.setenv("WEBHOOK_TIMEOUT_SECONDS", "0.5")
    with WebhookServer(out_dir=tmp_path / "out", hold_seconds=1.2) as server:
        # retry_time_scale: the queue's 360 s visibility timeout passes in about 2 s locally
        # poll_queues=False: the queue is consumed only by drain() (deterministic batches)
        aws = local_aws(clients=_clients(), rows=ROWS, retry_time_scale=0.005, poll_queues=False)
        notify = aws.notify
        for cid in ("over", "ahead"):
            for channel, secret in (("slack", "slack"), ("teams", "teams"), ("webhook", "hook")):
                notify.put_secret(f"{cid}/{secret}", server.url(channel, cid))
        yield aws, notify, server


def _check(aws, notify, as_of: str, name: str) -> dict:
    described = aws.wait(notify.start_budget_check({"as_of": as_of}, name))
    assert described["status"] == "SUCCEEDED", described
    return json.loads(described["output"])


def _sent(aws, server) -> dict[str, int]:
    emails = aws.outbox.notifications
    counts = {"email": len(emails)}
    for channel in ("slack", "teams", "webhook"):
        counts[channel] = len(server.accepted(channel))
    return counts


def test_budget_check_notifies_once_per_crossing_across_reruns_and_days(env, tmp_path):
    aws, notify, server = env
    summary = _check(aws, notify, "2026-11-20", "budget-1")
    by_client = {c["client_id"]: c for c in summary["clients"]}
    assert (summary["checked"], summary["skipped"], summary["failed"]) == (3, 1, 0)
    assert "budgets[0].thresholds[0].on" in by_client["broken"]["reason"]  # a bad budget is named, others go on
    monthly = _clients()[0]["budgets"]["monthly"].rstrip("0").rstrip(".")
    assert sorted(by_client["over"]["crossed"]) == sorted([f"monthly-{monthly}:actual-80", f"monthly-{monthly}:forecast-100"])
    assert [c.split(":")[1] for c in by_client["ahead"]["crossed"]] == ["forecast-100"]
    assert by_client["quiet"]["crossed"] == [] and summary["notifications_queued"] == 2

    assert notify.drain()["failed"] == 0
    first = _sent(aws, server)
    assert first == {"email": 2, "slack": 2, "teams": 1, "webhook": 1}
    (over_slack,) = [p for p in server.accepted("slack") if p.path.endswith("/over")]
    body = json.dumps(over_slack.json())
    assert "<!channel>" not in body and "&lt;!channel&gt;" in body and "80% of budget (actual spend)" in body
    assert "100% of budget (forecast spend)" in body  # both thresholds in the one notification
    files = sorted(p.name.split(".", 1)[1] for p in (tmp_path / "out" / "notifications" / "over").iterdir())
    assert files == ["email.eml", "slack.json", "teams.json", "webhook.json"]
    ahead_email = [m for m in aws.outbox.notifications if m["client_id"] == "ahead"]
    assert ahead_email[0]["to"] == ["alerts@ahead.example"]  # alert_recipients, not the report recipients

    for rerun in range(3):  # the same day, three more times: nothing new
        again = _check(aws, notify, "2026-11-20", f"budget-rerun-{rerun}")
        assert again["notifications_queued"] == 0
        notify.drain()
    assert _sent(aws, server) == first
    next_day = _check(aws, notify, "2026-11-21", "budget-next-day")  # still crossed: not repeated
    notify.drain()
    assert next_day["notifications_queued"] == 0 and _sent(aws, server) == first


def test_new_period_rearms_a_repeat_claims_nothing_and_a_concurrent_claim_wins_once(env):
    from datetime import datetime

    from chalicelib.budgets import store as crossings
    from chalicelib.core.errors import ServiceUnavailableError
    from chalicelib.core.models import BudgetThreshold
    from chalicelib.core.notifications import Notification, Route

    def announcement(tag: str):
        def announce(new):
            return Notification(notification_id=f"budget-{tag * 32}", kind="budget", client_id="over", client_name="Over",
                                severity="warning", title=f"{len(new)} crossed", summary="-",
                                created_at=datetime(2026, 11, 20, tzinfo=UTC), route=Route(email_to=["a@over.example"]))
        return announce

    eighty, hundred = BudgetThreshold(percent=D(80), on="actual"), BudgetThreshold(percent=D(100), on="forecast")
    assert crossings.claim_new("over", "monthly-100", "2026-11-01", [eighty], announcement("a")) == [eighty]
    assert crossings.claim_new("over", "monthly-100", "2026-11-01", [eighty], announcement("b")) == []  # already claimed
    assert crossings.claim_new("over", "monthly-100", "2026-12-01", [eighty], announcement("c")) == [eighty]  # new period

    def claimed_by_another_check_meanwhile(new):  # its transaction lands between this one's read and write
        crossings.claim_new("over", "monthly-100", "2026-11-01", new, announcement("d"))
        return announcement("e")(new)

    assert crossings.claim_new("over", "monthly-100", "2026-11-01", [eighty, hundred], claimed_by_another_check_meanwhile) == []

    def sqs_down(notification):
        raise ServiceUnavailableError("SQS SendMessage notification: ServiceUnavailable")

    with pytest.raises(ServiceUnavailableError):
        crossings.announce_pending("over", sqs_down)
    queued = []
    announced = crossings.announce_pending("over", lambda n: queued.append(n.notification_id) or True)
    # The three claims made, each announced once, in the order claimed; the one that lost the race never.
    assert queued == ["budget-" + "a" * 32, "budget-" + "c" * 32, "budget-" + "d" * 32]
    assert [a.crossed for a in announced] == [["monthly-100:actual-80"], ["monthly-100:actual-80"], ["monthly-100:forecast-100"]]
    assert crossings.announce_pending("over", lambda n: queued.append(n.notification_id) or True) == []


def _status(notification_id: str) -> dict[str, dict]:
    from chalicelib.notify import store as ledger

    return ledger.statuses(notification_id)


def test_partial_batch_failure_retries_only_the_failed_record_and_channel(env):
    aws, notify, server = env
    server.fail_next("/ok/slack/over", [500, 429])
    _check(aws, notify, "2026-11-20", "budget-partial")
    notify.drain()
    deliveries = aws.poller.deliveries
    first = deliveries[0]
    assert len(first.message_ids) == 2 and len(first.failed) == 1  # one batch, only "over" handed back
    (over_id,) = first.failed
    assert all(d.message_ids == [over_id] for d in deliveries[1:]) and len(deliveries) == 3
    sent = _sent(aws, server)
    assert sent == {"email": 2, "slack": 2, "teams": 1, "webhook": 1}  # teams/webhook/email of "over" never twice
    slack_posts = [p for p in server.posts if p.path == "/ok/slack/over"]
    assert [p.status for p in slack_posts] == [500, 429, 200]
    nid = next(i for i in _status_ids(aws) if _status(i)["META"]["client_id"] == "over")
    status = _status(nid)
    assert status["META"]["status"] == "queued"
    assert {k: v["status"] for k, v in status.items() if k != "META"} == {
        f"CHANNEL#{c}": "sent" for c in ("email", "slack", "teams", "webhook")}
    assert int(status["CHANNEL#slack"]["attempts"]) == 3 and int(status["CHANNEL#email"]["attempts"]) == 1


@pytest.mark.timing  # measures rates or waits on the clock: run in the serial phase (Makefile)
def test_last_receive_lands_in_the_dlq_permanent_4xx_is_not_retried_and_urls_stay_out_of_logs(env, capfd, caplog):
    aws, notify, server = env
    from chalicelib.core.observability import logger

    logger().setLevel("INFO")
    caplog.set_level("INFO", logger="cost-reporter")
    notify.put_secret("over/slack", server.url("slack", "over", mode="status/503"))  # always down
    notify.put_secret("over/teams", server.url("teams", "over", mode="status/404"))  # revoked: permanent
    notify.put_secret("over/hook", server.url("webhook", "over", mode="slow"))  # answers 200 after the deadline
    _check(aws, notify, "2026-11-20", "budget-dlq")
    notify.drain()
    for _ in range(20):  # SQS moves a message to the DLQ on the receive after its last one: bounded wait
        if notify.dlq_depth():
            break
        time.sleep(0.5)
        notify.drain()
    assert notify.dlq_depth() == 1  # "over" after 5 receives; "ahead" went through
    nid = next(item for item in _status_ids(aws) if item.startswith("budget-") and _status(item)["META"]["client_id"] == "over")
    status = _status(nid)
    assert status["CHANNEL#slack"]["status"] == "failed" and "dead-letter queue" in status["CHANNEL#slack"]["reason"]
    assert int(status["CHANNEL#slack"]["attempts"]) == 5
    assert status["CHANNEL#teams"]["status"] == "failed" and "HTTP 404" in status["CHANNEL#teams"]["reason"]
    assert int(status["CHANNEL#teams"]["attempts"]) == 1  # permanent: recorded, never retried
    # sent whole, answered after the deadline: the receiver may have it, so it is posted once only
    webhook = status["CHANNEL#webhook"]
    assert webhook["status"] == "unconfirmed" and "no answer within 0.5 s" in webhook["reason"]
    assert int(status["CHANNEL#webhook"]["attempts"]) == 1
    assert len([p for p in server.posts if p.path == "/slow/webhook/over"]) == 1
    assert status["CHANNEL#email"]["status"] == "sent" and int(status["CHANNEL#email"]["attempts"]) == 1
    assert len([p for p in server.posts if p.path == "/status/503/slack/over"]) == 5
    logs = capfd.readouterr()  # the JSON lines (where the logger's stream is) and every record with its extras
    text = logs.out + logs.err + "\n".join(json.dumps(r.__dict__, default=str) for r in caplog.records)
    assert "notification channel failed" in text and "127.0.0.1" in text  # the failures are logged (host only)
    assert f":{server.port}/" not in text and "/slack/over" not in text and "/status/503" not in text


def _status_ids(aws) -> list[str]:
    from chalicelib.core import aws as project_aws
    from chalicelib.core.settings import get_settings

    items = project_aws.dynamodb_table(get_settings().table_name).scan()["Items"]
    return sorted({item["pk"].split("#", 1)[1] for item in items if item["pk"].startswith("NOTIFY#")})

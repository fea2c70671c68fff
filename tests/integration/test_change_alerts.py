"""Change alerts from a report run travel through the notification queue, once per (client, report
type, period): a forced re-send of the report does not repeat the alert."""

from __future__ import annotations

import json
from datetime import date, timedelta
from email import message_from_bytes
from email.policy import default as default_policy

from tests.factories import AS_OF, client_config, cost_rows

WEEKLY = {"report_type": "weekly", "as_of": AS_OF.isoformat()}  # current week Nov 9-15


def _rows():
    rows = cost_rows(["111111111111", "222222222222"], start=date(2026, 10, 1), end=date(2026, 11, 20))
    for row in rows:  # "spiky": its S3 bill triples in the current week
        if row["account_id"] == "111111111111" and "Storage" in row["service"] and "2026-11-09" <= row["date"] < "2026-11-16":
            row["amount"] = str(float(row["amount"]) * 30)
    return rows


def test_a_flagged_report_queues_one_change_alert_and_a_forced_rerun_does_not_repeat_it(local_aws):
    aws = local_aws(clients=[
        client_config("spiky", ["111111111111"], name="Spiky <b>Labs</b>",
                      notifications={"alert_recipients": ["alerts@spiky.example"], "slack_secret": "spiky/slack"}),
        client_config("calm", ["222222222222"]),
    ], rows=_rows())
    assert aws.run(WEEKLY, name="weekly-1")["status"] == "SUCCEEDED"
    aws.notify.drain()
    alerts = aws.outbox.notifications
    assert [m["to"] for m in alerts] == [["alerts@spiky.example"]]  # "calm" moved too little: no alert
    message = message_from_bytes(alerts[0]["raw"], policy=default_policy)
    html = message.get_body(("html",)).get_content()
    assert "Amazon Simple Storage Service: up" in html
    assert "<b>Labs</b>" not in html and "Spiky &lt;b&gt;Labs&lt;/b&gt;" in html  # the client name is escaped
    (slack,) = aws.notify.webhooks.accepted("slack")
    assert "Amazon Simple Storage Service" in json.dumps(slack.json())

    assert aws.run({**WEEKLY, "force": True}, name="weekly-forced")["status"] == "SUCCEEDED"
    aws.notify.drain()
    assert len(aws.outbox.notifications) == 1
    assert len(aws.notify.webhooks.accepted("slack")) == 1
    assert aws.notify.sent_per_channel() == {"email": 1, "slack": 1}


# ---- alerts follow the report's baseline and flags --------------------------------------------------

WEEKDAY, WEEKEND = 400, 320  # per service and day: a weekend runs at 80% of a weekday


def _weekly_rhythm(accounts: list[str], changes: dict[tuple[str, str], float] | None = None) -> list[dict]:
    """Every day from October to 21 Nov with a weekday/weekend rhythm; `changes` multiplies one
    (account, day) by a factor (a real move)."""
    rows, day = [], date(2026, 10, 1)
    while day < date(2026, 11, 22):
        for account in accounts:
            factor = (changes or {}).get((account, day.isoformat()), 1.0)
            for service in ("Amazon Elastic Compute Cloud - Compute", "Amazon Simple Storage Service"):
                base = WEEKEND if day.weekday() >= 5 else WEEKDAY
                amount = base * factor if service.startswith("Amazon Elastic") else base
                rows.append({"date": day.isoformat(), "account_id": account, "service": service, "amount": f"{amount:.10f}"})
        day += timedelta(days=1)
    return rows


def _sent(aws) -> dict[str, dict[str, int]]:
    """Notifications each channel accepted, per client (the files `local run` writes)."""
    sent: dict[str, dict[str, int]] = {}
    for path in sorted((aws.out_dir / "notifications").glob("*/*")):
        channel = path.name.split(".")[1]
        sent.setdefault(path.parent.name, {}).setdefault(channel, 0)
        sent[path.parent.name][channel] += 1
    return sent


def _all_channels(client_id: str) -> dict:
    return {"alert_recipients": [f"alerts@{client_id}.example"], "slack_secret": f"{client_id}/slack",
            "teams_secret": f"{client_id}/teams", "webhook_secret": f"{client_id}/hook"}


def test_a_weekday_rhythm_never_alerts_a_real_increase_does_and_decreases_only_when_asked(local_aws):
    """Saturday's dip (-20% against Friday) and Monday's return (+25% against Sunday) are ordinary
    against the 7-day average the daily report judges them by: no alert in any channel. A Thursday
    spike alerts once, with where, since when and links; a Thursday drop alerts only the client
    that opted in to decreases, as info."""
    spike, drop, drop_opt_in = "111111111111", "222222222222", "333333333333"
    thursday = "2026-11-19"
    aws = local_aws(clients=[
        client_config("spike", [spike], notifications=_all_channels("spike")),
        client_config("drop", [drop], notifications=_all_channels("drop")),
        client_config("optin", [drop_opt_in], notifications=_all_channels("optin"), change_alert={"decreases": True}),
    ], rows=_weekly_rhythm([spike, drop, drop_opt_in],
                           {(spike, thursday): 2.0, (drop, thursday): 0.4, (drop_opt_in, thursday): 0.4}))
    for name, as_of in (("saturday", "2026-11-22"), ("monday", "2026-11-17")):
        assert aws.run({"report_type": "daily", "as_of": as_of}, name=name)["status"] == "SUCCEEDED"
        aws.notify.drain()
        assert _sent(aws) == {}, name  # each of these days alerted every client in every channel before

    assert aws.run({"report_type": "daily", "as_of": "2026-11-20"}, name="thursday")["status"] == "SUCCEEDED"
    aws.notify.drain()
    assert _sent(aws) == {"spike": {"email": 1, "slack": 1, "teams": 1, "webhook": 1},
                          "optin": {"email": 1, "slack": 1, "teams": 1, "webhook": 1}}
    hooks = {post.json()["client_id"]: post.json() for post in aws.notify.webhooks.accepted("webhook")}
    up, down = hooks["spike"], hooks["optin"]
    assert up["severity"] == "warning" and down["severity"] == "info"  # no budget at risk
    facts = {f["label"]: f["value"] for f in up["facts"]}
    assert facts["Since"] == thursday and "1111 1111 1111" in facts["Account"]
    assert facts["Service"] == "Amazon Elastic Compute Cloud - Compute"
    assert "7-day average" in facts["What changed"] and "increases only" in facts["Alert rule"]
    assert [link["label"] for link in up["links"]] == ["Open the report", "Cost Explorer"]
    assert "111111111111" in up["links"][1]["url"] and up["footer"].startswith("Change alert from the daily cost report")
    (slack,) = [p.json() for p in aws.notify.webhooks.accepted("slack") if "Spike" in p.json()["text"]]
    buttons = next(b for b in slack["blocks"] if b["type"] == "actions")["elements"]
    assert [b["text"]["text"] for b in buttons] == ["Open the report", "Cost Explorer"]
    assert "change_alert-" not in json.dumps(slack)  # the footer is for the reader, not an internal id
    (teams,) = [p.json() for p in aws.notify.webhooks.accepted("teams") if "Spike" in json.dumps(p.json())]
    card = teams["attachments"][0]["content"]
    assert [a["title"] for a in card["actions"]] == ["Open the report", "Cost Explorer"]
    assert "change_alert-" not in json.dumps(card)


def test_the_daily_digest_goes_to_chat_only_for_clients_who_asked(local_aws):
    """A digest per daily report in Slack and Teams (no email, no alert needed): the day's total, the
    change against the 7-day average, the 14-day sparkline, the top services, the month to date."""
    digest, plain = "111111111111", "222222222222"
    aws = local_aws(clients=[
        client_config("digest", [digest], notifications={**_all_channels("digest"), "daily_digest": True},
                      budgets={"monthly": 20000}),
        client_config("plain", [plain], notifications=_all_channels("plain")),
    ], rows=_weekly_rhythm([digest, plain]))
    assert aws.run({"report_type": "daily", "as_of": "2026-11-22"}, name="saturday")["status"] == "SUCCEEDED"
    aws.notify.drain()
    assert _sent(aws) == {"digest": {"slack": 1, "teams": 1}}  # an ordinary Saturday: no alert, one digest
    (slack,) = [p.json() for p in aws.notify.webhooks.accepted("slack")]
    text = json.dumps(slack, ensure_ascii=False)
    assert "Digest Corp: $640.00 on 2026-11-21" in slack["text"]
    assert "vs the 7-day average" in text and "Daily totals, last 14 days" in text
    assert any(ch in text for ch in "\u2581\u2588") and "November month to date" in text
    assert "EC2: $320.00" in text and "S3: $320.00" in text
    (teams,) = [p.json() for p in aws.notify.webhooks.accepted("teams")]
    assert "Digest Corp: $640.00 on 2026-11-21" in json.dumps(teams, ensure_ascii=False)

    assert aws.run({"report_type": "daily", "as_of": "2026-11-22", "force": True}, name="again")["status"] == "SUCCEEDED"
    aws.notify.drain()
    assert _sent(aws) == {"digest": {"slack": 1, "teams": 1}}  # once per client and day

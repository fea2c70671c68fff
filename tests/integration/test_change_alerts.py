"""Change alerts from a report run travel through the notification queue, once per (client, report
type, period): a forced re-send of the report does not repeat the alert."""

from __future__ import annotations

import json
from datetime import date
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

"""Local send times through the hourly schedule's handler on the local AWS: every hour of four days
around New York's fall-back change (2026-11-01), each event delivered twice as EventBridge may. Each
client gets each daily period exactly once, none skipped, at its local hour; the stage's UTC daily
schedule leaves them to their slot (a benign skip) and still sends the others."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

from chalicelib.core.store import table
from local.aws.lambda_bridge import FakeLambdaContext
from tests.factories import client_config

NEW_YORK = client_config("newyork", ["111111111111"], reports=["daily"], timezone="America/New_York", send_hour=9)
KOLKATA = client_config("kolkata", ["222222222222"], reports=["daily"], timezone="Asia/Kolkata", send_hour=9)
ON_UTC = client_config("onutc", ["333333333333"], reports=["daily"])


def scheduled_event(moment: datetime) -> dict[str, Any]:
    return {"version": "0", "id": f"e-{moment:%Y%m%d%H}", "detail-type": "Scheduled Event", "source": "aws.events",
            "account": "123456789012", "time": moment.strftime("%Y-%m-%dT%H:%M:%SZ"), "region": "us-east-1",
            "resources": [], "detail": {}}


def test_each_period_once_at_the_local_hour_across_a_dst_change(local_aws: Any) -> None:
    aws = local_aws(clients=[NEW_YORK, KOLKATA, ON_UTC])
    hourly = aws.app.handler_map["hourly_trigger"]
    started: list[dict[str, Any]] = []
    moment = datetime(2026, 10, 30, tzinfo=UTC)
    while moment < datetime(2026, 11, 3, tzinfo=UTC):
        for _ in range(2):  # at least once: a repeated event starts nothing new
            started += hourly(scheduled_event(moment), FakeLambdaContext("hourly_trigger"))["executions"]
        moment += timedelta(hours=1)
    # a repeat finds its execution (AWS answers a running one's ARN again, a finished one's name as taken)
    runs = list({s.get("execution_arn") or s["execution_name"]: s for s in started if "execution_arn" in s}.values())
    assert len({s["execution_name"] for s in started}) == len(runs) == len(started) // 2
    for run in runs:
        assert aws.wait(run["execution_arn"])["status"] == "SUCCEEDED"
    # 9:00 in New York: 13:00 UTC in EDT, 14:00 UTC from 2026-11-01 (EST); 9:00 in Kolkata: 03:30 UTC, so 04:00
    assert sorted(run["execution_name"] for run in runs) == sorted(
        [f"local-daily-2026-10-{d}-at-2026-10-{d}T13" for d in (30, 31)]
        + [f"local-daily-2026-11-0{d}-at-2026-11-0{d}T14" for d in (1, 2)]
        + [f"local-daily-{day}-at-{day}T04" for day in ("2026-10-30", "2026-10-31", "2026-11-01", "2026-11-02")])

    sent: dict[str, list[str]] = {}
    for message in aws.outbox.sent:
        sent.setdefault(message["client_id"], []).append(message["subject"])
    assert sorted(sent) == ["kolkata", "newyork"]
    newyork_mail = next(m["raw"] for m in aws.outbox.sent if m["client_id"] == "newyork")
    assert b"Sent at 09:00 America/New_York; periods are UTC days" in newyork_mail.replace(b"=\r\n", b"")
    assert all(len(subjects) == 4 for subjects in sent.values())  # 2026-10-29 .. 2026-11-01, once each
    for client_id in ("newyork", "kolkata"):
        ledger = table.table().query(KeyConditionExpression="pk = :pk",
                                     ExpressionAttributeValues={":pk": f"DELIVERY#{client_id}"})["Items"]
        assert sorted(item["sk"] for item in ledger) == [
            f"daily#{date(2026, 10, 29) + timedelta(days=i)}" for i in range(4)]

    # the UTC daily schedule sends the UTC client and leaves the other two to their own slot
    daily = aws.app.handler_map["daily_trigger"](scheduled_event(datetime(2026, 11, 3, 8, tzinfo=UTC)),
                                                 FakeLambdaContext("daily_trigger"))
    summary = json.loads(aws.wait(daily["execution_arn"])["output"])
    assert (summary["delivered"], summary["skipped"], summary["problems"]) == (1, 2, 0), summary
    records = aws.run_records(daily["execution_name"])
    assert {cid: r.get("skip") for cid, r in records.items()} == {
        "newyork": "local_send_time", "kolkata": "local_send_time", "onutc": None}
    assert [m["client_id"] for m in aws.outbox.sent].count("onutc") == 1

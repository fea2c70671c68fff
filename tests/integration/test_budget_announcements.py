"""Once per crossing when the announcement fails: through the budget check state machine, a crossing
claimed on a day the notification could not be queued (SQS down through every retry, or SQS took it
but its answer was lost) is still announced, exactly once, by a later check, together with the
thresholds crossed since."""

from __future__ import annotations

import json
from email import message_from_bytes
from email.policy import default as default_policy

import pytest

ACCOUNT = "777777777777"
# November: 100 a day to the 19th, 300 on the 20th. Checked on the 20th: 1,900 of 3,500 (54.3%,
# the 50% threshold); on the 21st: 2,200 (62.9%, the 60% threshold too).
ROWS = [{"date": f"2026-11-{day:02d}", "account_id": ACCOUNT, "service": "Amazon Elastic Compute Cloud - Compute",
         "amount": "300" if day == 20 else "100"} for day in range(1, 22)]
STEADY = {"client_id": "steady", "name": "Steady Corp", "status": "ACTIVE", "accounts": [ACCOUNT],
          "recipients": ["finops@steady.example"], "reports": ["monthly"],
          "budgets": [{"amount": 3500, "period": "monthly",
                       "thresholds": [{"percent": 50, "on": "actual"}, {"percent": 60, "on": "actual"}]}]}
FIFTY, SIXTY = "50% of budget (actual spend)", "60% of budget (actual spend)"


@pytest.fixture
def aws(local_aws, monkeypatch):
    import botocore.retries.standard as standard

    monkeypatch.setattr(standard.ExponentialBackoff, "delay_amount", lambda self, context: 0.001)
    return local_aws(clients=[STEADY], rows=ROWS, retry_time_scale=0.005, poll_queues=False)


def _check(aws, as_of: str, name: str) -> dict:
    return aws.wait(aws.notify.start_budget_check({"as_of": as_of}, name))


def _outcome(aws, run_id: str) -> dict:
    from chalicelib.core.constants import PK_BUDGET_RUN_PREFIX
    from chalicelib.core.settings import get_settings

    table = aws.session.resource("dynamodb").Table(get_settings().table_name)
    return table.get_item(Key={"pk": f"{PK_BUDGET_RUN_PREFIX}{run_id}", "sk": "CLIENT#steady"}, ConsistentRead=True)["Item"]


def _announced(aws) -> list[str]:
    """Each threshold named by each budget email sent so far (one entry per email and threshold)."""
    named = []
    for sent in aws.outbox.notifications:
        text = message_from_bytes(sent["raw"], policy=default_policy).get_body(("plain",)).get_content()
        facts = next(line for line in text.splitlines() if "Thresholds crossed" in line)
        named += [threshold for threshold in (FIFTY, SIXTY) if threshold in facts]
    return sorted(named)


class _LostAnswer(Exception):
    """SQS took the message; the answer never reached the caller (a dropped connection)."""


def _lose_send_answers(aws):
    """Every SendMessage a stage makes reaches the queue, then fails for its caller (until switched off)."""
    from local.aws.runtime import reset_project_caches

    armed = [True]

    def lose(http_response, parsed, model, **_):
        if armed[0] and aws.aws_calls.in_stage():
            raise _LostAnswer("connection closed before the answer")

    aws.session.events.register("after-call.sqs.SendMessage", lose, unique_id="test-lose-send-answers")
    reset_project_caches()  # clients copy the session's handlers when created: new ones get this one

    def switch_off():
        armed[0] = False  # clients created meanwhile keep the handler
        aws.session.events.unregister("after-call.sqs.SendMessage", unique_id="test-lose-send-answers")

    return switch_off


@pytest.mark.parametrize("failure", ["sqs_outage", "answer_lost"])
def test_a_crossing_whose_announcement_failed_is_announced_once_by_a_later_check(aws, failure):
    from local.fixtures.faults import WireFaults

    if failure == "sqs_outage":
        faults = WireFaults(rate=1.0, services=("sqs",), reaches_service=False)  # SQS down
        uninstall = aws.install_faults(faults)
    else:
        uninstall = _lose_send_answers(aws)
    try:
        day_one = _check(aws, "2026-11-20", "day-1")
    finally:
        uninstall()
        if failure == "sqs_outage":
            faults.enabled = False  # clients created meanwhile keep the handler
    if failure == "sqs_outage":
        assert faults.injected["sqs"] >= 3  # boto3's attempts, then the ASL's retries: every one refused
    outcome = _outcome(aws, "day-1")
    assert outcome["status"] == "failed" and "SendMessage" in outcome["reason"], outcome
    aws.notify.drain()
    # An outage sent nothing; a lost answer sent the 50% crossing (SQS had it) and must not send it again.
    assert _announced(aws) == ([] if failure == "sqs_outage" else [FIFTY])
    print(f"\n[{failure}] day 1: execution {day_one['status']}, client {outcome['status']} ({outcome['reason'][:80]})")

    day_two = _check(aws, "2026-11-21", "day-2")  # SQS is back; 60% crossed meanwhile
    assert day_two["status"] == "SUCCEEDED", day_two
    aws.notify.drain()
    assert _announced(aws) == [FIFTY, SIXTY]  # yesterday's crossing too, not only today's
    (steady,) = json.loads(day_two["output"])["clients"]
    assert steady["status"] == "checked"
    assert sorted(c.split(":")[1] for c in steady["crossed"]) == ["actual-50", "actual-60"]

    for as_of, name in (("2026-11-21", "day-2-rerun"), ("2026-11-21", "day-2-rerun-again"), ("2026-11-22", "day-3")):
        again = _check(aws, as_of, name)
        assert again["status"] == "SUCCEEDED" and json.loads(again["output"])["notifications_queued"] == 0
        aws.notify.drain()
    announced = _announced(aws)
    print(f"[{failure}] emails {len(aws.outbox.notifications)}, thresholds announced {announced}")
    assert announced == [FIFTY, SIXTY]  # each crossing once, none lost, none repeated
    assert aws.notify.dlq_depth() == 0
    if failure == "sqs_outage":
        # Day 1's operator alert could not be queued either: that execution failed (the executions-failed alarm).
        assert day_one["status"] == "FAILED" and day_one["error"] == "ServiceUnavailableError", day_one

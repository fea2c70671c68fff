"""Per-recipient report delivery through the real cost report state machine (in-process AWS): each
recipient its own message, exactly once under partial SES failures, unsubscribed recipients
skipped and counted, and a report nobody may receive is never "delivered"."""

from __future__ import annotations

import json
from collections import Counter
from email import message_from_bytes
from email.policy import default as default_policy

from tests.factories import AS_OF, client_config

WEEKLY = {"report_type": "weekly", "as_of": AS_OF.isoformat()}
TEAM = ["ann@alpha.example", "bob@alpha.example", "cat@alpha.example"]


def _to(sent: dict) -> str:
    return message_from_bytes(sent["raw"], policy=default_policy)["To"].addresses[0].addr_spec


def test_each_recipient_gets_a_message_of_its_own(local_aws):
    aws = local_aws(clients=[client_config("alpha", ["111111111111"], recipients=TEAM)])
    run = aws.run(WEEKLY, name="own-messages")
    assert run["status"] == "SUCCEEDED"
    sent = [s for s in aws.outbox.sent if s["client_id"] == "alpha"]
    assert sorted(s["to"][0] for s in sent) == TEAM and all(len(s["to"]) == 1 for s in sent)
    assert sorted(_to(s) for s in sent) == TEAM  # the To header names that one recipient only
    assert len({message_from_bytes(s["raw"])["Message-ID"] for s in sent}) == 3
    record = aws.run_records(json.loads(run["output"])["run_id"])["alpha"]
    assert record["status"] == "completed"
    assert [r["status"] for r in record["recipients"]] == ["sent"] * 3
    assert {r["to"] for r in record["recipients"]} == {"a***@alpha.example", "b***@alpha.example", "c***@alpha.example"}


def test_a_partial_ses_failure_then_the_retry_sends_exactly_once_to_each(local_aws):
    aws = local_aws(clients=[client_config("alpha", ["111111111111"], recipients=TEAM)])
    failed: list[str] = []

    def bob_fails_once(request):
        to = request["Destination"]["ToAddresses"]
        if to == ["bob@alpha.example"] and not failed:
            failed.append(to[0])
            return (500, "InternalFailure", "injected: SES failed for one recipient")  # retried by the ASL
        return None

    aws.outbox.fault_hook = bob_fails_once
    run = aws.run(WEEKLY, name="partial-failure")
    aws.outbox.fault_hook = None
    rerun = aws.run(WEEKLY, name="partial-failure-rerun")
    assert failed == ["bob@alpha.example"]
    assert run["status"] == rerun["status"] == "SUCCEEDED"
    assert Counter(s["to"][0] for s in aws.outbox.sent) == Counter(TEAM)  # once each, none lost, none twice
    assert json.loads(run["output"])["delivered"] == 1 and json.loads(rerun["output"])["delivered"] == 0


def test_a_permanent_failure_for_one_recipient_fails_the_client_and_a_rerun_sends_only_to_it(local_aws):
    aws = local_aws(clients=[client_config("alpha", ["111111111111"], recipients=TEAM)])

    def bob_rejected(request):
        if request["Destination"]["ToAddresses"] == ["bob@alpha.example"]:
            return (400, "MessageRejected", "injected: rejected")
        return None

    aws.outbox.fault_hook = bob_rejected
    first = aws.run(WEEKLY, name="bob-rejected")
    records = aws.run_records(json.loads(first["output"])["run_id"])
    assert records["alpha"]["status"] == "failed"
    assert "sent to 2 of 3 recipients" in records["alpha"]["reason"]
    assert sorted(s["to"][0] for s in aws.outbox.sent) == ["ann@alpha.example", "cat@alpha.example"]
    aws.outbox.fault_hook = None
    second = aws.run(WEEKLY, name="bob-rejected-rerun")
    assert Counter(s["to"][0] for s in aws.outbox.sent) == Counter(TEAM)
    assert aws.run_records(json.loads(second["output"])["run_id"])["alpha"]["status"] == "completed"


def test_unsubscribed_recipients_are_skipped_and_counted_and_all_unsubscribed_is_never_delivered(local_aws):
    from chalicelib.core.subscriptions import unsubscribe

    aws = local_aws(clients=[client_config("alpha", ["111111111111"], recipients=TEAM),
                             client_config("bravo", ["222222222222"], recipients=["only@bravo.example"])])
    unsubscribe("alpha", "bob@ALPHA.example", "one-click")  # the domain compares case-insensitively
    unsubscribe("bravo", "only@bravo.example", "page")
    run = aws.run(WEEKLY, name="some-unsubscribed")
    summary = json.loads(run["output"])
    sent = Counter(s["to"][0] for s in aws.outbox.sent)
    assert sent == Counter(["ann@alpha.example", "cat@alpha.example"])
    records = aws.run_records(summary["run_id"])
    assert records["alpha"]["status"] == "completed" and records["alpha"]["unsubscribed"] == 1
    assert {r["to"]: r["status"] for r in records["alpha"]["recipients"]}["b***@alpha.example"] == "unsubscribed"
    assert records["bravo"]["status"] == "skipped" and records["bravo"]["skip"] == "unsubscribed"
    assert records["bravo"]["problem"] is True and "every recipient (1) has unsubscribed" in records["bravo"]["reason"]
    assert summary["delivered"] == 1
    assert [pk for pk, _ in aws.ledger_items()] == ["DELIVERY#alpha"]  # bravo's period stays undelivered

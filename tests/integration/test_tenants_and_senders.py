"""Tenants never share an account by accident, and clients send only as the deployment allows."""

from __future__ import annotations

import json
from email import message_from_bytes
from email.policy import default

import pytest

from local.aws.client_configs import store_clients
from tests.factories import client_config as client, cost_rows

WEEKLY = {"report_type": "weekly", "as_of": "2026-11-18"}
SHARED = "777777777777"


def _records(aws, run_id):
    return aws.run_records(run_id)


def test_duplicate_client_ids_are_refused_naming_the_id_and_both_positions(local_aws):
    local_aws(clients=[])
    alpha = client("alpha", ["111111111111"])
    with pytest.raises(ValueError, match=r"duplicate client_id 'alpha': entries \[0\] and \[2\]"):
        store_clients([alpha, client("bravo", ["222222222222"]), {**alpha, "name": "Alpha 2"}])


def test_duplicate_client_id_among_stored_configs_fails_both(local_aws):
    from chalicelib.core import clients

    aws = local_aws(clients=[client("alpha", ["111111111111"])], rows=cost_rows(["111111111111"]))
    clients.put_client_config(client("alpha", ["111111111111"], name="Impostor"), client_id="alpha-copy")
    aws.run(WEEKLY, name="dup-stored")
    records = _records(aws, "dup-stored")
    for key in ("alpha", "alpha-copy"):
        assert records[key]["status"] == "failed"
        assert "duplicate client_id 'alpha'" in records[key]["reason"]
        assert "'alpha'" in records[key]["reason"] and "'alpha-copy'" in records[key]["reason"]
    assert aws.outbox.sent == []


def test_an_account_listed_by_two_clients_is_an_error_for_both(local_aws):
    alpha = client("alpha", ["111111111111", SHARED])
    bravo = client("bravo", ["222222222222", SHARED])
    charlie = client("charlie", ["333333333333"])
    aws = local_aws(clients=[alpha, bravo, charlie])
    aws.run(WEEKLY, name="overlap")
    records = _records(aws, "overlap")
    assert records["alpha"]["status"] == "failed" and records["bravo"]["status"] == "failed"
    assert SHARED in records["alpha"]["reason"] and "'bravo'" in records["alpha"]["reason"]
    assert SHARED in records["bravo"]["reason"] and "'alpha'" in records["bravo"]["reason"]
    assert records["alpha"]["category"] == "configuration"
    assert [s["client_id"] for s in aws.outbox.sent] == ["charlie"]
    # A one-client run checks the others too.
    aws.run({**WEEKLY, "client_id": "alpha"}, name="overlap-one")
    assert _records(aws, "overlap-one")["alpha"]["status"] == "failed"


def test_one_side_declaring_the_share_is_not_enough(local_aws):
    alpha = client("alpha", ["111111111111", SHARED], shared_accounts=[SHARED])
    bravo = client("bravo", ["222222222222", SHARED])
    aws = local_aws(clients=[alpha, bravo])
    aws.run(WEEKLY, name="one-side")
    assert {r["status"] for r in _records(aws, "one-side").values()} == {"failed"}


def test_an_account_both_declare_shared_is_reported_and_says_so(local_aws):
    alpha = client("alpha", ["111111111111", SHARED], shared_accounts=[SHARED])
    bravo = client("bravo", ["222222222222", SHARED], shared_accounts=[SHARED])
    aws = local_aws(clients=[alpha, bravo])
    summary = json.loads(aws.run(WEEKLY, name="declared")["output"])
    assert summary["delivered"] == 2
    for sent in aws.outbox.sent:
        message = message_from_bytes(sent["raw"], policy=default)
        text = message.get_body(preferencelist=("plain",)).get_content()
        assert f"Account {SHARED} is shared with another client" in text
        other = "bravo" if sent["client_id"] == "alpha" else "alpha"
        assert other not in text.lower()  # never names the other tenant


def test_a_sender_outside_the_allowed_domains_is_a_config_error(local_aws):
    outsider = client("outsider", ["111111111111"], sender="billing@bank.example")
    reply_outsider = client("replyout", ["333333333333"], reply_to=["ceo@bank.example"])
    insider = client("insider", ["222222222222"], sender="acme-reports@reports.example", reply_to=["finops@reports.example"])
    aws = local_aws(clients=[outsider, reply_outsider, insider], env_overrides={"ALLOWED_SENDER_DOMAINS": "reports.example"})
    aws.run(WEEKLY, name="senders")
    records = _records(aws, "senders")
    assert records["outsider"]["status"] == "failed"
    assert records["outsider"]["reason"].startswith("invalid client config: sender: billing@bank.example is outside "
                                                    "the allowed sender domains (reports.example)")
    assert records["replyout"]["status"] == "failed" and "reply_to[0]" in records["replyout"]["reason"]
    assert records["insider"]["status"] == "completed"
    sent = message_from_bytes(aws.outbox.sent[0]["raw"], policy=default)
    assert sent["From"].addresses[0].addr_spec == "acme-reports@reports.example"


def test_the_default_allowed_domain_is_the_deployment_senders_own(local_aws):
    aws = local_aws(clients=[client("outsider", ["111111111111"], sender="x@elsewhere.example")])
    aws.run(WEEKLY, name="default-domain")
    reason = _records(aws, "default-domain")["outsider"]["reason"]
    assert "outside the allowed sender domains (cost-reporter.example)" in reason

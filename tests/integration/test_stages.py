"""Stages called through chalice.test.Client, on the in-process AWS (moto tables and bucket)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from chalice.test import Client

from chalicelib.core.errors import DataValidationError
from chalicelib.reports import store
from tests.factories import AS_OF, client_config


@pytest.fixture
def chalice_client(local_aws):
    aws = local_aws(clients=[
        client_config("alpha", ["111111111111"]),
        client_config("dailyonly", ["222222222222"], reports=["daily"]),
        client_config("norecipients", ["333333333333"], recipients=[]),
        client_config("noaccounts", [], recipients=["x@y.example"]),
        client_config("quick", ["444444444444"], min_interval_hours={"weekly": 0}),
    ])
    with Client(aws.app) as test_client:
        yield test_client


def _plan(chalice_client, run_input, name="run-1"):
    payload = {"input": run_input, "execution_name": name, "started_at": "2026-11-18T09:00:00Z"}
    return chalice_client.lambda_.invoke("plan", payload).payload


def test_plan_computes_periods_and_defaults_as_of_to_the_start_time(chalice_client):
    run = _plan(chalice_client, {"report_type": "monthly"})["run"]
    assert run["as_of"] == "2026-11-18"
    assert (run["current"]["start"], run["current"]["end"]) == ("2026-10-01", "2026-11-01")
    assert run["run_id"] == "run-1" and run["force"] is False


def test_plan_rejects_bad_input_naming_the_field(chalice_client):
    with pytest.raises(DataValidationError, match=r"as_of: .*YYYY-MM-DD"):
        _plan(chalice_client, {"report_type": "weekly", "as_of": "yesterday"})
    with pytest.raises(DataValidationError, match="input"):
        chalice_client.lambda_.invoke("plan", {"input": ["weekly"]})


def _eligibility(chalice_client, run):
    return chalice_client.lambda_.invoke("eligibility", {"run": run}).payload


def _eligible_ids(result):
    """The ids of the items the Distributed Map's ItemReader will read: a JSON list in S3, counted in
    the output, each item a client id with the fingerprint of the config eligibility checked."""
    import json

    from chalicelib.core.clients import CheckedClient
    from chalicelib.core.settings import get_settings

    assert result["items"]["bucket"] == get_settings().bucket_name
    items = [CheckedClient.model_validate(item) for item in json.loads(store.get_text(result["items"]["key"]))]
    assert result["eligible"] == len(items)
    return [item.client_id for item in items]


def test_eligibility_reasons(chalice_client):
    run = _plan(chalice_client, {"report_type": "weekly", "as_of": AS_OF.isoformat()})["run"]
    result = _eligibility(chalice_client, run)
    assert _eligible_ids(result) == ["alpha", "quick"]
    records = {r["client_id"]: r for r in store.iter_run_items("run-1") if r["sk"].startswith("CLIENT#")}
    assert records["dailyonly"]["reason"] == "weekly reports are not enabled for this client"
    assert records["norecipients"]["reason"] == "no recipients configured"
    assert records["noaccounts"]["reason"] == "no accounts configured"
    assert (records["dailyonly"]["problem"], records["norecipients"]["problem"], records["noaccounts"]["problem"]) == (
        False, True, True)
    assert records["alpha"]["status"] == "pending"


def test_the_ledger_decides_per_period_and_force_resends(chalice_client):
    run = _plan(chalice_client, {"report_type": "weekly", "as_of": AS_OF.isoformat()})["run"]
    # A weekly report for the week before went out moments ago: it does not block this week's.
    earlier = (AS_OF - timedelta(days=7)).isoformat()
    store.record_delivery("alpha", "weekly", earlier, "msg-1", "older-run")
    store.record_delivery("quick", "weekly", earlier, "msg-2", "older-run")
    assert _eligible_ids(_eligibility(chalice_client, run)) == ["alpha", "quick"]

    store.record_delivery("quick", "weekly", run["current"]["start"], "msg-3", "other-run")
    assert _eligible_ids(_eligibility(chalice_client, run)) == ["alpha"]
    records = {r["client_id"]: r for r in store.iter_run_items("run-1") if r["sk"].startswith("CLIENT#")}
    assert records["quick"]["reason"].startswith("already delivered for 2026-11-09 to 2026-11-15 by run other-run")
    assert records["quick"]["problem"] is False

    forced = _plan(chalice_client, {"report_type": "weekly", "as_of": AS_OF.isoformat(), "force": True}, name="run-2")["run"]
    assert _eligible_ids(_eligibility(chalice_client, forced)) == ["alpha", "quick"]

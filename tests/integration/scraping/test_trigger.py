"""The scraper triggers (chalice.test.Client): schedules with deterministic names, the manual dry run,
and the structured answer with its status mapped from the error taxonomy."""

from __future__ import annotations

import pytest
from chalice.test import Client

from chalicelib.core.errors import AuthorizationError, BusinessLogicError, ServiceUnavailableError, ThrottlingError

from .conftest import AS_OF

SCHEDULED = {"version": "0", "id": "e-1", "detail-type": "Scheduled Event", "source": "aws.events",
             "account": "123456789012", "time": f"{AS_OF.isoformat()}T06:00:00Z", "region": "us-east-1",
             "resources": ["arn:aws:events:us-east-1:123456789012:rule/bdc"], "detail": {}}


def invoke(local, function, event):
    with Client(local.aws.app) as client:
        return client.lambda_.invoke(function, event).payload


def invoke_with_time(local, function, event, seconds=120):
    """chalice.test.Client gives every invoke a 3 s Lambda context; a dry run waits for the whole job, as the
    deployed trigger does within its configured timeout, so call the same handler with a longer context."""
    from local.aws.lambda_bridge import FakeLambdaContext

    return local.aws.app.handler_map[function](event, FakeLambdaContext(function, seconds))


def test_manual_test_event_is_a_dry_run_returning_results(local_scrape):
    local = local_scrape()
    answer = invoke_with_time(local, "bdc_discount_trigger",
                              {"source": "manual", "detail": {"test": True, "as_of": AS_OF.isoformat()}})
    assert answer["statusCode"] == 200, answer
    body = answer["body"]
    assert body["success"] is True and body["error"] is None and body["error_type"] is None
    assert body["execution_id"].startswith("dryrun-bdc-discount-2026-11-22-") and body["timestamp"]
    assert [a["rule"] for a in body["result"]["alerts"]] == ["sector-discount"]
    assert {r["ticker"] for r in body["result"]["rows"]} == {"ARCC", "FSK", "GBDC", "MAIN", "BXSL", "OBDC"}
    assert local.sent_alerts() == []  # a dry run publishes nothing


def test_the_seed_manual_event_verbatim_runs(local_scrape):
    local = local_scrape()
    answer = invoke_with_time(local, "bank_provision_trigger", {"source": "manual", "detail": {"test": True}})
    assert answer["statusCode"] == 200 and answer["body"]["success"] is True


def test_schedule_names_the_execution_per_scraper_and_period_and_starts_it_once(local_scrape):
    local = local_scrape()
    first = invoke(local, "bdc_discount_trigger", SCHEDULED)
    while_running = invoke(local, "bdc_discount_trigger", SCHEDULED)  # EventBridge at-least-once / Lambda async retry
    assert first["statusCode"] == while_running["statusCode"] == 200
    assert first["body"]["execution_id"] == while_running["body"]["execution_id"] == "scheduled-bdc-discount-2026-11-22"
    executions = local.sfn.list_executions(stateMachineArn=local.state_machine_arn)["executions"]
    assert [e["name"] for e in executions] == ["scheduled-bdc-discount-2026-11-22"]
    assert local.wait(executions[0]["executionArn"])["status"] == "SUCCEEDED"
    later = invoke(local, "bdc_discount_trigger", SCHEDULED)  # a retry after the run closed
    assert later["statusCode"] == 200 and later["body"]["started"] is False
    assert len(local.sfn.list_executions(stateMachineArn=local.state_machine_arn)["executions"]) == 1
    assert len(local.sent_alerts()) == 1


def test_manual_real_run_starts_without_waiting(local_scrape):
    local = local_scrape()
    answer = invoke(local, "credit_fund_trigger", {"source": "manual", "detail": {"as_of": AS_OF.isoformat()}})
    assert answer["statusCode"] == 200 and "result" not in answer["body"]
    assert answer["body"]["execution_id"].startswith("manual-credit-fund-2026-11-22-")


@pytest.mark.parametrize("event,status,error_type", [
    ({"source": "manual", "detail": {"tset": True}}, 400, "DataValidationError"),
    ({"source": "manual", "detail": {"as_of": "yesterday"}}, 400, "DataValidationError"),
    ({"source": "somebody", "detail": {}}, 400, "DataValidationError"),
])
def test_bad_events_are_400_naming_the_problem(local_scrape, event, status, error_type):
    answer = invoke(local_scrape(), "bond_issuance_trigger", event)
    assert answer["statusCode"] == status and answer["body"]["error_type"] == error_type
    assert answer["body"]["success"] is False and answer["body"]["error"]


def test_missing_state_machine_is_404(local_scrape, monkeypatch):
    local = local_scrape()
    monkeypatch.setenv("SCRAPE_STATE_MACHINE_ARN", local.state_machine_arn + "-gone")
    from chalicelib.core.caches import reset_all

    reset_all()
    answer = invoke(local, "credit_fund_trigger", {"source": "manual", "detail": {}})
    assert answer["statusCode"] == 404 and answer["body"]["error_type"] == "ConfigurationError"


@pytest.mark.parametrize("error,status", [(AuthorizationError, 403), (ThrottlingError, 503),
                                          (ServiceUnavailableError, 503), (BusinessLogicError, 500),
                                          (RuntimeError, 500)])
def test_taxonomy_maps_to_status(local_scrape, monkeypatch, error, status):
    from chalicelib.scraping import trigger

    def refuse(*args, **kwargs):
        raise error("refused for the test")

    monkeypatch.setattr(trigger, "_start", refuse)
    answer = invoke(local_scrape(), "credit_fund_trigger", {"source": "manual", "detail": {}})
    assert answer["statusCode"] == status and answer["body"]["error_type"] == error.__name__


def test_dry_run_outlasting_the_trigger_is_408_with_the_execution_id(local_scrape):
    # the test client's 3 s context is shorter than the job
    local = local_scrape()
    answer = invoke(local, "credit_fund_trigger", {"source": "manual", "detail": {"test": True}})
    assert answer["statusCode"] == 408 and answer["body"]["error_type"] == "NetworkError"
    assert answer["body"]["execution_id"].startswith("dryrun-credit-fund-")


def test_scheduled_throttling_raises_for_the_lambda_retry(local_scrape, monkeypatch):
    from chalicelib.scraping import trigger

    def throttled(*args, **kwargs):
        raise ThrottlingError("StartExecution throttled")

    monkeypatch.setattr(trigger, "_start", throttled)
    with Client(local_scrape().aws.app) as client, pytest.raises(ThrottlingError):
        client.lambda_.invoke("bdc_discount_trigger", SCHEDULED)


def test_every_scraper_has_a_schedule_and_a_trigger():
    from app import app
    from chalicelib.core.constants import SCRAPER_NAMES
    from chalicelib.scraping.blueprint import SCHEDULES

    assert set(SCHEDULES) == set(SCRAPER_NAMES)
    schedules = {s.name: s.schedule_expression.to_string() for s in app.event_sources if hasattr(s, "schedule_expression")}
    assert schedules["bond_issuance_trigger"] == "cron(0 8 ? * MON *)"
    assert schedules["bdc_discount_trigger"] == "cron(0 6 * * ? *)"
    assert schedules["credit_fund_trigger"] == "cron(0 7 1 * ? *)"
    assert schedules["bank_provision_trigger"] == "cron(0 9 1 1,4,7,10 ? *)"

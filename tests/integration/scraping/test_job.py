"""The chunked job on the real ASL (moto's engine) against the fixture server: all four scrapers,
resumable reruns, kill-and-resume exactly once, the deadline loop, failures recorded, dry runs."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from local.fixtures.fixture_server import Fault

from .conftest import AS_OF


def run(local, scraper, **extra):
    described = local.run({"scraper": scraper, "as_of": AS_OF.isoformat(), **extra})
    assert described["status"] == "SUCCEEDED", described.get("cause")
    return json.loads(described["output"])


def keys_recorded(local, scraper):
    return Counter(o.key for o in local.outcomes(local.job_id(scraper, AS_OF)))


@pytest.mark.parametrize("scraper,headline,value,alerts", [
    ("bond-issuance", "total_notional_usd", 39_500_000_000, ["weekly-notional"]),
    ("bdc-discount", "average_discount_pct", 11.04, ["sector-discount"]),
    ("credit-fund", "worst_change_pp", -4.17, ["mark-decline-1422183"]),
    ("bank-provision", "average_change_pct", 12.65, ["provision-rise-19617"]),
])
def test_each_scraper_runs_through_the_chunked_job(local_scrape, scraper, headline, value, alerts):
    local = local_scrape(chunk_size=2, max_concurrency=3)
    output = run(local, scraper)
    assert output["summary"]["headline"][headline] == value
    assert [a["rule"] for a in output["alerts"]] == alerts
    assert output["published"]["published"] == alerts
    sent = local.sent_alerts()
    assert len(sent) == len(alerts)
    assert all(subject.startswith(f"[normal] {scraper} ") for _, subject, _ in sent)
    recorded = keys_recorded(local, scraper)
    assert set(recorded.values()) == {1}
    assert sum(recorded.values()) == output["item_count"]


def test_bond_week_skips_preliminary_and_exchange_offer_and_filters_issuers(local_scrape):
    local = local_scrape(chunk_size=3)
    output = run(local, "bond-issuance")
    rows = {r["filing"]: r for r in local.result(local.job_id("bond-issuance", AS_OF)).rows}
    assert output["item_count"] == 7  # 10 filings found; GS Finance, BofA, PG&E are not on the issuer list
    assert rows["0001193125-26-400006"]["status"] == "skipped" and "preliminary" in rows["0001193125-26-400006"]["reason"]
    assert rows["0001193125-26-400006"]["amount_usd"] is None  # not zero
    assert "exchange offer" in rows["0001193125-26-400007"]["reason"]
    assert local.fixture.count("/search-index") == 3  # 10 hits at the fixture's 4 per page: every page followed
    assert local.fixture.count("0001213900-26-400008") == 0  # the structured note is never fetched


def test_bond_plan_from_the_daily_form_index(local_scrape):
    local = local_scrape(env_overrides={"SCRAPE_BOND_ISSUANCE": json.dumps({"plan_source": "daily-index"})})
    output = run(local, "bond-issuance")
    assert output["summary"]["headline"]["total_notional_usd"] == 39_500_000_000
    assert local.fixture.count("/daily-index/") == 7


def test_rerun_skips_finished_chunks_and_publishes_nothing_twice(local_scrape):
    local = local_scrape(chunk_size=2)
    first = run(local, "credit-fund")
    invocations = dict(local.aws.bridge.invocations)
    fetched = len(local.fixture.requests())
    second = run(local, "credit-fund")
    assert second["resumed"] is True
    assert local.aws.bridge.invocations["scrape_chunk"] == invocations["scrape_chunk"]  # no chunk ran again
    assert len(local.fixture.requests()) == fetched  # no request to the source
    assert second["published"]["published"] == [] and second["published"]["already_published"] == first["published"]["published"]
    assert len(local.sent_alerts()) == 1


class Killed(Exception):
    """Stands for the Lambda dying (timeout, out of memory): not a taxonomy error, so not retried."""


def _kill_after_checkpoints(monkeypatch, after: int, before_write: bool = False):
    """The chunk Lambda dies right after its `after`-th checkpoint write (or just before it)."""
    from chalicelib.scraping import store

    original = store.JobStore.advance
    writes = {"n": 0, "armed": True}

    def advance(self, index, expected_cursor, outcome, size):
        if writes["armed"] and before_write and writes["n"] == after:
            writes["armed"] = False
            raise Killed("process killed before the checkpoint")
        result = original(self, index, expected_cursor, outcome, size)
        writes["n"] += 1
        if writes["armed"] and not before_write and writes["n"] == after:
            writes["armed"] = False
            raise Killed("process killed after the checkpoint")
        return result

    monkeypatch.setattr(store.JobStore, "advance", advance)


@pytest.mark.parametrize("before_write", [False, True], ids=["after-checkpoint", "before-checkpoint"])
def test_kill_and_resume_processes_every_item_exactly_once(local_scrape, monkeypatch, before_write):
    local = local_scrape(chunk_size=4, max_concurrency=1)
    _kill_after_checkpoints(monkeypatch, after=2, before_write=before_write)
    first = run(local, "bond-issuance")
    assert first["summary"]["status"] == "partial"
    chunk0 = local.chunks(local.job_id("bond-issuance", AS_OF))[0]
    assert int(chunk0["cursor"]) == 2 and not chunk0["done"]
    rows = local.result(local.job_id("bond-issuance", AS_OF)).rows
    stopped = [r for r in rows if r["status"] == "failed"]
    assert stopped and all("chunk 0 stopped: Killed" in r["reason"] for r in stopped)
    assert first["alerts"] == [] and "below the 80% minimum" in first["note"]  # no alert on half a week

    second = run(local, "bond-issuance")  # a console rerun: same input, new execution
    assert second["resumed"] is True and second["summary"]["status"] == "complete"
    recorded = keys_recorded(local, "bond-issuance")
    assert len(recorded) == 7 and set(recorded.values()) == {1}  # every item recorded exactly once
    documents = Counter(r.path for r in local.fixture.requests(("www.sec.gov",)))
    if before_write:
        # the item in flight when the process died was fetched again on resume; none other was
        assert sorted(documents.values()) == [1] * 6 + [2]
    else:
        assert set(documents.values()) == {1} and len(documents) == 7
    assert second["summary"]["headline"]["total_notional_usd"] == 39_500_000_000
    assert len(local.sent_alerts()) == 1


def test_chunks_loop_at_their_deadline_and_resume_from_the_cursor(local_scrape):
    # a 1.2 s local Lambda with a 1 s margin leaves ~0.2 s of work per invocation: chunks must loop
    local = local_scrape(chunk_size=6, max_concurrency=2, chunk_timeout_seconds=1.2, deadline_margin_seconds=1.0,
                         env_overrides={"SCRAPE_RATE_LIMIT_MAX_WAIT_SECONDS": "0.3", "SCRAPE_HTTP_CONNECT_TIMEOUT": "0.2",
                                        "SCRAPE_HTTP_READ_TIMEOUT": "0.5"})
    local.fixture.delay_seconds = 0.08
    output = run(local, "credit-fund")
    chunk = local.chunks(local.job_id("credit-fund", AS_OF))[0]
    assert int(chunk["invocations"]) >= 2  # ProcessChunk returned done: false at least once and the Choice looped
    assert output["summary"]["status"] == "complete"
    assert set(keys_recorded(local, "credit-fund").values()) == {1}


def test_a_permanently_missing_source_is_recorded_failed_never_filled_in(local_scrape):
    local = local_scrape(chunk_size=6)
    local.fixture.faults.append(Fault("CIK0001422183", 404, times=99))  # FSK's facts are gone
    output = run(local, "credit-fund")
    rows = {r["cik"]: r for r in local.result(local.job_id("credit-fund", AS_OF)).rows}
    assert rows["1422183"]["status"] == "failed" and "404" in rows["1422183"]["reason"]
    assert rows["1422183"]["mark_pct"] is None and rows["1422183"]["change_pp"] is None
    assert output["summary"]["headline"]["fund_count"] == 5
    assert output["alerts"] == []  # the fund that would have alerted has no number: nothing invented


def test_yahoo_no_data_fails_that_bdc_with_the_reason(local_scrape):
    local = local_scrape()
    output = run(local, "bdc-discount")
    rows = {r["ticker"]: r for r in local.result(local.job_id("bdc-discount", AS_OF)).rows}
    assert rows["OBDC"]["status"] == "failed" and rows["OBDC"]["price"] is None
    assert "no price" in rows["OBDC"]["reason"] and "OBDC" in rows["OBDC"]["reason"]
    assert output["summary"]["counts"] == {"ok": 5, "failed": 1, "skipped": 0}


def test_throttling_is_retried_by_the_state_machine_then_succeeds(local_scrape):
    local = local_scrape(chunk_size=6)
    local.fixture.faults.append(Fault("companyfacts", 429, times=2))
    output = run(local, "bank-provision")
    assert output["summary"]["status"] == "complete"
    history = local.history(local.sfn.list_executions(stateMachineArn=local.state_machine_arn)["executions"][0]["executionArn"])
    failed = [e for e in history if e["type"] == "LambdaFunctionFailed"]
    assert [json.loads(json.dumps(e["lambdaFunctionFailedEventDetails"]))["error"] for e in failed] == ["ThrottlingError"] * 2
    assert set(keys_recorded(local, "bank-provision").values()) == {1}


def test_throttling_that_never_ends_stops_the_chunk_with_the_reason(local_scrape):
    local = local_scrape(chunk_size=6)
    local.fixture.faults.append(Fault("companyfacts", 503, times=999))
    output = run(local, "bank-provision")
    rows = local.result(local.job_id("bank-provision", AS_OF)).rows
    assert all(r["status"] == "failed" and "ServiceUnavailableError" in r["reason"] for r in rows)
    assert all(r["provision_usd"] is None for r in rows)
    assert output["summary"]["headline"]["total_provision_usd"] is None
    assert output["alerts"] == [] and "0%" in output["note"]


def test_dry_run_publishes_nothing_and_returns_the_alerts(local_scrape):
    local = local_scrape()
    output = run(local, "bank-provision", dry_run=True)
    assert [a["rule"] for a in output["alerts"]] == ["provision-rise-19617"]
    assert output["published"]["dry_run"] is True and local.sent_alerts() == []


def test_invalid_input_fails_the_execution_naming_the_field(local_scrape):
    local = local_scrape()
    described = local.run({"scraper": "bond-issuance", "as_of": "2026-13-01"})
    assert described["status"] == "FAILED" and described["error"] == "DataValidationError"
    assert "as_of" in described["cause"]
    described = local.run({"scraper": "equities"})
    assert described["status"] == "FAILED" and "scraper" in described["cause"]


def test_no_declared_sec_contact_refuses_to_run(local_scrape):
    local = local_scrape(env_overrides={"SEC_USER_AGENT": "scraper-bot"})
    described = local.run({"scraper": "credit-fund", "as_of": AS_OF.isoformat()})
    assert described["status"] == "FAILED" and described["error"] == "ConfigurationError"
    assert "contact address" in described["cause"]
    assert local.fixture.requests() == []


def test_optional_prices_api_key_comes_from_secrets_manager(local_scrape):
    local = local_scrape()
    run(local, "bdc-discount")
    assert {r.api_key for r in local.fixture.requests(("query1.finance.yahoo.com",))} == {None}  # no secret: no key
    import os

    from chalicelib.core.caches import reset_all

    local.aws.session.client("secretsmanager").create_secret(
        Name=f"{os.environ.get('SECRETS_PREFIX', 'cost-reporter/')}scraping", SecretString='{"prices_api_key": "k-123"}')
    reset_all()
    local.run({"scraper": "bdc-discount", "as_of": "2026-11-23"})
    keyed = [r.api_key for r in local.fixture.requests(("query1.finance.yahoo.com",)) if r.api_key]
    assert keyed and set(keyed) == {"k-123"}


def test_malformed_secret_is_a_configuration_error_without_the_value(local_scrape):
    import os

    local = local_scrape()
    local.aws.session.client("secretsmanager").create_secret(
        Name=f"{os.environ.get('SECRETS_PREFIX', 'cost-reporter/')}scraping", SecretString='{"prices_apikey": "s3cret"}')
    described = local.run({"scraper": "bdc-discount", "as_of": AS_OF.isoformat()})
    output = json.loads(described["output"])
    rows = local.result(local.job_id("bdc-discount", AS_OF)).rows
    assert output["summary"]["counts"]["ok"] == 0
    assert all("ConfigurationError" in r["reason"] and "prices_apikey" in r["reason"] and "s3cret" not in r["reason"]
               for r in rows)

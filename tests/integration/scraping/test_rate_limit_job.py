"""The SEC limit holds across concurrent chunks of one execution and across two executions at once,
counted where it matters: requests arriving at the (fixture) server."""

from __future__ import annotations

import json
import time

import pytest

from local.fixtures.fixture_server import FixtureServer, Redirect
from local.fixtures.scrape_fixtures import SYNTHETIC_CIK, FixtureData

from .conftest import AS_OF

# Requests per second at the server: the serial phase of the suite (Makefile), not beside another worker.
pytestmark = pytest.mark.timing

FUNDS = 40


def funds_env(count: int) -> dict[str, str]:
    funds = [{"name": f"Synthetic Credit Fund {n}", "cik": SYNTHETIC_CIK + n} for n in range(count)]
    return {"SCRAPE_CREDIT_FUND": json.dumps({"funds": funds}), "SCRAPE_BANK_PROVISION": json.dumps({"banks": funds})}


def test_ten_concurrent_chunks_stay_within_ten_requests_per_second(local_scrape):
    local = local_scrape(chunk_size=4, max_concurrency=10, fixture=FixtureServer(FixtureData(synthetic_funds=FUNDS)),
                         env_overrides=funds_env(FUNDS))
    began = time.monotonic()
    described = local.run({"scraper": "credit-fund", "as_of": AS_OF.isoformat()})
    elapsed = time.monotonic() - began
    assert described["status"] == "SUCCEEDED", described.get("cause")
    output = json.loads(described["output"])
    assert output["summary"]["counts"]["ok"] == FUNDS
    requests = local.fixture.requests()
    assert len(requests) == FUNDS
    assert local.fixture.max_in_any_window(1.0) <= 10, local.fixture.densest_window()
    assert elapsed >= (FUNDS - 10) / 10  # the limit really paced them
    # the chunks did overlap: requests of different chunks interleave (the Map ran them concurrently)
    assert len(local.chunks(local.job_id("credit-fund", AS_OF))) == 10


def test_two_executions_at_once_share_the_same_budget(local_scrape):
    local = local_scrape(chunk_size=5, max_concurrency=4, fixture=FixtureServer(FixtureData(synthetic_funds=20)),
                         env_overrides=funds_env(20))
    arns = [local.start({"scraper": "credit-fund", "as_of": AS_OF.isoformat()}),
            local.start({"scraper": "bank-provision", "as_of": AS_OF.isoformat()})]
    for arn in arns:
        assert local.wait(arn)["status"] == "SUCCEEDED"
    assert len(local.fixture.requests()) == 40
    assert local.fixture.max_in_any_window(1.0) <= 10, local.fixture.densest_window()


@pytest.mark.parametrize("hops", [1, 2])
def test_redirect_hops_are_paced_like_any_request(local_scrape, hops):
    """Every companyfacts answer is a chain of redirects on the SEC host: each fund costs 1 + hops requests
    at the server, and the 10/s limit holds for all of them (each hop takes its own token)."""
    funds = 20
    local = local_scrape(chunk_size=5, max_concurrency=4, fixture=FixtureServer(FixtureData(synthetic_funds=funds)),
                         env_overrides=funds_env(funds))
    local.fixture.redirects.append(Redirect("/api/xbrl/companyfacts/", hops=hops, status=301, times=10 * funds))
    began = time.monotonic()
    described = local.run({"scraper": "credit-fund", "as_of": AS_OF.isoformat()})
    elapsed = time.monotonic() - began
    assert described["status"] == "SUCCEEDED", described.get("cause")
    assert json.loads(described["output"])["summary"]["counts"]["ok"] == funds
    requests = local.fixture.requests()
    assert [r.status for r in requests].count(301) == hops * funds and len(requests) == (1 + hops) * funds
    assert local.fixture.max_in_any_window(1.0) <= 10, local.fixture.densest_window()
    assert elapsed >= ((1 + hops) * funds - 10) / 10

"""The one HTTP client and the deployment-wide SEC rate limiter, against the loopback fixture server."""

from __future__ import annotations

import socket
import threading
import time

import boto3
import pytest
from moto import mock_aws

from chalicelib.core.errors import (
    AuthorizationError,
    ConfigurationError,
    DataValidationError,
    NetworkError,
    ServiceUnavailableError,
    ThrottlingError,
)
from chalicelib.scraping.http import DynamoDbRateLimiter, HttpClient
from chalicelib.scraping.settings import ScrapingSettings
from local.fixtures.fixture_server import Fault, FixtureServer

UA = "Cost Reporter Tests tests@cost-reporter.example"


@pytest.fixture
def server():
    with FixtureServer() as fixture:
        yield fixture


@pytest.fixture
def table():
    from local.aws.moto_patches import atomic_dynamodb

    undo = atomic_dynamodb()  # conditional writes atomic across threads, as in DynamoDB
    with mock_aws():
        dynamodb = boto3.resource("dynamodb", region_name="us-east-1")
        yield dynamodb.create_table(
            TableName="scrape-test", BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}])
    undo()


def client(**limiters):
    return HttpClient(UA, connect_timeout=2, read_timeout=5, limiters=limiters)


@pytest.mark.parametrize("agent", ["", "python-urllib3/2.8", "Cost Reporter (no contact)"])
def test_user_agent_without_contact_address_is_refused(agent):
    with pytest.raises(ConfigurationError, match="contact address"):
        ScrapingSettings(sec_user_agent=agent).contact_user_agent()
    assert ScrapingSettings(sec_user_agent=UA).contact_user_agent() == UA


def test_deadline_margin_must_cover_a_request():
    with pytest.raises(ValueError, match="deadline_margin_seconds"):
        ScrapingSettings(deadline_margin_seconds=2, http_read_timeout=15)


def test_json_answer_and_declared_user_agent(server):
    reply = client().get(f"{server.base_url}/data.sec.gov/api/xbrl/companyfacts/CIK0001287750.json")
    assert reply.status == 200 and reply.json()["entityName"] == "Ares Capital Corp"
    # the fixture, like the SEC, refuses an undeclared tool
    anonymous = HttpClient("python-urllib3", connect_timeout=2, read_timeout=5)
    with pytest.raises(AuthorizationError, match="403"):
        anonymous.get(f"{server.base_url}/data.sec.gov/api/xbrl/companyfacts/CIK0001287750.json")


@pytest.mark.parametrize("status,error", [(429, ThrottlingError), (503, ServiceUnavailableError),
                                          (500, ServiceUnavailableError), (403, AuthorizationError),
                                          (404, DataValidationError), (400, DataValidationError)])
def test_status_codes_map_to_the_taxonomy_without_local_retries(server, status, error):
    server.faults.append(Fault("companyfacts", status, times=1))
    with pytest.raises(error):
        client().get(f"{server.base_url}/data.sec.gov/api/xbrl/companyfacts/CIK0001287750.json")
    assert server.count("companyfacts") == 1  # surfaced to the state machine's Retry, not retried here
    assert client().get(f"{server.base_url}/data.sec.gov/api/xbrl/companyfacts/CIK0001287750.json").status == 200


def test_connection_refused_is_a_network_error():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(NetworkError):
        client().get(f"http://127.0.0.1:{port}/data.sec.gov/x")


def test_unknown_limiter_is_a_configuration_error(server):
    with pytest.raises(ConfigurationError):
        client().get(f"{server.base_url}/data.sec.gov/x", limiter="sec")


def test_not_json_is_a_data_validation_error(server):
    reply = client().get(f"{server.base_url}/www.sec.gov/Archives/edgar/data/320193/000119312526400001/d100001d424b2.htm")
    with pytest.raises(DataValidationError, match="not JSON"):
        reply.json()


def _burst(server, make_limiter, workers=8, per_worker=6):
    """`workers` threads, each its own client and limiter (as separate Lambdas would be), all at once."""
    url = f"{server.base_url}/data.sec.gov/api/xbrl/companyconcept/CIK0001287750/us-gaap/NetAssetValuePerShare.json"
    start = threading.Barrier(workers)
    errors = []

    def work():
        http = client(sec=make_limiter()) if make_limiter else client()
        start.wait()
        try:
            for _ in range(per_worker):
                for attempt in range(5):
                    try:
                        http.get(url, limiter="sec" if make_limiter else None)
                        break
                    except ThrottlingError:  # what the state machine's Retry does, a little later
                        time.sleep(0.2 * (attempt + 1))
                else:
                    raise ThrottlingError("still throttled after 5 attempts")
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(workers)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors, time.monotonic() - began


@pytest.mark.timing  # measures rates or waits on the clock: run in the serial phase (Makefile)
def test_shared_limit_holds_across_concurrent_clients(server, table):
    errors, elapsed = _burst(server, lambda: DynamoDbRateLimiter(table, "sec", rate_per_second=10, max_wait_seconds=30))
    assert errors == []
    assert len(server.requests()) == 48
    assert server.max_in_any_window(1.0) <= 10, server.densest_window()
    assert elapsed >= 4.5  # 48 requests at 10/s need at least 4.7 s (5.2 s at the limiter's 9.1/s spacing)


@pytest.mark.timing  # measures rates or waits on the clock: run in the serial phase (Makefile)
def test_without_the_limiter_the_same_burst_breaks_the_limit(server):
    errors, _ = _burst(server, None)
    assert errors == []
    assert server.max_in_any_window(1.0) > 10  # so the test above could fail


def test_queue_longer_than_max_wait_is_a_throttling_error(table):
    now = [1_000.0]
    limiter = DynamoDbRateLimiter(table, "sec", rate_per_second=10, max_wait_seconds=0.25,
                                  clock=lambda: now[0], sleep=lambda s: None)
    for _ in range(3):  # slots at +0, +110, +220 ms (the last waits 220 ms <= 250)
        limiter.acquire()
    with pytest.raises(ThrottlingError, match="queue"):
        limiter.acquire()  # its slot would be 330 ms away
    now[0] += 1.0  # the bucket drains: idle again, goes at once
    limiter.acquire()

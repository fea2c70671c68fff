"""Redirects are followed by our client, one hop at a time: each SEC hop through the rate limiter, the
caller's credentials only to the origin they were given for, https only (loopback http locally), a
bounded number of hops, loops refused. Counted at the fixture server, which logs every request and header."""

from __future__ import annotations

import os

import pytest

from chalicelib.core.errors import ConfigurationError, DataValidationError
from chalicelib.scraping.http import MAX_REDIRECTS, HttpClient, UrlScope, hop_problem
from chalicelib.scraping.settings import ScrapingSettings
from local.fixtures.fixture_server import PRICE_HOST, FixtureServer, Redirect

from .conftest import AS_OF

UA = "Cost Reporter Tests tests@cost-reporter.example"
FACTS = "/data.sec.gov/api/xbrl/companyfacts/CIK0001287750.json"
CREDENTIALS = ("x-api-key", "authorization", "cookie")


class CountingLimiter:
    def __init__(self) -> None:
        self.tokens = 0

    def acquire(self) -> None:
        self.tokens += 1


@pytest.fixture
def server():
    with FixtureServer() as fixture:
        yield fixture


@pytest.fixture
def elsewhere():
    """Another origin (another port): what a redirect to another host reaches."""
    with FixtureServer() as fixture:
        yield fixture


def client(server, limiter=None):
    limiters = {"sec": limiter} if limiter else {}
    scopes = {"sec": UrlScope(prefixes=(f"{server.base_url}/data.sec.gov",), host_suffixes=("sec.gov",))} if limiter else {}
    return HttpClient(UA, connect_timeout=2, read_timeout=5, limiters=limiters, scopes=scopes)


def credentials_sent(request) -> set[str]:
    return {name.lower() for name in request.headers} & set(CREDENTIALS)


# ---- through the job: the prices key never reaches another host ----------------------------------------

def _with_prices_key(local):
    from chalicelib.core.caches import reset_all

    local.aws.session.client("secretsmanager").create_secret(
        Name=f"{os.environ.get('SECRETS_PREFIX', 'cost-reporter/')}scraping", SecretString='{"prices_api_key": "k-123"}')
    reset_all()


def test_the_prices_key_is_not_carried_to_another_host(local_scrape, elsewhere):
    local = local_scrape()
    _with_prices_key(local)
    local.fixture.redirects.append(Redirect("/v8/finance/chart/ARCC", to_base_url=elsewhere.base_url, times=9))
    described = local.run({"scraper": "bdc-discount", "as_of": AS_OF.isoformat()})
    assert described["status"] == "SUCCEEDED", described.get("cause")
    arcc = {r["ticker"]: r for r in local.result(local.job_id("bdc-discount", AS_OF)).rows}["ARCC"]
    assert arcc["status"] == "ok" and arcc["price"] == 18.50  # answered by the other host
    asked = [r for r in local.fixture.requests((PRICE_HOST,)) if r.path.endswith("/ARCC")]
    assert [(r.status, r.api_key) for r in asked] == [(302, "k-123")]  # the origin the key is for got it
    followed = elsewhere.requests((PRICE_HOST,))
    assert [r.path for r in followed] == ["/v8/finance/chart/ARCC"] and followed[0].status == 200
    assert credentials_sent(followed[0]) == set(), followed[0].headers


def test_a_redirect_on_the_same_origin_keeps_the_key(local_scrape):
    local = local_scrape()
    _with_prices_key(local)
    local.fixture.redirects.append(Redirect("/v8/finance/chart/FSK", hops=2, times=9))
    described = local.run({"scraper": "bdc-discount", "as_of": AS_OF.isoformat()})
    assert described["status"] == "SUCCEEDED", described.get("cause")
    asked = [r for r in local.fixture.requests((PRICE_HOST,)) if r.path.endswith("/FSK")]
    assert [(r.status, r.api_key) for r in asked] == [(302, "k-123"), (302, "k-123"), (200, "k-123")]
    assert {r["ticker"]: r for r in local.result(local.job_id("bdc-discount", AS_OF)).rows}["FSK"]["status"] == "ok"


# ---- the client's rules, one request at a time -----------------------------------------------------------

def test_no_credential_header_follows_a_redirect_to_another_origin(server, elsewhere):
    server.redirects.append(Redirect(FACTS.removeprefix("/data.sec.gov"), to_base_url=elsewhere.base_url))
    secret = {"X-API-KEY": "k-1", "Authorization": "Bearer t-1", "Cookie": "session=s-1"}
    reply = client(server).get(f"{server.base_url}{FACTS}", headers=secret)
    assert reply.json()["entityName"] == "Ares Capital Corp"
    assert reply.url.startswith(elsewhere.base_url)
    assert credentials_sent(server.log[0]) == set(CREDENTIALS)
    assert [credentials_sent(r) for r in elsewhere.log] == [set()]
    assert elsewhere.log[0].headers["User-Agent"] == UA  # the declared User-Agent is not a credential


def test_every_sec_hop_takes_a_token(server, elsewhere):
    limiter = CountingLimiter()
    server.redirects.append(Redirect("/api/xbrl/companyfacts/", hops=3, times=1))
    client(server, limiter).get(f"{server.base_url}{FACTS}", limiter="sec")
    assert len(server.requests()) == 4 and limiter.tokens == 4  # one per request the server saw

    # a hop to another host (not an SEC URL) is not charged to the SEC budget
    limiter = CountingLimiter()
    server.redirects.append(Redirect("/api/xbrl/companyfacts/", to_base_url=elsewhere.base_url, times=1))
    client(server, limiter).get(f"{server.base_url}{FACTS}", limiter="sec")
    assert limiter.tokens == 1 and len(elsewhere.requests()) == 1


def test_a_hop_into_the_sec_scope_is_charged_even_from_an_unlimited_request(server):
    limiter = CountingLimiter()
    server.redirects.append(Redirect("/v8/finance/chart/ARCC", location=f"{server.base_url}{FACTS}"))
    reply = client(server, limiter).get(f"{server.base_url}/{PRICE_HOST}/v8/finance/chart/ARCC?period1=0&period2=1")
    assert reply.json()["entityName"] == "Ares Capital Corp"
    assert limiter.tokens == 1  # the price request itself is not an SEC request; the hop to data.sec.gov is


def test_hops_are_bounded(server):
    server.redirects.append(Redirect("/api/xbrl/companyfacts/", hops=MAX_REDIRECTS + 3, times=1))
    with pytest.raises(DataValidationError, match=f"more than {MAX_REDIRECTS} redirects"):
        client(server).get(f"{server.base_url}{FACTS}")
    assert len(server.log) == MAX_REDIRECTS + 1


def test_a_redirect_loop_is_refused(server):
    server.redirects.append(Redirect("/api/xbrl/companyfacts/", location=FACTS, times=99))  # a relative Location
    with pytest.raises(DataValidationError, match="loop"):
        client(server).get(f"{server.base_url}{FACTS}")
    assert len(server.log) == 1


@pytest.mark.parametrize("location", [
    # http to a host that is not loopback (0.0.0.0 is not a loopback address: nothing is sent to it)
    "http://0.0.0.0:9/data.sec.gov/api/xbrl/companyfacts/CIK0001287750.json",
    "ftp://127.0.0.1/companyfacts.json",
    "file:///etc/passwd",
], ids=["http-downgrade", "ftp", "file"])
def test_only_https_or_loopback_http_is_followed(server, location):
    server.redirects.append(Redirect("/api/xbrl/companyfacts/", location=location))
    with pytest.raises(DataValidationError, match="https"):
        client(server).get(f"{server.base_url}{FACTS}")
    assert len(server.log) == 1


@pytest.mark.parametrize("target,allowed", [
    ("https://www.sec.gov/Archives/x.htm", True),
    ("https://8.8.8.8/x", True),
    ("https://127.0.0.1/x", False), ("https://localhost/x", False), ("http://127.0.0.1:9001/2018-06-01/runtime", False),
    ("https://169.254.169.254/latest/meta-data/", False), ("https://10.0.0.5/x", False), ("https://[::1]/x", False),
])
def test_a_public_request_is_never_led_to_this_machine_or_a_private_network(target, allowed):
    assert (hop_problem("https://data.sec.gov/api/xbrl/companyfacts/CIK0001287750.json", target) is None) is allowed
    # a local run (its first URL on loopback) may be redirected within loopback
    assert hop_problem("http://127.0.0.1:8080/data.sec.gov/x", "http://127.0.0.1:9090/x") is None


@pytest.mark.parametrize("status,message", [(302, "no Location"), (300, "HTTP 300")])
def test_a_redirect_that_cannot_be_followed_is_a_data_validation_error(server, status, message):
    server.redirects.append(Redirect("/api/xbrl/companyfacts/", status=status, location=""))
    with pytest.raises(DataValidationError, match=message):
        client(server).get(f"{server.base_url}{FACTS}")


@pytest.mark.parametrize("field", ["sec_data_url", "sec_search_url", "sec_archives_url", "prices_url"])
def test_settings_refuse_a_plain_http_source(field):
    with pytest.raises(ValueError, match="https"):
        ScrapingSettings(**{field: "http://data.sec.gov"})
    assert getattr(ScrapingSettings(**{field: "http://127.0.0.1:8080/data.sec.gov"}), field).startswith("http://127.0.0.1")


def test_the_first_url_must_be_https_too(server):
    with pytest.raises(ConfigurationError, match="https"):
        client(server).get("http://0.0.0.0:9/data.sec.gov/x")
    assert server.log == []

"""The interface every scraper implements, and the context its methods get (a job's date, the
settings, the process's HTTP client)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any, ClassVar, Protocol

from chalicelib.core.caches import register
from chalicelib.scraping.contracts import Alert, ItemOutcome, JobRef, Summary
from chalicelib.scraping.figures import FigureRule
from chalicelib.scraping.http import DynamoDbRateLimiter, HttpClient, UrlScope
from chalicelib.scraping.settings import SEC_DOMAIN, ScrapingSettings, get_scraping_settings


@dataclass(frozen=True)
class JobContext:
    as_of: date
    settings: ScrapingSettings
    http: HttpClient

    def sec_json(self, url: str) -> Any:
        """A JSON answer from an SEC host: through the deployment-wide SEC rate limit."""
        return self.http.get(url, limiter="sec").json()

    def sec_text(self, url: str) -> str:
        return self.http.get(url, limiter="sec").text


def job_context(job: JobRef) -> JobContext:
    """The context of `job`'s stages; refuses to run without a declared SEC contact (the HTTP client's)."""
    return JobContext(as_of=job.as_of, settings=get_scraping_settings(), http=http_client())


@lru_cache(maxsize=1)
def http_client() -> HttpClient:
    """The process's client: reused across warm invocations (keeps connections open)."""
    from chalicelib.core.store import table

    settings = get_scraping_settings()
    sec = DynamoDbRateLimiter(table.table(), "sec", settings.sec_requests_per_second, settings.rate_limit_max_wait_seconds)
    sec_urls = UrlScope(prefixes=(settings.sec_data_url, settings.sec_search_url, settings.sec_archives_url),
                        host_suffixes=(SEC_DOMAIN,))
    return HttpClient(settings.contact_user_agent(), settings.http_connect_timeout, settings.http_read_timeout,
                      limiters={"sec": sec}, scopes={"sec": sec_urls})


register(http_client.cache_clear)


class Scraper(Protocol):
    name: str
    # The figures of an "ok" outcome and the rule each must meet (chalicelib/scraping/figures.py): checked
    # before the outcome is stored and again when stored outcomes are aggregated.
    figure_rules: ClassVar[dict[str, FigureRule]]

    def plan(self, job: JobContext) -> list[dict[str, Any]]:
        """The work items (small JSON objects, each with a unique `key`)."""

    def process(self, item: dict[str, Any], job: JobContext) -> ItemOutcome:
        """One item's outcome. Raise DataValidationError for a bad or missing answer about this item (it is
        recorded as failed with the reason): every figure read from a source is checked where it is parsed
        (figures.py). Retryable errors (throttling, network, 5xx) stop the chunk at its checkpoint and the
        state machine retries it."""

    def aggregate(self, outcomes: list[ItemOutcome], job: JobContext) -> Summary:
        """Headline figures from the items that succeeded (never filled in for the ones that did not)."""

    def alerts(self, summary: Summary, job: JobContext) -> list[Alert]:
        """The alert rules on the summary."""


def cik10(cik: int) -> str:
    return f"{cik:010d}"


def company_items(companies: Any) -> list[dict[str, Any]]:
    """One work item per configured company, keyed by CIK."""
    return [{"key": str(company.cik), "cik": company.cik, "name": company.name} for company in companies]


def company_facts_document(job: JobContext, cik: int) -> Any:
    return job.sec_json(f"{job.settings.sec_data_url}/api/xbrl/companyfacts/CIK{cik10(cik)}.json")


def sec_json_or_none(job: JobContext, url: str) -> Any:
    """A JSON answer from an SEC host, or None for a 404 (nothing published there)."""
    reply = job.http.get_or_none(url, limiter="sec")
    return None if reply is None else reply.json()

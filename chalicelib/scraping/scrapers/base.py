"""The interface every scraper implements, and the context its methods get."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from ..figures import FigureRule
from ..http import HttpClient
from ..job.contracts import Alert, ItemOutcome, Summary
from ..settings import ScrapingSettings


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


class Scraper(Protocol):
    name: str
    # The figures of an "ok" outcome and the rule each must meet (chalicelib/scraping/figures.py): checked
    # before the outcome is stored and again when stored outcomes are aggregated.
    figure_rules: dict[str, FigureRule]

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

"""scrape_evaluate: the scraper's alert rules, only on enough data."""

from __future__ import annotations

from chalicelib.core.errors import DataValidationError
from chalicelib.scraping.contracts import AggregateResult, EvaluateResult
from chalicelib.scraping.scrapers import scraper_for
from chalicelib.scraping.store import JobStore


def evaluate_alerts(request: AggregateResult) -> EvaluateResult:
    """The scraper's alert rules, only on enough data: below `min_coverage` nothing is evaluated (a partial
    average is not a signal) and the note says why."""
    from chalicelib.scraping.scrapers.base import job_context
    from chalicelib.scraping.settings import get_scraping_settings

    job = request.job
    minimum = get_scraping_settings().min_coverage
    if request.coverage < minimum:
        note = (f"alerts not evaluated: results for {request.coverage:.0%} of the items, below the "
                f"{minimum:.0%} minimum; rerun the same input once the failures are fixed")
        return EvaluateResult(job=job, status=request.status, headline=request.headline, alerts=[], note=note)
    summary = JobStore(job.job_id).result()
    if summary is None:
        raise DataValidationError(f"{job.job_id}: no aggregated result to evaluate")
    alerts = scraper_for(job.scraper).alerts(summary, job_context(job))
    return EvaluateResult(job=job, status=request.status, headline=request.headline, alerts=alerts)

"""scrape_aggregate: every planned item ends with an outcome, its own or the reason it has none."""

from __future__ import annotations

from typing import Any

from chalicelib.core.errors import error_details
from chalicelib.scraping import figures
from chalicelib.scraping.contracts import AggregateRequest, AggregateResult, ItemOutcome
from chalicelib.scraping.scrapers import scraper_for
from chalicelib.scraping.store import JobStore, items_of


def aggregate(request: AggregateRequest) -> AggregateResult:
    """Every planned item ends with an outcome: its own, or failed with the reason its chunk stopped."""
    from chalicelib.scraping.scrapers.base import job_context

    job = request.job
    store = JobStore(job.job_id)
    rules = scraper_for(job.scraper).figure_rules
    stopped = {entry.chunk: entry.error for entry in request.chunks if entry.error}
    outcomes: list[ItemOutcome] = []
    for record in sorted(store.chunks(), key=lambda r: r["sk"]):
        index = int(record["sk"].split("#")[1])
        items = items_of(record)
        # outcomes are appended in cursor order: the n-th belongs to the n-th item
        done = [_stored_outcome(text, items[n]["key"] if n < len(items) else f"chunk {index} #{n}", rules)
                for n, text in enumerate(record.get("outcomes", []))]
        outcomes.extend(done)
        error = stopped.get(index)
        if error:
            details = error_details(str(error.get("Error", "")), error.get("Cause"))
            reason = f"not processed: chunk {index} stopped: {details['error']}: {details['message']}"[:1000]
        else:
            reason = f"not processed: chunk {index} did not finish in this execution; rerun the same input to resume"
        outcomes.extend(ItemOutcome(key=item["key"], status="failed", reason=reason) for item in items[len(done):])
    summary = scraper_for(job.scraper).aggregate(outcomes, job_context(job))
    counts = {status: sum(o.status == status for o in outcomes) for status in ("ok", "failed", "skipped")}
    status = "complete" if counts["failed"] == 0 else "partial"
    store.put_result(summary, status)
    coverage = 1.0 if not outcomes else round((counts["ok"] + counts["skipped"]) / len(outcomes), 4)
    return AggregateResult(job=job, status=status, counts=counts, coverage=coverage, headline=summary.headline)


def _stored_outcome(text: Any, key: str, rules: dict[str, figures.FigureRule]) -> ItemOutcome:
    """A stored outcome, checked again: Aggregate never trusts (or crashes on) what the table holds."""
    from pydantic import ValidationError

    try:
        outcome = ItemOutcome.model_validate_json(text)
    except (ValidationError, ValueError, TypeError) as exc:
        return ItemOutcome(key=key, status="failed", reason=f"stored outcome unreadable: {str(exc)[:300]}")
    return figures.vetted(outcome, rules, "stored result rejected")

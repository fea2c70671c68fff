"""scrape_plan: list the work items once per job and split them into chunks."""

from __future__ import annotations

from chalicelib.core.errors import DataValidationError
from chalicelib.core.observability import logger
from chalicelib.scraping.contracts import JobRef, PlanRequest, PlanResult
from chalicelib.scraping.scrapers import scraper_for
from chalicelib.scraping.store import JobStore


def plan(request: PlanRequest) -> PlanResult:
    """List the work items once per job and split them into chunks; a rerun finds the plan and returns only
    the chunks not yet done."""
    from chalicelib.scraping.scrapers.base import job_context
    from chalicelib.scraping.settings import get_scraping_settings

    settings = get_scraping_settings()
    as_of = request.input.as_of or request.started_at.date()
    job = JobRef(job_id=f"{request.input.scraper}#{as_of.isoformat()}", scraper=request.input.scraper, as_of=as_of,
                 dry_run=request.input.dry_run, execution_name=request.execution_name)
    store = JobStore(job.job_id)
    context = job_context(job)  # refuses to run without a declared SEC contact before any work
    existing = store.plan()
    resumed = existing is not None
    if existing is None:
        items = scraper_for(job.scraper).plan(context)
        keys = [item.get("key") for item in items]
        if len(set(keys)) != len(keys) or None in keys:
            raise DataValidationError(f"{job.scraper}: plan produced items without a unique 'key'")
        size = settings.chunk_size
        chunks = [items[i:i + size] for i in range(0, len(items), size)]
        if not store.create_plan(chunks, request.execution_name):
            resumed = True  # a concurrent execution planned first: continue its plan
        existing = store.plan()
    assert existing is not None
    chunks_state = store.chunks()
    pending = sorted(int(c["sk"].split("#")[1]) for c in chunks_state if not c.get("done"))
    logger().info("planned", extra={"job": job.job_id, "items": int(existing["item_count"]),
                                    "chunks": int(existing["chunk_count"]), "pending": len(pending), "resumed": resumed})
    return PlanResult(job=job, chunks=pending, chunk_count=int(existing["chunk_count"]),
                      item_count=int(existing["item_count"]), resumed=resumed, max_concurrency=settings.max_concurrency)

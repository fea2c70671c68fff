"""scrape_chunk: process a chunk's items from its checkpoint until done or the deadline approaches."""

from __future__ import annotations

import time
from typing import Any

from chalicelib.core.errors import DataValidationError
from chalicelib.core.observability import logger
from chalicelib.scraping import figures
from chalicelib.scraping.contracts import ChunkRequest, ChunkResult, ItemOutcome
from chalicelib.scraping.scrapers import scraper_for
from chalicelib.scraping.store import JobStore, items_of

# What bad data raises in code that reads it (a missing key, a wrong type, a division by zero): one item's
# failure, never the chunk's. Taxonomy errors other than DataValidationError (throttling, network, 5xx,
# configuration) still stop the chunk and go to the state machine.
_DATA_ERRORS = (ValueError, TypeError, KeyError, IndexError, AttributeError, ArithmeticError)


def process_chunk(request: ChunkRequest, context: Any) -> ChunkResult:
    """Process items from the checkpoint until done or until the Lambda's deadline approaches.

    Each item's outcome is written with the cursor move in one conditional write. A bad answer about an
    item (DataValidationError, a figure that breaks its rule, or a ValueError/TypeError/... raised reading
    it) is that item's recorded failure; any other error stops the chunk where its checkpoint is and goes
    to the state machine (Retry for throttling/network/5xx, then Catch).
    """
    from chalicelib.scraping.scrapers.base import job_context
    from chalicelib.scraping.settings import get_scraping_settings

    job, index = request.job, request.chunk
    store = JobStore(job.job_id)
    record = store.chunk(index)
    items, size = items_of(record), int(record["size"])
    cursor = int(record["cursor"])
    if record.get("done") or cursor >= size:
        return ChunkResult(job=job, chunk=index, done=True, cursor=cursor, size=size, processed_now=0)
    margin_ms = get_scraping_settings().deadline_margin_seconds * 1000
    # The deadline comes from the Lambda context; without one (a direct call) the chunk runs to its end.
    deadline = (time.monotonic() + (context.get_remaining_time_in_millis() - margin_ms) / 1000) if context else None
    store.count_invocation(index)
    scraper, context_of_job = scraper_for(job.scraper), job_context(job)
    processed = 0
    while cursor < size:
        if deadline is not None and time.monotonic() >= deadline:
            break
        item = items[cursor]
        try:
            outcome = figures.vetted(scraper.process(item, context_of_job), scraper.figure_rules, "result rejected")
        except DataValidationError as exc:
            outcome = ItemOutcome(key=item["key"], status="failed", reason=str(exc)[:1000])
        except _DATA_ERRORS as exc:
            logger().exception("item failed on unexpected data", extra={"job": job.job_id, "item": item["key"]})
            outcome = ItemOutcome(key=item["key"], status="failed",
                                  reason=f"unexpected answer: {type(exc).__name__}: {exc}"[:1000])
        if not store.advance(index, cursor, outcome, size):
            # Another invocation moved this chunk on (a duplicate delivery): continue from where it is.
            record = store.chunk(index)
            cursor = int(record["cursor"])
            continue
        cursor += 1
        processed += 1
    return ChunkResult(job=job, chunk=index, done=cursor >= size, cursor=cursor, size=size, processed_now=processed)

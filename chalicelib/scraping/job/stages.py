"""The chunked job's stages, one per Task in `statemachines/chunked_job.asl.json`.

Plan -> ProcessChunks (Map; each chunk loops ProcessChunk until done) -> Aggregate -> EvaluateAlerts
-> PublishAlerts (skipped on a dry run). Each stage takes and returns a contract from contracts.py.
"""

from __future__ import annotations

import time
from typing import Any

from ...core.errors import DataValidationError, error_details
from ...core.observability import logger
from .. import figures
from .contracts import (AggregateRequest, AggregateResult, ChunkRequest, ChunkResult, EvaluateResult, ItemOutcome,
                        JobRef, PlanRequest, PlanResult, PublishResult)
from .store import JobStore, items_of

# What bad data raises in code that reads it (a missing key, a wrong type, a division by zero): one item's
# failure, never the chunk's. Taxonomy errors other than DataValidationError (throttling, network, 5xx,
# configuration) still stop the chunk and go to the state machine.
_DATA_ERRORS = (ValueError, TypeError, KeyError, IndexError, AttributeError, ArithmeticError)


def _context(job: JobRef) -> Any:
    from ..http import http_client
    from ..scrapers.base import JobContext
    from ..settings import get_scraping_settings

    return JobContext(as_of=job.as_of, settings=get_scraping_settings(), http=http_client())


def _scraper(job: JobRef) -> Any:
    from ..scrapers import scraper_for

    return scraper_for(job.scraper)


def vetted(outcome: ItemOutcome, rules: dict[str, figures.FigureRule], rejected: str) -> ItemOutcome:
    """The outcome if its figures meet the scraper's rules. An "ok" outcome with a bad figure becomes a failed
    one, with the reason and without its figures, so no headline or alert is computed from it; a failed or
    skipped outcome only loses the bad figures."""
    if outcome.status == "ok":
        problem = figures.checked(outcome.data, rules, outcome.key)
        if problem is None:
            return outcome
        data = {k: v for k, v in outcome.data.items() if k not in rules}
        return ItemOutcome(key=outcome.key, status="failed", reason=f"{rejected}: {problem}"[:1000], data=data)
    bad = {k for k in rules if k in outcome.data and figures.checked(outcome.data, {k: rules[k]}, outcome.key)}
    if not bad:
        return outcome
    return outcome.model_copy(update={"data": {k: v for k, v in outcome.data.items() if k not in bad}})


def _stored_outcome(text: Any, key: str, rules: dict[str, figures.FigureRule]) -> ItemOutcome:
    """A stored outcome, checked again: Aggregate never trusts (or crashes on) what the table holds."""
    from pydantic import ValidationError

    try:
        outcome = ItemOutcome.model_validate_json(text)
    except (ValidationError, ValueError, TypeError) as exc:
        return ItemOutcome(key=key, status="failed", reason=f"stored outcome unreadable: {str(exc)[:300]}")
    return vetted(outcome, rules, "stored result rejected")


def plan(request: PlanRequest) -> PlanResult:
    """List the work items once per job and split them into chunks; a rerun finds the plan and returns only
    the chunks not yet done."""
    from ..settings import get_scraping_settings

    settings = get_scraping_settings()
    as_of = request.input.as_of or request.started_at.date()
    job = JobRef(job_id=f"{request.input.scraper}#{as_of.isoformat()}", scraper=request.input.scraper, as_of=as_of,
                 dry_run=request.input.dry_run, execution_name=request.execution_name)
    store = JobStore(job.job_id)
    context = _context(job)  # refuses to run without a declared SEC contact before any work
    existing = store.plan()
    resumed = existing is not None
    if existing is None:
        items = _scraper(job).plan(context)
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


def process_chunk(request: ChunkRequest, context: Any) -> ChunkResult:
    """Process items from the checkpoint until done or until the Lambda's deadline approaches.

    Each item's outcome is written with the cursor move in one conditional write. A bad answer about an
    item (DataValidationError, a figure that breaks its rule, or a ValueError/TypeError/... raised reading
    it) is that item's recorded failure; any other error stops the chunk where its checkpoint is and goes
    to the state machine (Retry for throttling/network/5xx, then Catch).
    """
    from ..settings import get_scraping_settings

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
    scraper, job_context = _scraper(job), _context(job)
    processed = 0
    while cursor < size:
        if deadline is not None and time.monotonic() >= deadline:
            break
        item = items[cursor]
        try:
            outcome = vetted(scraper.process(item, job_context), scraper.figure_rules, "result rejected")
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


def aggregate(request: AggregateRequest) -> AggregateResult:
    """Every planned item ends with an outcome: its own, or failed with the reason its chunk stopped."""
    job = request.job
    store = JobStore(job.job_id)
    rules = _scraper(job).figure_rules
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
    summary = _scraper(job).aggregate(outcomes, _context(job))
    counts = {status: sum(o.status == status for o in outcomes) for status in ("ok", "failed", "skipped")}
    status = "complete" if counts["failed"] == 0 else "partial"
    store.put_result(summary, status)
    coverage = 1.0 if not outcomes else round((counts["ok"] + counts["skipped"]) / len(outcomes), 4)
    return AggregateResult(job=job, status=status, counts=counts, coverage=coverage, headline=summary.headline)


def evaluate_alerts(request: AggregateResult) -> EvaluateResult:
    """The scraper's alert rules, only on enough data: below `min_coverage` nothing is evaluated (a partial
    average is not a signal) and the note says why."""
    from ..settings import get_scraping_settings

    job = request.job
    minimum = get_scraping_settings().min_coverage
    if request.coverage < minimum:
        note = (f"alerts not evaluated: results for {request.coverage:.0%} of the items, below the "
                f"{minimum:.0%} minimum; rerun the same input once the failures are fixed")
        return EvaluateResult(job=job, status=request.status, headline=request.headline, alerts=[], note=note)
    summary = JobStore(job.job_id).result()
    if summary is None:
        raise DataValidationError(f"{job.job_id}: no aggregated result to evaluate")
    alerts = _scraper(job).alerts(summary, _context(job))
    return EvaluateResult(job=job, status=request.status, headline=request.headline, alerts=alerts)


def publish_alerts(request: EvaluateResult) -> PublishResult:
    """Each alert once per job and rule (a ledger entry claimed before the SNS publish), to the critical or the
    normal topic; then the headline metric, also once per job."""
    from ...core import aws
    from ...core.errors import ConfigurationError, classify_aws_error
    from ..settings import get_scraping_settings

    job = request.job
    settings = get_scraping_settings()
    store = JobStore(job.job_id)
    published, already = [], []
    for alert in request.alerts:
        sk = f"ALERT#{alert.rule}"
        if not store.claim(sk, job.execution_name):
            entry = store.ledger(sk) or {}
            if entry.get("status") == "done":
                already.append(alert.rule)
                continue
            # claimed by an attempt that died before completing it: publish now (the one window: SNS accepted
            # the message and the Lambda died before the ledger write; then the alert goes out twice)
        topic = settings.critical_topic_arn if alert.severity == "critical" else settings.alert_topic_arn
        if not topic:
            raise ConfigurationError(f"no SNS topic configured for {alert.severity} alerts "
                                     "(SCRAPE_CRITICAL_TOPIC_ARN / SCRAPE_ALERT_TOPIC_ARN)")
        try:
            reply = aws.client("sns").publish(
                TopicArn=topic,
                Subject=f"[{alert.severity}] {job.scraper} {job.as_of.isoformat()}",  # fixed words only: no scraped text
                Message=f"{alert.title}\n\n{alert.message}\n\nvalue {alert.value:g}, threshold {alert.threshold:g}\n"
                        f"job {job.job_id}, execution {job.execution_name}",
                MessageAttributes={"scraper": {"DataType": "String", "StringValue": job.scraper},
                                   "severity": {"DataType": "String", "StringValue": alert.severity}},
            )
        except Exception as exc:  # noqa: BLE001
            raise classify_aws_error(exc, "SNS publish alert") from exc
        store.complete(sk, message_id=reply["MessageId"], severity=alert.severity)
        published.append(alert.rule)
    recorded = store.claim("METRIC", job.execution_name)
    if recorded:
        _record_metric(job, request)
        store.complete("METRIC")
    return PublishResult(job=job, published=published, already_published=already, metric_recorded=recorded)


def _record_metric(job: JobRef, request: EvaluateResult) -> None:
    """The headline figures as EMF metrics (namespace MarketSignals, dimension Scraper)."""
    from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

    from ...core.constants import SCRAPE_METRIC_NAMESPACE, SERVICE_NAME

    metrics = EphemeralMetrics(namespace=SCRAPE_METRIC_NAMESPACE, service=SERVICE_NAME)
    metrics.add_dimension(name="Scraper", value=job.scraper)
    for name, value in request.headline.items():
        if value is not None:
            metrics.add_metric(name=name, unit=MetricUnit.Count if name.endswith("count") else MetricUnit.NoUnit,
                               value=float(value))
    metrics.add_metric(name="alerts", unit=MetricUnit.Count, value=len(request.alerts))
    metrics.flush_metrics()

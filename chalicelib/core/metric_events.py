"""Metric events: the message the report pipeline sends to the metrics queue, and the emitter it
calls; chalicelib/metrics consumes the queue and counts each event once.

Two kinds, both small:
  client_outcome  one client's outcome in one run (delivered, skipped or failed, with its numbers)
  run_end         one run finished (its duration, whether any client failed)
Each outcome is emitted once, by summarize_run (10 a request). An event's id is derived from
what it describes (`client:<run>:<client>`, `run:<run>`), so a retry of that stage emits the same
ids and the applier counts each once. `day` is the run's as_of (the day its reports are dated), for
every event of a run: a run started by hand for an earlier as_of counts on that day, not on the
machine's clock (events built without an as_of fall back to the UTC day the execution started). A
client outcome carries the run's report type, so the summaries keep weekly and daily spend apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, TypeAdapter

from chalicelib.core.amounts import StoredAmount
from chalicelib.core.constants import ENV_METRICS_QUEUE_URL
from chalicelib.core.executions import Outcome, outcome_of
from chalicelib.core.models import StrictModel

Category = Annotated[str, Field(pattern=r"^[a-z][a-z_]{0,39}$")]
SQS_BATCH_LIMIT = 10  # SendMessageBatch takes at most 10 entries


class _Event(StrictModel):
    event_id: str = Field(min_length=1, max_length=1200)
    day: date  # the run's as_of (else the UTC day its execution started)
    run_id: str = Field(min_length=1, max_length=200)


class ClientOutcome(_Event):
    kind: Literal["client_outcome"] = "client_outcome"
    client_id: str = Field(min_length=1, max_length=1000)
    # None only in events queued before the type was carried: their spend counts in the total alone
    report_type: str | None = Field(default=None, pattern=r"^[a-z][a-z_]{0,39}$")
    status: Outcome
    category: Category | None = None  # error category of a failed client
    emails_sent: int = Field(default=0, ge=0, le=1)
    ce_requests: int = Field(default=0, ge=0)
    # Any finite precision is accepted (Cost Explorer answers 10 decimals): quantized, never refused.
    spend_reported: StoredAmount = Decimal(0)
    duration_ms: int | None = Field(default=None, ge=0)


class RunEnd(_Event):
    kind: Literal["run_end"] = "run_end"
    report_type: str = Field(min_length=1, max_length=40)
    had_failures: bool
    duration_ms: int | None = Field(default=None, ge=0)


MetricEvent = Annotated[ClientOutcome | RunEnd, Field(discriminator="kind")]
# defer_build: built on the first event validated (the metrics consumer), not in every function that sends one.
METRIC_EVENT: TypeAdapter[ClientOutcome | RunEnd] = TypeAdapter(MetricEvent, config=ConfigDict(defer_build=True))


def _milliseconds(start: object, end: object) -> int | None:
    from chalicelib.core.periods import parse_timestamp

    started, ended = parse_timestamp(start), parse_timestamp(end)
    if started is None or ended is None or ended < started:
        return None
    return int((ended - started).total_seconds() * 1000)


def client_outcome(run_id: str, run_started_at: datetime, record: Mapping[str, Any], *,
                   report_type: str | None = None, as_of: date | None = None) -> ClientOutcome:
    """The event for one client's run record (the same record always gives the same event)."""
    client_id = str(record["client_id"])
    status = outcome_of(record.get("status"))
    category = record.get("category") if status == "failed" else None
    return ClientOutcome(
        event_id=f"client:{run_id}:{client_id}",
        day=as_of or run_started_at.date(),
        run_id=run_id,
        client_id=client_id,
        report_type=report_type,
        status=status,
        category=(category or "unknown") if status == "failed" else None,
        emails_sent=1 if status == "delivered" else 0,
        ce_requests=int(record.get("ce_requests") or 0),
        spend_reported=Decimal(str(record.get("spend_reported") or 0)),
        duration_ms=_milliseconds(record.get("started_at"), record.get("updated_at")),
    )


def run_end(run_id: str, report_type: str, run_started_at: datetime, finished_at: datetime,
            had_failures: bool, as_of: date | None = None) -> RunEnd:
    return RunEnd(event_id=f"run:{run_id}", day=as_of or run_started_at.date(), run_id=run_id, report_type=report_type,
                  had_failures=had_failures, duration_ms=_milliseconds(run_started_at.isoformat(), finished_at.isoformat()))


def emit_run_metrics(run_id: str, report_type: str, run_started_at: datetime, records: Sequence[Mapping[str, Any]],
                     *, as_of: date) -> None:
    """summarize_run: every client's outcome (also those eligibility decided, which no branch
    recorded), emitted once, here only, and the run's end."""
    from chalicelib.core.periods import utcnow

    outcomes = [client_outcome(run_id, run_started_at, record, report_type=report_type, as_of=as_of)
                for record in records]
    emit([*outcomes, run_end(run_id, report_type, run_started_at, utcnow(),
                             had_failures=any(o.status == "failed" for o in outcomes), as_of=as_of)])


def emit(events: Iterable[ClientOutcome | RunEnd]) -> int:
    """Send events to the metrics queue, 10 a request. Raises a taxonomy error if any is refused,
    so the stage's ASL Retry sends them again (same ids: the applier counts each once)."""
    from chalicelib.core import aws
    from chalicelib.core.errors import ConfigurationError, ServiceUnavailableError, classify_aws_error
    from chalicelib.core.settings import get_settings

    batch = list(events)
    if not batch:
        return 0
    queue_url = get_settings().metrics_queue_url
    if not queue_url:
        raise ConfigurationError(f"{ENV_METRICS_QUEUE_URL}: environment variable not set: metric events have nowhere to go")
    sqs = aws.client("sqs")
    for chunk in _chunks(batch, SQS_BATCH_LIMIT):
        entries = [{"Id": str(index), "MessageBody": event.model_dump_json()} for index, event in enumerate(chunk)]
        try:
            reply = sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)
        except Exception as exc:
            raise classify_aws_error(exc, "send metric events") from exc
        if reply.get("Failed"):
            failed = reply["Failed"][0]
            raise ServiceUnavailableError(f"send metric events: {len(reply['Failed'])} refused, first: "
                                          f"{failed.get('Code')}: {failed.get('Message', '')}")
    return len(batch)


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]

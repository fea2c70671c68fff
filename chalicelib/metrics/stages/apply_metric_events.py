"""apply_metric_events: the metrics queue's consumer, each event applied exactly once.

A batch of valid events is applied in one transaction (store.apply_events_together); when that
is refused (a redelivered event among them, a maximum already higher, a conflict), each record is
applied alone. Partial batch failures (the event source mapping reports batch item failures): a
bad or failing message is retried alone and ends in the DLQ after the receive limit.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

from chalicelib.core.metric_events import METRIC_EVENT, ClientOutcome, RunEnd
from chalicelib.metrics import store


def handle_batch(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    applied = _apply_together(event.get("Records") or [])

    def handle(record: Any) -> str:
        return "applied" if record.message_id in applied else apply_metric_record(record.body)

    return process_partial_response(event=event, record_handler=handle,
                                    processor=BatchProcessor(event_type=EventType.SQS), context=context)


def _apply_together(records: list[dict[str, Any]]) -> set[str]:
    """The message ids of the batch's events applied in one transaction (none when it was refused,
    or when fewer than two are valid: then every record goes through apply_metric_record)."""
    parsed = []
    for record in records:
        try:
            parsed.append((str(record["messageId"]), METRIC_EVENT.validate_json(record["body"])))
        except Exception:  # noqa: BLE001 - malformed: it fails alone, with its reason, in the per-record pass
            continue
    if len(parsed) < 2:
        return set()
    try:
        absent = store.learn_known_clients(event.client_id for _, event in parsed if isinstance(event, ClientOutcome))
        events = [(event, _unknown_reason(event, absent)) for _, event in parsed]
    except Exception:  # noqa: BLE001 - the client check failed: each record retries it alone
        return set()
    return {message_id for message_id, _ in parsed} if store.apply_events_together(events) else set()


def apply_metric_record(body: str) -> str:
    """One SQS message body -> one event applied exactly once. A malformed body raises, so the
    record is reported as a batch item failure and ends in the DLQ after the receive limit.
    A client outcome whose client is not known is counted for the deployment only (no tenant)."""
    event = METRIC_EVENT.validate_json(body)
    return store.apply_event(event, unknown_client=_unknown_reason(event))


def _unknown_reason(event: ClientOutcome | RunEnd, absent: set[str] | None = None) -> str | None:
    """Why the event's client is not a client (logged), or None (a known client, or a run end)."""
    unknown = store.unknown_client_reason(event.client_id, absent or ()) if isinstance(event, ClientOutcome) else None
    if unknown:
        from chalicelib.core.observability import logger

        logger().warning("metric event of an unknown client: counted for the deployment only",
                         extra={"event_id": event.event_id[:200], "reason": unknown})
    return unknown

"""apply_metric_events: the metrics queue's consumer, each event applied exactly once.

Partial batch failures (the event source mapping reports batch item failures): a bad or failing
message is retried alone and ends in the DLQ after the receive limit.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

from chalicelib.core.metric_events import METRIC_EVENT, ClientOutcome
from chalicelib.metrics import store


def handle_batch(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    return process_partial_response(event=event, record_handler=lambda record: apply_metric_record(record.body),
                                    processor=BatchProcessor(event_type=EventType.SQS), context=context)


def apply_metric_record(body: str) -> str:
    """One SQS message body -> one event applied exactly once. A malformed body raises, so the
    record is reported as a batch item failure and ends in the DLQ after the receive limit.
    A client outcome whose client is not known is counted for the deployment only (no tenant)."""
    event = METRIC_EVENT.validate_json(body)
    unknown = store.unknown_client_reason(event.client_id) if isinstance(event, ClientOutcome) else None
    if unknown:
        from chalicelib.core.observability import logger

        logger().warning("metric event of an unknown client: counted for the deployment only",
                         extra={"event_id": event.event_id[:200], "reason": unknown})
    return store.apply_event(event, unknown_client=unknown)

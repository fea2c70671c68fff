"""The notification queue's consumer: every channel of a notification's route, each sent once.

Powertools BatchProcessor reports only the failed records (`batchItemFailures`), so one bad message
never makes SQS redeliver its whole batch. A record fails (and comes back after the visibility
timeout) while any channel has a retryable failure; channels already sent are skipped on the next
receive. A permanent failure (4xx other than 429/408, a missing secret, a bad address) is recorded
and not retried. On the last receive a retryable failure is recorded as failed (dead-lettered) and
the record fails once more, so SQS moves it to the DLQ, whose depth alarm tells the operator.
"""

from __future__ import annotations

import time
from importlib import import_module
from typing import Any, Callable

from chalicelib.core.constants import NOTIFY_HANDLER_TIMEOUT_SECONDS, NOTIFY_MAX_RECEIVES, WEBHOOK_TIMEOUT_SECONDS
from chalicelib.core.errors import CostReportError, NetworkError, ServiceUnavailableError, ThrottlingError
from chalicelib.core.metrics import publish
from chalicelib.core.observability import logger
from chalicelib.notify import ledger
from chalicelib.notify.models import Notification

# A record is started only while this much of the function's timeout is left (two webhook timeouts
# and a margin); later ones go back to the queue untouched rather than be cut off by the timeout.
RESERVE_SECONDS = 2 * WEBHOOK_TIMEOUT_SECONDS + 5


# What the queue retries (the ASL's retry categories): throttling (429), 5xx/408 and network failures.
# Anything else is permanent for that channel: recorded, never retried.
QUEUE_RETRIED = (ThrottlingError, ServiceUnavailableError, NetworkError)


class NotificationPending(Exception):
    """Some channel must be tried again: the record fails and SQS redelivers it."""


def _sender(channel: str) -> Callable[[Notification], str]:
    return import_module(f"chalicelib.notify.channels.{channel}").send  # only the channels a message uses


def handle_batch(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    # Our own clock against the function's configured timeout (the infra description uses the same constant).
    deadline = time.monotonic() + NOTIFY_HANDLER_TIMEOUT_SECONDS - RESERVE_SECONDS
    processor = BatchProcessor(event_type=EventType.SQS)
    return process_partial_response(event=event, record_handler=lambda record: handle_record(record, deadline),
                                    processor=processor, context=context)


def handle_record(record: Any, deadline: float | None = None) -> dict[str, str]:
    if deadline is not None and time.monotonic() > deadline:
        raise NotificationPending("not enough time left in this invocation; the queue redelivers it")
    notification = Notification.model_validate_json(record.body)  # malformed: fails to the DLQ (alarm)
    receives = int(record.attributes.approximate_receive_count or 1)
    last_receive = receives >= NOTIFY_MAX_RECEIVES
    log = logger()
    outcome: dict[str, str] = {}
    pending: list[str] = []
    for channel in notification.route.channels():
        state, item = ledger.begin_channel(notification.notification_id, channel)
        if state in ("sent", "failed"):
            outcome[channel] = f"{state} earlier"
            continue
        if state == "busy":
            pending.append(f"{channel}: another receive is sending it")
            continue
        try:
            detail = _sender(channel)(notification)
        except Exception as exc:  # noqa: BLE001 - recorded per channel, the queue retries
            error = exc if isinstance(exc, CostReportError) else NetworkError(f"{type(exc).__name__}: {str(exc)[:300]}")
            retryable = isinstance(error, QUEUE_RETRIED)
            retry = retryable and not last_receive
            reason = f"{type(error).__name__}: {error}"
            if retryable and last_receive:
                reason += f" (receive {receives} of {NOTIFY_MAX_RECEIVES}: moved to the dead-letter queue)"
            ledger.finish_channel(notification.notification_id, channel, "retrying" if retry else "failed", reason,
                                  dead_lettered=retryable and last_receive)
            log.warning("notification channel failed", extra={
                "notification_id": notification.notification_id, "client_id": notification.client_id,
                "channel": channel, "retry": retry, "reason": reason[:500], "receive": receives})
            publish("notify", NotificationsFailed=1)
            outcome[channel] = "retrying" if retry else "failed"
            if retryable:
                pending.append(f"{channel}: {reason}")
            continue
        ledger.finish_channel(notification.notification_id, channel, "sent", detail)
        log.info("notification sent", extra={"notification_id": notification.notification_id,
                                              "client_id": notification.client_id, "channel": channel, "detail": detail})
        publish("notify", NotificationsSent=1)
        outcome[channel] = "sent"
    if pending:
        raise NotificationPending("; ".join(pending)[:1000])
    return outcome

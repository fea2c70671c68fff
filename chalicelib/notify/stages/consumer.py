"""The notification queue's consumer: every channel of a notification's route, each sent once.

Powertools BatchProcessor reports only the failed records (`batchItemFailures`), so one bad message
never makes SQS redeliver its whole batch. A record fails (and comes back after the visibility
timeout) while any channel has a retryable failure; channels already sent are skipped on the next
receive. A permanent failure (4xx other than 429/408, a missing or malformed secret, a bad address)
is recorded and not retried. A webhook post sent whole but unanswered within its deadline is
recorded `unconfirmed` and not posted again (the receiver may have it). On the last receive a
retryable failure is recorded as failed (dead-lettered) and the record fails once more, so SQS
moves it to the DLQ, whose depth alarm tells the operator.

Time: a channel is started only while RESERVE_SECONDS of the invocation are left: the largest
webhook timeout the settings allow plus a margin for the ledger write, so no post can be cut off by
the function's timeout whatever WEBHOOK_TIMEOUT_SECONDS says. A record or channel not started goes
back to the queue untouched.

What is logged and recorded for a failure is the taxonomy error's message: for webhooks it names
the secret and host only (chalicelib/notify/http.py); an unexpected exception is recorded by its
class name only, since a library's message may quote a URL.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from importlib import import_module
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

from chalicelib.core.constants import NOTIFY_HANDLER_TIMEOUT_SECONDS, NOTIFY_MAX_RECEIVES, WEBHOOK_TIMEOUT_MAX_SECONDS
from chalicelib.core.errors import CostReportError, NetworkError, ServiceUnavailableError, ThrottlingError
from chalicelib.core.metrics import publish
from chalicelib.core.notifications import Notification
from chalicelib.core.observability import logger
from chalicelib.notify import store
from chalicelib.notify.contracts import FINAL_STATES
from chalicelib.notify.http import DeliveryUnconfirmed

LEDGER_MARGIN_SECONDS = 5.0
RESERVE_SECONDS = WEBHOOK_TIMEOUT_MAX_SECONDS + LEDGER_MARGIN_SECONDS
assert RESERVE_SECONDS < NOTIFY_HANDLER_TIMEOUT_SECONDS, "the consumer's timeout leaves no time to post"

# What the queue retries (the ASL's retry categories): throttling (429), 5xx/408 and network failures.
# Anything else is permanent for that channel: recorded, never retried.
QUEUE_RETRIED = (ThrottlingError, ServiceUnavailableError, NetworkError)


class NotificationPending(Exception):
    """Some channel must be tried again: the record fails and SQS redelivers it."""


def _sender(channel: str) -> Callable[[Notification], str]:
    return import_module(f"chalicelib.notify.channels.{channel}").send  # only the channels a message uses


def handle_batch(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    # Our own clock against the function's configured timeout (the infra description sets it from
    # the same constant; local runs give their Lambda contexts shorter, scaled timeouts).
    start_by = time.monotonic() + NOTIFY_HANDLER_TIMEOUT_SECONDS - RESERVE_SECONDS
    processor = BatchProcessor(event_type=EventType.SQS)
    return process_partial_response(event=event, record_handler=lambda record: handle_record(record, start_by),
                                    processor=processor, context=context)


def _out_of_time(start_by: float | None) -> bool:
    return start_by is not None and time.monotonic() > start_by


def handle_record(record: Any, start_by: float | None = None) -> dict[str, str]:
    if _out_of_time(start_by):
        raise NotificationPending("not enough time left in this invocation; the queue redelivers it")
    notification = Notification.model_validate_json(record.body)  # malformed: fails to the DLQ (alarm)
    receives = int(record.attributes.approximate_receive_count or 1)
    last_receive = receives >= NOTIFY_MAX_RECEIVES
    log = logger()
    where = {"notification_id": notification.notification_id, "client_id": notification.client_id}
    outcome: dict[str, str] = {}
    pending: list[str] = []
    for channel in notification.route.channels():
        if _out_of_time(start_by):
            pending.append(f"{channel}: not started, not enough time left in this invocation")
            continue
        state, _item = store.begin_channel(notification.notification_id, channel)
        if state in FINAL_STATES:
            outcome[channel] = f"{state} earlier"
            continue
        if state == "busy":
            pending.append(f"{channel}: another receive is sending it")
            continue
        try:
            detail = _sender(channel)(notification)
        except DeliveryUnconfirmed as exc:
            store.finish_channel(notification.notification_id, channel, "unconfirmed", str(exc))
            log.warning("notification channel unconfirmed", extra={**where, "channel": channel, "reason": str(exc)[:500]})
            publish("notify", NotificationsUnconfirmed=1)
            outcome[channel] = "unconfirmed"
            continue
        except Exception as exc:  # noqa: BLE001 - recorded per channel, the queue retries
            error = exc if isinstance(exc, CostReportError) else NetworkError(f"{channel}: unexpected {type(exc).__name__}")
            retryable = isinstance(error, QUEUE_RETRIED)
            retry = retryable and not last_receive
            reason = f"{type(error).__name__}: {error}"
            if retryable and last_receive:
                reason += f" (receive {receives} of {NOTIFY_MAX_RECEIVES}: moved to the dead-letter queue)"
            store.finish_channel(notification.notification_id, channel, "retrying" if retry else "failed", reason,
                                  dead_lettered=retryable and last_receive)
            log.warning("notification channel failed", extra={
                **where, "channel": channel, "retry": retry, "reason": reason[:500], "receive": receives})
            publish("notify", NotificationsFailed=1)
            outcome[channel] = "retrying" if retry else "failed"
            if retryable:
                pending.append(f"{channel}: {reason}")
            continue
        store.finish_channel(notification.notification_id, channel, "sent", detail)
        log.info("notification sent", extra={**where, "channel": channel, "detail": detail})
        publish("notify", NotificationsSent=1)
        outcome[channel] = "sent"
    if pending:
        raise NotificationPending("; ".join(pending)[:1000])
    return outcome

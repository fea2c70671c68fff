"""deliver: send the report once per (client, report type, period) to each recipient, each in a
message of its own (its own To and List-Unsubscribe), and record the delivery.

Exactly-once comes from Powertools idempotency on the project table, per recipient: a conditional
"in progress" record keyed on (client, report type, period, recipient) is written before SES is
called and completed with the message id after, so a Step Functions retry, a Lambda retry or a
rerun of the same input replays the stored result instead of sending again. After a partial
failure (SES accepted some recipients, then failed), the retry replays the ones done and sends to
the rest only. `force` adds the run id to the key: one new send per forced run.

Recipients who unsubscribed (chalicelib/core/subscriptions.py, read with one Query per client) are
skipped and counted; when that is every recipient, nothing is sent and the result says so
(`message_id` None), which the record stage never counts as delivered.

The one window no system can close: SES accepted the message and the process died before the
idempotency record was completed. The in-progress record then expires with the Lambda timeout
and a retry sends once more to that recipient. Nothing runs between the SES call and that write,
so the window is a single DynamoDB round trip.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from chalicelib.core import aws
from chalicelib.core.caches import register
from chalicelib.core.constants import PK_IDEMPOTENCY_DELIVER
from chalicelib.core.email import for_recipient, send_raw
from chalicelib.core.errors import CostReportError, DataValidationError
from chalicelib.core.metrics import publish
from chalicelib.core.observability import logger, mask_address
from chalicelib.core.settings import get_settings
from chalicelib.reports import store
from chalicelib.reports.contracts import DeliverReportInput, DeliverReportResult, RecipientOutcome


def deliver(task: DeliverReportInput, lambda_context: Any = None) -> DeliverReportResult:
    from email.parser import BytesHeaderParser
    from email.utils import getaddresses, parseaddr

    from chalicelib.core import subscriptions

    run = task.run
    raw = store.get_bytes(task.rendered.message_key)
    headers = BytesHeaderParser().parsebytes(raw)
    # The envelope is taken from the message render built (its To lists every configured recipient).
    recipients = [address for _, address in getaddresses(headers.get_all("To", []))]
    sender = parseaddr(headers.get("From", ""))[1] or get_settings().default_sender
    if not recipients:
        raise DataValidationError(f"{task.rendered.message_key}: the rendered message names no recipient")
    suppressed = subscriptions.unsubscribed_recipients(task.client_id)
    delivery = {
        "client_id": task.client_id,
        "report_type": run.report_type,
        "period_start": run.current.start.isoformat(),
        "period_end": run.current.end.isoformat(),
        # force re-sends exactly once per forced run; otherwise the period is the whole key
        "force_token": run.run_id if run.force else "",
    }
    send = _idempotent_send(lambda_context)
    outcomes: list[RecipientOutcome] = []
    sent_now = 0
    failure: CostReportError | None = None
    for address in recipients:
        masked = mask_address(address)
        if subscriptions.is_unsubscribed(address, suppressed):
            outcomes.append(RecipientOutcome(to=masked, status="unsubscribed"))
            continue
        # Not part of the idempotency key: tells a send made now from a replayed one (even in this run).
        attempt = uuid.uuid4().hex
        try:
            result = send(delivery={**delivery, "recipient": subscriptions.normalise_address(address)}, raw=raw,
                          address=address, sender=sender, run_id=run.run_id, attempt=attempt)
        except CostReportError as exc:  # the others are still sent; the retry sends this one only
            failure = failure or exc
            continue
        fresh = result.get("attempt") == attempt
        sent_now += fresh
        outcomes.append(RecipientOutcome(to=masked, status="sent" if result["run_id"] == run.run_id else "already_sent",
                                         message_id=result["message_id"], sent_by_run=result["run_id"]))
    if sent_now:
        publish(run.report_type, EmailsSent=sent_now)
    unsubscribed = sum(outcome.status == "unsubscribed" for outcome in outcomes)
    if failure is not None:
        done = sum(outcome.status != "unsubscribed" for outcome in outcomes)
        raise type(failure)(f"{failure} (sent to {done} of {len(recipients) - unsubscribed} recipients; "
                            "a retry or rerun sends to the others only)") from failure
    delivered = [outcome for outcome in outcomes if outcome.message_id is not None]
    if not delivered:  # every recipient unsubscribed: nothing sent, nothing in the ledger
        return DeliverReportResult(message_id=None, sent_by_run=None, duplicate=False, recipients=outcomes,
                                   unsubscribed=unsubscribed)
    first = delivered[0]
    duplicate = all(outcome.status == "already_sent" for outcome in delivered)
    # Also on a replay: the run that sent may have died before writing the ledger.
    store.record_delivery(task.client_id, run.report_type, run.current.start.isoformat(), first.message_id or "",
                          first.sent_by_run or run.run_id, recipients=[o.model_dump(exclude_none=True) for o in outcomes])
    return DeliverReportResult(message_id=first.message_id, sent_by_run=first.sent_by_run, duplicate=duplicate,
                               recipients=outcomes, unsubscribed=unsubscribed)


def _idempotent_send(lambda_context: Any) -> Callable[..., dict[str, Any]]:
    """`_send` behind Powertools idempotency, with a config of this invocation's own: the Lambda
    context bounds how long an in-progress record holds (a config shared across concurrent
    invocations, as when a local run executes branches on threads, would mix their deadlines)."""
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function

    config = IdempotencyConfig(
        expires_after_seconds=get_settings().idempotency_days * 86400,
        raise_on_no_idempotency_key=True,
        lambda_context=lambda_context,
    )
    return idempotent_function(data_keyword_argument="delivery", persistence_store=_persistence(), config=config)(_send)


@lru_cache(maxsize=1)
def _persistence() -> Any:
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    return DynamoDBPersistenceLayer(
        table_name=get_settings().table_name,
        key_attr="pk",
        sort_key_attr="sk",
        static_pk_value=PK_IDEMPOTENCY_DELIVER,
        boto3_client=aws.client("dynamodb"),
    )


register(_persistence.cache_clear)


def _send(delivery: dict[str, Any], raw: bytes, address: str, sender: str, run_id: str, attempt: str) -> dict[str, Any]:
    """Send one recipient's copy of the message render built: its own To and unsubscribe link."""
    from chalicelib.core.subscriptions import unsubscribe_headers

    message = for_recipient(raw, address, unsubscribe_headers(delivery["client_id"], address))
    message_id = send_raw(message, sender=sender, recipients=[address],
                          tags={"client_id": delivery["client_id"], "report_type": delivery["report_type"]})
    # Nothing may raise between the send and returning: the idempotency record completes after this.
    logger().info("report sent", extra={"client_id": delivery["client_id"], "message_id": message_id,
                                        "recipients": [mask_address(address)]})
    return {"message_id": message_id, "run_id": run_id, "attempt": attempt}

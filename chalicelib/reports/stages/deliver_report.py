"""deliver: send the report once per (client, report type, period) and record the delivery.

Exactly-once comes from Powertools idempotency on the project table: a conditional
"in progress" record is written before SES is called and completed with the message id after,
so a Step Functions retry, a Lambda retry or a rerun of the same input replays the stored
result instead of sending again. `force` adds the run id to the key: one new send per forced run.

The one window no system can close: SES accepted the message and the process died before the
idempotency record was completed. The in-progress record then expires with the Lambda timeout
and a retry sends once more. Nothing runs between the SES call and that write, so the window is
a single DynamoDB round trip.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from chalicelib.core import aws
from chalicelib.core.caches import register
from chalicelib.core.constants import PK_IDEMPOTENCY_DELIVER
from chalicelib.core.email import send_raw
from chalicelib.core.metrics import publish
from chalicelib.core.observability import logger, mask_address
from chalicelib.core.settings import get_settings
from chalicelib.reports import store
from chalicelib.reports.contracts import DeliverReportInput, DeliverReportResult


def deliver(task: DeliverReportInput, lambda_context: Any = None) -> DeliverReportResult:
    run = task.run
    message_key = task.rendered.message_key
    delivery = {
        "client_id": task.client_id,
        "report_type": run.report_type,
        "period_start": run.current.start.isoformat(),
        "period_end": run.current.end.isoformat(),
        # force re-sends exactly once per forced run; otherwise the period is the whole key
        "force_token": run.run_id if run.force else "",
    }
    send = _idempotent_send(lambda_context)
    # Not part of the idempotency key: tells a send made now from a replayed one (even in this run).
    attempt = uuid.uuid4().hex
    result = send(delivery=delivery, message_key=message_key, run_id=run.run_id, attempt=attempt)
    duplicate = result["run_id"] != run.run_id
    # Also on a replay: the run that sent may have died before writing the ledger.
    store.record_delivery(task.client_id, run.report_type, run.current.start.isoformat(), result["message_id"], result["run_id"])
    if result.get("attempt") == attempt:
        publish(run.report_type, EmailsSent=1)
    return DeliverReportResult(message_id=result["message_id"], sent_by_run=result["run_id"], duplicate=duplicate)


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


def _send(delivery: dict[str, Any], message_key: str, run_id: str, attempt: str) -> dict[str, Any]:
    """Send the message render built; the SES envelope is taken from its own headers."""
    from email.parser import BytesHeaderParser
    from email.utils import getaddresses, parseaddr

    raw = store.get_bytes(message_key)
    headers = BytesHeaderParser().parsebytes(raw)
    recipients = [address for _, address in getaddresses(headers.get_all("To", []))]
    message_id = send_raw(raw, sender=parseaddr(headers.get("From", ""))[1] or get_settings().default_sender,
                          recipients=recipients,
                          tags={"client_id": delivery["client_id"], "report_type": delivery["report_type"]})
    # Nothing may raise between the send and returning: the idempotency record completes after this.
    logger().info(
        "report sent",
        extra={"client_id": delivery["client_id"], "message_id": message_id,
               "recipients": [mask_address(r) for r in recipients]},
    )
    return {"message_id": message_id, "run_id": run_id, "attempt": attempt}

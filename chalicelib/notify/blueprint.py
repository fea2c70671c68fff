"""The notification subsystem's one Lambda function: the notification queue's consumer (SQS event
source mapping with ReportBatchItemFailures). Its module is imported when the handler first runs."""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.core.constants import NOTIFY_BATCH_SIZE, queue_name

bp = Blueprint(__name__)


# The queue "notify" of infra/description.py (its name carries the stage: <app>-<stage>-notify).
@bp.on_sqs_message(queue=queue_name("notify"), batch_size=NOTIFY_BATCH_SIZE, name="notify_consumer")
def notify_consumer(event: Any) -> dict[str, Any]:
    from chalicelib.notify.stages.consumer import handle_batch

    return handle_batch(event.to_dict(), event.context)

"""Putting a notification on the queue, once: the ledger's META record says whether it already is."""

from __future__ import annotations

from chalicelib.core import aws
from chalicelib.core.errors import ConfigurationError, classify_aws_error
from chalicelib.core.settings import get_settings
from chalicelib.notify import ledger
from chalicelib.notify.models import Notification


def enqueue(notification: Notification) -> bool:
    """Queue the notification unless an earlier attempt already did; True when sent to SQS now.
    A repeat of a half-done attempt (recorded pending, crashed before confirming) queues it again:
    the consumer's per-channel ledger makes that second message harmless."""
    queue_url = get_settings().notify_queue_url
    if not queue_url:
        raise ConfigurationError("NOTIFY_QUEUE_URL is not set: the notification queue is missing from this deployment")
    if not ledger.claim_for_queue(notification.notification_id, notification.kind, notification.client_id):
        return False
    try:
        reply = aws.client("sqs").send_message(
            QueueUrl=queue_url,
            MessageBody=notification.model_dump_json(),
            MessageAttributes={"kind": {"DataType": "String", "StringValue": notification.kind},
                               "client_id": {"DataType": "String", "StringValue": notification.client_id}},
        )
    except Exception as exc:  # noqa: BLE001
        raise classify_aws_error(exc, "SQS SendMessage notification") from exc
    ledger.mark_queued(notification.notification_id, reply["MessageId"])
    return True

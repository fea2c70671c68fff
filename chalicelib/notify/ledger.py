"""The notification ledger on the project table: queued once, sent once per channel.

  NOTIFY#<id> / META               kind, client, status pending -> queued (the producer's record)
  NOTIFY#<id> / CHANNEL#<channel>  status sending (with a lease) -> sent | unconfirmed | failed,
                                   reason, attempts

A channel is attempted only after a conditional write takes its lease: a redelivered message finds
`sent` (or `unconfirmed`, or a permanent `failed`) and skips the channel, so a channel that accepted
a notification is never posted to again. A lease left by a crashed attempt expires after the
handler's timeout.

`unconfirmed`: a webhook post sent whole that got no answer within its deadline. The receiver may
have it (a slow 200), so it is not posted again: a receiver never gets repeats of a slow post.

The one window no system can close: the channel accepted the post and the process died before
`sent` was written; the lease then expires and the next receive posts again. Webhook posts carry
the same `Idempotency-Key` every time (chalicelib/notify/channels/webhook_common.py), so receivers
can drop that rare repeat.

Reasons and details are written by the consumer from taxonomy messages, which name a webhook by
its secret's name and host only (chalicelib/notify/http.py): nothing of a URL reaches this table.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

from chalicelib.core import aws
from chalicelib.core.constants import NOTIFY_HANDLER_TIMEOUT_SECONDS, PK_NOTIFICATION_PREFIX
from chalicelib.core.errors import classify_aws_error
from chalicelib.core.periods import utcnow
from chalicelib.core.settings import get_settings

ChannelState = Literal["go", "sent", "unconfirmed", "failed", "busy"]
FINAL_STATES = ("sent", "unconfirmed", "failed")
RETENTION_DAYS = 400  # a year of crossings stays deduplicated (yearly budgets)


def _table() -> Any:
    return aws.dynamodb_table(get_settings().table_name)


def _conditional_failed(exc: Exception) -> bool:
    return "ConditionalCheckFailed" in type(exc).__name__ or "ConditionalCheckFailed" in str(exc)


def _key(notification_id: str, sk: str) -> dict[str, str]:
    return {"pk": f"{PK_NOTIFICATION_PREFIX}{notification_id}", "sk": sk}


def _expiry() -> int:
    return int((utcnow() + timedelta(days=RETENTION_DAYS)).timestamp())


# ---- producer side --------------------------------------------------------------------------

def claim_for_queue(notification_id: str, kind: str, client_id: str) -> bool:
    """True when this notification must be put on the queue: never recorded, or recorded by an
    attempt that died before confirming the send (pending). False once it is queued."""
    item = {**_key(notification_id, "META"), "kind": kind, "client_id": client_id, "status": "pending",
            "created_at": utcnow().isoformat(), "expiration": _expiry()}
    try:
        _table().put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")
        return True
    except Exception as exc:  # noqa: BLE001
        if not _conditional_failed(exc):
            raise classify_aws_error(exc, "record notification") from exc
    existing = get_meta(notification_id) or {}
    return existing.get("status") != "queued"


def mark_queued(notification_id: str, message_id: str) -> None:
    try:
        _table().update_item(Key=_key(notification_id, "META"), UpdateExpression="SET #s = :q, queued_at = :t, sqs_message_id = :m",
                             ExpressionAttributeNames={"#s": "status"},
                             ExpressionAttributeValues={":q": "queued", ":t": utcnow().isoformat(), ":m": message_id})
    except Exception as exc:  # noqa: BLE001
        raise classify_aws_error(exc, "record notification queued") from exc


def get_meta(notification_id: str) -> dict[str, Any] | None:
    try:
        return _table().get_item(Key=_key(notification_id, "META"), ConsistentRead=True).get("Item")
    except Exception as exc:  # noqa: BLE001
        raise classify_aws_error(exc, "read notification") from exc


# ---- consumer side ---------------------------------------------------------------------------

def begin_channel(notification_id: str, channel: str, lease_seconds: int = NOTIFY_HANDLER_TIMEOUT_SECONDS) -> tuple[ChannelState, dict[str, Any]]:
    """Take the channel's lease ("go"), or say why not: already "sent", "unconfirmed" (sent, no
    answer: not posted again), permanently "failed", or "busy" (another receive holds a live lease)."""
    now = utcnow()
    try:
        _table().update_item(
            Key=_key(notification_id, f"CHANNEL#{channel}"),
            UpdateExpression="SET #s = :sending, lease_until = :lease, updated_at = :now, channel = :channel, "
                             "expiration = :exp ADD attempts :one",
            # dead_lettered: failed on its last receive; a redrive from the DLQ tries it again
            ConditionExpression="attribute_not_exists(#s) OR #s = :retry OR dead_lettered = :true "
                                "OR (#s = :sending AND lease_until < :now)",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":sending": "sending", ":retry": "retrying", ":now": now.isoformat(),
                                       ":lease": (now + timedelta(seconds=lease_seconds)).isoformat(),
                                       ":channel": channel, ":exp": _expiry(), ":one": 1, ":true": True},
        )
        return "go", {}
    except Exception as exc:  # noqa: BLE001
        if not _conditional_failed(exc):
            raise classify_aws_error(exc, "take notification channel lease") from exc
    item = channel_record(notification_id, channel) or {}
    status = item.get("status")
    return (status if status in FINAL_STATES else "busy"), item  # type: ignore[return-value]


def finish_channel(notification_id: str, channel: str, status: Literal["sent", "unconfirmed", "retrying", "failed"],
                   detail: str, dead_lettered: bool = False) -> None:
    """sent (detail: what accepted it), unconfirmed (sent, no answer: never posted again), retrying
    (a retryable failure: the next receive tries again) or failed (permanent; or `dead_lettered`:
    retryable but out of receives, tried again only if the message is redriven from the DLQ)."""
    field = "detail" if status == "sent" else "reason"
    try:
        _table().update_item(
            Key=_key(notification_id, f"CHANNEL#{channel}"),
            UpdateExpression=f"SET #s = :s, {field} = :d, updated_at = :now, dead_lettered = :dl REMOVE lease_until",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":s": status, ":d": detail[:1000] or "-", ":now": utcnow().isoformat(),
                                       ":dl": dead_lettered},
        )
    except Exception as exc:  # noqa: BLE001
        raise classify_aws_error(exc, "record notification channel") from exc


def channel_record(notification_id: str, channel: str) -> dict[str, Any] | None:
    try:
        return _table().get_item(Key=_key(notification_id, f"CHANNEL#{channel}"), ConsistentRead=True).get("Item")
    except Exception as exc:  # noqa: BLE001
        raise classify_aws_error(exc, "read notification channel") from exc


def statuses(notification_id: str) -> dict[str, dict[str, Any]]:
    """Every record of one notification by sort key (META, CHANNEL#email, ...)."""
    try:
        reply = _table().query(KeyConditionExpression="pk = :pk", ConsistentRead=True,
                               ExpressionAttributeValues={":pk": f"{PK_NOTIFICATION_PREFIX}{notification_id}"})
    except Exception as exc:  # noqa: BLE001
        raise classify_aws_error(exc, "read notification status") from exc
    return {item["sk"]: item for item in reply.get("Items", [])}

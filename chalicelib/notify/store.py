"""The notification ledger's channel records on the project table: each notification sent once per
channel (its META record, queued once, is the producer's: chalicelib/core/notifications.py).

  NOTIFY#<id> / CHANNEL#<channel>  status sending (with a lease) -> sent | unconfirmed | failed,
                                   reason, attempts (the states: chalicelib/notify/contracts.py)
  NOTIFY#<id> / RECIPIENT#email#<address digest>  one email recipient sent (its message id): the
                                   email channel sends per recipient, so a retry skips the ones done

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
from typing import Any

from chalicelib.core.constants import NOTIFY_HANDLER_TIMEOUT_SECONDS, PK_NOTIFICATION_PREFIX, TTL_ATTRIBUTE
from chalicelib.core.notifications import RETENTION_DAYS, record_key
from chalicelib.core.periods import utcnow
from chalicelib.core.store import table
from chalicelib.notify.contracts import FINAL_STATES, ChannelState, FinishedState

RECIPIENT_PREFIX = "RECIPIENT#"  # NOTIFY#<id> / RECIPIENT#<channel>#<address digest>: one email recipient sent


def begin_channel(notification_id: str, channel: str,
                  lease_seconds: int = NOTIFY_HANDLER_TIMEOUT_SECONDS) -> tuple[ChannelState, dict[str, Any]]:
    """Take the channel's lease ("go"), or say why not: already "sent", "unconfirmed" (sent, no
    answer: not posted again), permanently "failed", or "busy" (another receive holds a live lease)."""
    now = utcnow()
    try:
        table.table().update_item(
            Key=_channel_key(notification_id, channel),
            UpdateExpression="SET #s = :sending, lease_until = :lease, updated_at = :now, channel = :channel, "
                             "#exp = :exp ADD attempts :one",
            # dead_lettered: failed on its last receive; a redrive from the DLQ tries it again
            ConditionExpression="attribute_not_exists(#s) OR #s = :retry OR dead_lettered = :true "
                                "OR (#s = :sending AND lease_until < :now)",
            ExpressionAttributeNames={"#s": "status", "#exp": TTL_ATTRIBUTE},
            ExpressionAttributeValues={":sending": "sending", ":retry": "retrying", ":now": now.isoformat(),
                                       ":lease": (now + timedelta(seconds=lease_seconds)).isoformat(),
                                       ":channel": channel, ":exp": table.expiry(RETENTION_DAYS), ":one": 1,
                                       ":true": True},
        )
        return "go", {}
    except Exception as exc:
        if not table.condition_failed(exc):
            from chalicelib.core.errors import classify_aws_error

            raise classify_aws_error(exc, "take notification channel lease") from exc
    item = channel_record(notification_id, channel) or {}
    status = item.get("status")
    return (status if status in FINAL_STATES else "busy"), item  # type: ignore[return-value]


def finish_channel(notification_id: str, channel: str, status: FinishedState, detail: str,
                   dead_lettered: bool = False) -> None:
    """sent (detail: what accepted it), unconfirmed (sent, no answer: never posted again), retrying
    (a retryable failure: the next receive tries again) or failed (permanent; or `dead_lettered`:
    retryable but out of receives, tried again only if the message is redriven from the DLQ)."""
    field = "detail" if status == "sent" else "reason"
    with table.translated("record notification channel"):
        table.table().update_item(
            Key=_channel_key(notification_id, channel),
            UpdateExpression=f"SET #s = :s, {field} = :d, updated_at = :now, dead_lettered = :dl REMOVE lease_until",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":s": status, ":d": detail[:1000] or "-", ":now": utcnow().isoformat(),
                                       ":dl": dead_lettered},
        )


def recipient_message(notification_id: str, channel: str, address: str) -> str | None:
    """The message id a previous receive sent this recipient on `channel`, or None."""
    with table.translated("read notification recipient"):
        item = table.table().get_item(Key=_recipient_key(notification_id, channel, address), ConsistentRead=True).get("Item")
    return str(item["message_id"]) if item else None


def record_recipient(notification_id: str, channel: str, address: str, message_id: str) -> None:
    """This recipient has it (a retry after a partial failure skips it). Keyed by a digest of the
    address: the ledger holds no address."""
    with table.translated("record notification recipient"):
        table.table().put_item(Item={**_recipient_key(notification_id, channel, address), "message_id": message_id,
                                     "sent_at": utcnow().isoformat(), TTL_ATTRIBUTE: table.expiry(RETENTION_DAYS)})


def _recipient_key(notification_id: str, channel: str, address: str) -> dict[str, str]:
    import hashlib

    from chalicelib.core.subscriptions import normalise_address

    digest = hashlib.sha256(normalise_address(address).encode()).hexdigest()[:32]
    return record_key(notification_id, f"{RECIPIENT_PREFIX}{channel}#{digest}")


def channel_record(notification_id: str, channel: str) -> dict[str, Any] | None:
    with table.translated("read notification channel"):
        return table.table().get_item(Key=_channel_key(notification_id, channel), ConsistentRead=True).get("Item")


def statuses(notification_id: str) -> dict[str, dict[str, Any]]:
    """The notification's META and channel records by sort key (META, CHANNEL#email, ...); the email
    channel's per-recipient records are left out (the channel record says how it went)."""
    items = table.query("read notification status", KeyConditionExpression="pk = :pk", ConsistentRead=True,
                        ExpressionAttributeValues={":pk": f"{PK_NOTIFICATION_PREFIX}{notification_id}"})
    return {item["sk"]: item for item in items if not item["sk"].startswith(RECIPIENT_PREFIX)}


def _channel_key(notification_id: str, channel: str) -> dict[str, str]:
    return record_key(notification_id, f"CHANNEL#{channel}")

"""The notification message and how any subsystem queues one: reports (change alerts, the operator
alert) and budget checks produce them; chalicelib/notify consumes the queue and sends each to every
channel of its route.

Texts here are plain and may hold untrusted parts (a client name, a service name): each channel
escapes them for its own format (HTML, Slack mrkdwn, Teams markdown, email headers). The route is
snapshotted when the notification is made, so a redelivery goes where the first delivery went; it
holds secret NAMES only, never a webhook URL.

Queued once: the notification's META record in the project table says whether it already is.

  NOTIFY#<id> / META   kind, client, status pending -> queued (the producer's record; the consumer
                       keeps one CHANNEL#<channel> record per channel: chalicelib/notify/store.py)
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field

from chalicelib.core.constants import PK_NOTIFICATION_PREFIX, TTL_ATTRIBUTE
from chalicelib.core.models import ClientConfig, EmailAddress, SecretName, SnsTopicArn, StrictModel

NotificationKind = Literal["budget", "change_alert", "operator"]
Severity = Literal["info", "warning", "critical"]
ChannelName = Literal["email", "sns", "slack", "teams", "webhook"]
CHANNELS: tuple[str, ...] = ("email", "sns", "slack", "teams", "webhook")
ShortText = Annotated[str, Field(max_length=2000)]
MAX_DETAILS = 60
RETENTION_DAYS = 400  # a notification's records: a year of crossings stays deduplicated (yearly budgets)


class Fact(StrictModel):
    label: Annotated[str, Field(max_length=100)]
    value: Annotated[str, Field(max_length=300)]


class Route(StrictModel):
    """Where this notification goes: each non-empty entry is one channel."""

    email_to: Annotated[list[EmailAddress], Field(max_length=50)] = Field(default_factory=list)
    email_sender: EmailAddress | None = None
    email_reply_to: Annotated[list[EmailAddress], Field(max_length=10)] = Field(default_factory=list)
    sns_topic_arn: SnsTopicArn | None = None
    operator_topic: bool = False  # the deployment's operator topic (the consumer's ALERT_TOPIC_ARN)
    slack_secret: SecretName | None = None
    teams_secret: SecretName | None = None
    webhook_secret: SecretName | None = None

    def channels(self) -> list[str]:
        wanted = {
            "email": bool(self.email_to),
            "sns": bool(self.sns_topic_arn) or self.operator_topic,
            "slack": bool(self.slack_secret),
            "teams": bool(self.teams_secret),
            "webhook": bool(self.webhook_secret),
        }
        return [name for name in CHANNELS if wanted[name]]

    @classmethod
    def for_client(cls, config: ClientConfig) -> Route:
        channels = config.notifications
        return cls(
            email_to=config.alert_recipients() if channels.email else [],
            email_sender=config.sender,
            email_reply_to=list(config.reply_to),
            sns_topic_arn=channels.sns_topic_arn,
            slack_secret=channels.slack_secret,
            teams_secret=channels.teams_secret,
            webhook_secret=channels.webhook_secret,
        )


class Notification(StrictModel):
    """One alert about one client (or the operator pseudo client), sent to every channel of its route."""

    notification_id: Annotated[str, Field(pattern=r"^[a-z_]+-[0-9a-f]{32}$")]
    kind: NotificationKind
    client_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$")]
    client_name: Annotated[str, Field(max_length=200)]
    severity: Severity
    title: Annotated[str, Field(min_length=1, max_length=300)]
    summary: ShortText
    facts: Annotated[list[Fact], Field(max_length=20)] = Field(default_factory=list)
    details: Annotated[list[ShortText], Field(max_length=MAX_DETAILS)] = Field(default_factory=list)
    created_at: datetime
    route: Route


def notification_id(kind: str, *parts: str) -> str:
    """Deterministic: the same event always gets the same id (the channel ledger's key)."""
    digest = hashlib.sha256("\x1f".join((kind, *parts)).encode("utf-8")).hexdigest()[:32]
    return f"{kind}-{digest}"


# ---- queued once ---------------------------------------------------------------------------------


def enqueue(notification: Notification) -> bool:
    """Queue the notification unless an earlier attempt already did; True when sent to SQS now.
    A repeat of a half-done attempt (recorded pending, crashed before confirming) queues it again:
    the consumer's per-channel ledger makes that second message harmless."""
    from chalicelib.core import aws
    from chalicelib.core.errors import ConfigurationError, classify_aws_error
    from chalicelib.core.settings import get_settings

    queue_url = get_settings().notify_queue_url
    if not queue_url:
        raise ConfigurationError("NOTIFY_QUEUE_URL is not set: the notification queue is missing from this deployment")
    if not _claim_for_queue(notification.notification_id, notification.kind, notification.client_id):
        return False
    try:
        reply = aws.client("sqs").send_message(
            QueueUrl=queue_url,
            MessageBody=notification.model_dump_json(),
            MessageAttributes={"kind": {"DataType": "String", "StringValue": notification.kind},
                               "client_id": {"DataType": "String", "StringValue": notification.client_id}},
        )
    except Exception as exc:
        raise classify_aws_error(exc, "SQS SendMessage notification") from exc
    _mark_queued(notification.notification_id, reply["MessageId"])
    return True


def record_key(notification_id: str, sk: str = "META") -> dict[str, str]:
    """The key of a notification's record: its META record, or a CHANNEL#<channel> one."""
    return {"pk": f"{PK_NOTIFICATION_PREFIX}{notification_id}", "sk": sk}


def _claim_for_queue(notification_id: str, kind: str, client_id: str) -> bool:
    """True when this notification must be put on the queue: never recorded, or recorded by an
    attempt that died before confirming the send (pending). False once it is queued."""
    from chalicelib.core.periods import utcnow
    from chalicelib.core.store import table

    item = {**record_key(notification_id), "kind": kind, "client_id": client_id, "status": "pending",
            "created_at": utcnow().isoformat(), TTL_ATTRIBUTE: table.expiry(RETENTION_DAYS)}
    try:
        table.table().put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")
        return True
    except Exception as exc:
        if not table.condition_failed(exc):
            from chalicelib.core.errors import classify_aws_error

            raise classify_aws_error(exc, "record notification") from exc
    with table.translated("read notification"):
        existing: dict[str, Any] = table.table().get_item(Key=record_key(notification_id), ConsistentRead=True).get("Item") or {}
    return existing.get("status") != "queued"


def _mark_queued(notification_id: str, message_id: str) -> None:
    from chalicelib.core.periods import utcnow
    from chalicelib.core.store import table

    with table.translated("record notification queued"):
        table.table().update_item(Key=record_key(notification_id),
                                  UpdateExpression="SET #s = :q, queued_at = :t, sqs_message_id = :m",
                                  ExpressionAttributeNames={"#s": "status"},
                                  ExpressionAttributeValues={":q": "queued", ":t": utcnow().isoformat(), ":m": message_id})

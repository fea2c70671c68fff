"""The notification message: what every producer puts on the queue and every channel renders.

Texts here are plain and may hold untrusted parts (a client name, a service name): each channel
escapes them for its own format (HTML, Slack mrkdwn, Teams markdown, email headers). The route is
snapshotted when the notification is made, so a redelivery goes where the first delivery went; it
holds secret NAMES only, never a webhook URL.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.core.models import ClientConfig, EmailAddress, SecretName, SnsTopicArn

NotificationKind = Literal["budget", "change_alert", "operator"]
Severity = Literal["info", "warning", "critical"]
ChannelName = Literal["email", "sns", "slack", "teams", "webhook"]
CHANNELS: tuple[str, ...] = ("email", "sns", "slack", "teams", "webhook")
ShortText = Annotated[str, Field(max_length=2000)]
MAX_DETAILS = 60


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Fact(_Frozen):
    label: Annotated[str, Field(max_length=100)]
    value: Annotated[str, Field(max_length=300)]


class Route(_Frozen):
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
    def for_client(cls, config: ClientConfig) -> "Route":
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


class Notification(_Frozen):
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

"""An SNS topic: the text rendering as the message (every printed value neutralised, as in the
email); the subject through the header sanitiser (controls and bidi controls become spaces), made
ASCII and under 100 characters (SNS refuses anything else). The message attributes are ids the
models validate (letters, digits, `_`, `-`). Operator alerts (run failures) take this channel to
the operator topic."""

from __future__ import annotations

from typing import Any

from chalicelib.core import aws
from chalicelib.core.email import header_safe
from chalicelib.core.errors import ConfigurationError, classify_aws_error
from chalicelib.core.notifications import Notification
from chalicelib.core.settings import get_settings
from chalicelib.notify.channels.email import templates


def build(notification: Notification) -> dict[str, Any]:
    subject = header_safe(notification.title, 99).encode("ascii", "replace").decode("ascii").lstrip(" ?") or notification.kind
    return {
        "Subject": subject,
        "Message": templates().get_template("alert.txt.j2").render({"n": notification}),
        "MessageAttributes": {
            "client_id": {"DataType": "String", "StringValue": notification.client_id},
            "kind": {"DataType": "String", "StringValue": notification.kind},
            "notification_id": {"DataType": "String", "StringValue": notification.notification_id},
        },
    }


def send(notification: Notification) -> str:
    route = notification.route
    topic = route.sns_topic_arn or (get_settings().alert_topic_arn if route.operator_topic else None)
    if not topic:
        raise ConfigurationError("sns: no topic configured (operator alerts need ALERT_TOPIC_ARN)")
    try:
        reply = aws.client("sns").publish(TopicArn=topic, **build(notification))
    except Exception as exc:
        raise classify_aws_error(exc, "SNS Publish notification") from exc
    return f"SNS message {reply['MessageId']}"

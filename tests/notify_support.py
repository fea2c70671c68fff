"""What the notification tests share: a notification as a producer makes it, put on the real queue
(the producer's `enqueue`), and every record the run left behind (ledger, DLQ)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from chalicelib.core.notifications import Fact, Notification, Route, notification_id


def notification(client_id: str, route: Route, *, title: str | None = None, summary: str = "Spend moved.",
                 facts: list[Fact] | None = None, details: list[str] | None = None, name: str | None = None) -> Notification:
    name = name or f"{client_id} Corp"
    return Notification(
        notification_id=notification_id("budget", client_id, "test"), kind="budget", client_id=client_id,
        client_name=name[:200], severity="critical", title=title or f"{name}: monthly budget exceeded",
        summary=summary, facts=facts or [Fact(label="Budget", value="1,000.00 USD monthly")],
        details=details or ["Crossed: 100% of budget (actual spend)"],
        created_at=datetime(2026, 11, 22, tzinfo=UTC), route=route)


def enqueue(*notifications: Notification) -> None:
    from chalicelib.core.notifications import enqueue as put

    for item in notifications:
        assert put(item) is True


def ledger_items() -> list[dict[str, Any]]:
    from chalicelib.core import aws as project_aws
    from chalicelib.core.settings import get_settings

    table = project_aws.dynamodb_table(get_settings().table_name)
    return [item for item in table.scan()["Items"] if item["pk"].startswith("NOTIFY#")]


def channel(nid: str, name: str) -> dict[str, Any]:
    from chalicelib.notify import store as ledger

    return ledger.statuses(nid)[f"CHANNEL#{name}"]


def dlq_bodies(aws: Any) -> list[str]:
    """Every message in the notification DLQ, whole (body and attributes) as JSON text; left in place."""
    sqs = aws.session.client("sqs")
    url = sqs.get_queue_url(QueueName=aws.stage.dlq_name("notify"))["QueueUrl"]
    found: dict[str, str] = {}
    for _ in range(10):  # bounded: a few receives see every message (visibility 0: they stay)
        for message in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0,
                                           AttributeNames=["All"], MessageAttributeNames=["All"]).get("Messages", []):
            found[message["MessageId"]] = json.dumps(message, default=str)
    return list(found.values())


def settle(aws: Any, expected_dlq: int, rounds: int = 40) -> None:
    """Drain until the queue is empty and the DLQ holds `expected_dlq` messages (SQS moves a message
    on the receive after its last one): bounded."""
    import time

    for _ in range(rounds):
        aws.notify.drain()
        if aws.notify.dlq_depth() >= expected_dlq:
            return
        time.sleep(0.5)

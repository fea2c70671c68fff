"""Local SQS event source mappings: what Lambda's poller does for `@app.on_sqs_message` handlers.

Without Docker moto runs no event source mapping, so the local runtime (both modes) polls every
queue the Chalice app has an SQS handler for (queue name and batch size read from the app's
event sources, nothing restated) and calls the handler in this process, as Lambda would:

- the event is Lambda's SQS event (Records with messageId, receiptHandle, body, attributes with
  ApproximateReceiveCount, messageAttributes, md5OfBody, eventSource, eventSourceARN, awsRegion);
- a handler that raises fails the whole batch; one that returns
  `{"batchItemFailures": [{"itemIdentifier": <messageId>}]}` (Powertools' BatchProcessor does)
  fails only those (ReportBatchItemFailures, which deploy.py sets on the real mappings): only the
  succeeded messages are deleted; an unknown identifier fails the whole batch, as in Lambda;
- a failed message reappears after the queue's visibility timeout, scaled like the engine's
  retry sleeps locally (`time_scale`, at least 1 s: SQS counts whole seconds);
- after `maxReceiveCount` receives the queue's redrive policy moves it to the DLQ (moto does that
  on the next receive).

`drain()` polls until the queues are empty or hold only in-flight messages (bounded): tests call
it for a deterministic step; `start()` runs the same polling on a background thread.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

POLL_INTERVAL = 0.05  # seconds between polls of an idle queue (background thread)


@dataclass(frozen=True)
class Mapping:
    function: str  # the Chalice function name of the handler
    queue: str  # the queue's name
    batch_size: int


@dataclass
class Delivery:
    """One invocation of a handler: what it got and what failed (for tests and the CLI)."""

    function: str
    queue: str
    message_ids: list[str]
    failed: list[str] = field(default_factory=list)
    error: str | None = None


def app_mappings(app: Any) -> list[Mapping]:
    """The SQS event sources of a Chalice app (its blueprints' included)."""
    found = []
    for source in app.event_sources:
        if hasattr(source, "batch_size") and (getattr(source, "queue", None) or getattr(source, "queue_arn", None)):
            queue = source.queue or str(source.queue_arn).rsplit(":", 1)[-1]
            found.append(Mapping(source.name, queue, int(source.batch_size)))
    return found


class SqsPoller:
    def __init__(self, session: Any, mappings: list[Mapping], invoke: Callable[[str, Any], Any],
                 time_scale: float = 1.0, region: str = "us-east-1"):
        self.session = session
        self.mappings = mappings
        self.invoke = invoke
        self.time_scale = time_scale
        self.region = region
        self.deliveries: list[Delivery] = []
        self._sqs: Any = None
        self._queues: dict[str, tuple[str, str, int]] = {}  # name -> (url, arn, visibility timeout)
        self._lock = threading.RLock()  # one poll at a time (drain and the thread never interleave)
        self._stop = threading.Event()

    @classmethod
    def for_app(cls, app: Any, session: Any, bridge: Any, stage: Any = None, time_scale: float = 1.0) -> SqsPoller:
        region = session.region_name or "us-east-1"
        return cls(session, app_mappings(app), bridge.invoke, time_scale=time_scale, region=region)

    # ---- one poll -------------------------------------------------------------------------------

    def _client(self) -> Any:
        if self._sqs is None:
            self._sqs = self.session.client("sqs")
        return self._sqs

    def _queue(self, name: str) -> tuple[str, str, int]:
        if name not in self._queues:
            sqs = self._client()
            url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
            attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn", "VisibilityTimeout"])
            self._queues[name] = (url, attributes["Attributes"]["QueueArn"],
                                  int(attributes["Attributes"].get("VisibilityTimeout", 30)))
        return self._queues[name]

    def visibility_timeout(self, name: str) -> int:
        """The queue's visibility timeout on the local clock (whole seconds, at least 1)."""
        return max(1, math.ceil(self._queue(name)[2] * self.time_scale))

    def poll(self, mapping: Mapping) -> int:
        """Receive one batch and hand it to the handler; returns how many messages it got."""
        sqs = self._client()
        url, arn, _ = self._queue(mapping.queue)
        received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=min(mapping.batch_size, 10),
                                       AttributeNames=["All"], MessageAttributeNames=["All"],
                                       VisibilityTimeout=self.visibility_timeout(mapping.queue),
                                       WaitTimeSeconds=0).get("Messages", [])
        if not received:
            return 0
        event = {"Records": [self._record(message, arn) for message in received]}
        ids = [m["MessageId"] for m in received]
        delivery = Delivery(mapping.function, mapping.queue, ids)
        try:
            result = self.invoke(mapping.function, event)
            delivery.failed = self._failures(result, ids)
        except Exception as exc:  # noqa: BLE001 - Lambda: the whole batch failed, every message comes back
            delivery.failed, delivery.error = list(ids), f"{type(exc).__name__}: {exc}"
        done = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                for i, m in enumerate(received) if m["MessageId"] not in delivery.failed]
        if done:
            sqs.delete_message_batch(QueueUrl=url, Entries=done)
        with self._lock:
            self.deliveries.append(delivery)
        return len(received)

    @staticmethod
    def _failures(result: Any, ids: list[str]) -> list[str]:
        if not isinstance(result, dict) or "batchItemFailures" not in result:
            return []
        failures = result.get("batchItemFailures") or []
        wanted = [item.get("itemIdentifier") if isinstance(item, dict) else None for item in failures]
        if any(identifier not in ids for identifier in wanted):
            return list(ids)  # Lambda: an unknown or empty identifier fails the whole batch
        return [identifier for identifier in wanted if identifier]

    def _record(self, message: dict[str, Any], queue_arn: str) -> dict[str, Any]:
        attributes = message.get("Attributes", {})
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message.get("Body", ""),
            "attributes": {key: attributes[key] for key in (
                "ApproximateReceiveCount", "SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp",
                "MessageGroupId", "MessageDeduplicationId", "SequenceNumber") if key in attributes},
            "messageAttributes": {
                name: {"stringValue": value.get("StringValue"), "binaryValue": value.get("BinaryValue"),
                       "stringListValues": [], "binaryListValues": [], "dataType": value.get("DataType", "String")}
                for name, value in (message.get("MessageAttributes") or {}).items()},
            "md5OfBody": message.get("MD5OfBody", ""),
            "eventSource": "aws:sqs",
            "eventSourceARN": queue_arn,
            "awsRegion": self.region,
        }

    # ---- deterministic for tests: drain --------------------------------------------------------------

    def in_flight(self, mapping: Mapping) -> tuple[int, int]:
        """(visible, in flight) messages of a mapping's queue."""
        url = self._queue(mapping.queue)[0]
        attributes = self._client().get_queue_attributes(
            QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])
        values = attributes["Attributes"]
        return int(values.get("ApproximateNumberOfMessages", 0)), int(values.get("ApproximateNumberOfMessagesNotVisible", 0))

    def drain(self, timeout: float = 30.0, settle: bool = False) -> int:
        """Poll every mapped queue until none has a visible message (only in-flight ones, or none),
        or, with `settle`, until none has any message at all (failed ones retried after their
        visibility timeout, moved to the DLQ after maxReceiveCount). Returns the messages handed
        to handlers; raises TimeoutError after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        handed = 0
        quiet = 0  # consecutive polls that found the queues drained
        while True:
            with self._lock:
                got = sum(self.poll(mapping) for mapping in self.mappings)
            handed += got
            if got:
                quiet = 0
            else:
                counts = [self.in_flight(mapping) for mapping in self.mappings]
                drained = not any(visible for visible, _ in counts) and (not settle or not any(flight for _, flight in counts))
                # Confirmed by a second poll: the two counts are read at different instants, so a
                # message turning visible between them is counted in neither.
                quiet = quiet + 1 if drained else 0
                if quiet >= 2:
                    return handed
                time.sleep(POLL_INTERVAL)
            if time.monotonic() > deadline:
                raise TimeoutError(f"queues not drained after {timeout} s: "
                                   + ", ".join(f"{m.queue} {self.in_flight(m)}" for m in self.mappings))

    # ---- background ------------------------------------------------------------------------------------

    def start(self) -> Callable[[], None]:
        """Poll on a daemon thread until the returned stop function is called."""
        self._stop.clear()
        thread = threading.Thread(target=self._loop, name="local-sqs-poller", daemon=True)
        thread.start()

        def stop() -> None:
            self._stop.set()
            thread.join(timeout=10)

        return stop

    def _loop(self) -> None:
        while not self._stop.is_set():
            got = 0
            for mapping in self.mappings:
                try:
                    with self._lock:
                        got += self.poll(mapping)
                except Exception:  # noqa: BLE001 - a queue not there (yet) or the endpoint stopping: poll again
                    pass
            if not got:
                self._stop.wait(POLL_INTERVAL)

"""Fault injection for tests and benchmarks (dev only).

WireFaults answers a share of real HTTP sends (S3, DynamoDB, SQS, ...) with 5xx/throttling
responses at the `before-send` level, so boto3's own retry mode and then the ASL Retry handle them
exactly as they would in AWS. botocore runs every `before-send` handler and takes the first answer,
so by default moto still does the work and only its answer is replaced (a lost answer: the write
happened, the caller sees an error); with `reaches_service=False` the request is refused before
moto sees it (an outage: nothing happened).
"""

from __future__ import annotations

import json
import random
import threading
from collections import Counter
from typing import Any, Callable

from botocore.awsrequest import AWSResponse


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Any:
        yield self._body


def _error_response(service: str, url: str) -> AWSResponse:
    if service == "dynamodb":
        body = json.dumps({"__type": "com.amazonaws.dynamodb.v20120810#ThrottlingException",
                           "message": "injected fault"}).encode()
        return AWSResponse(url, 400, {"x-amzn-RequestId": "fault"}, _Raw(body))
    if service == "sqs":  # SQS speaks JSON (AWS JSON 1.0) since botocore 1.31
        body = json.dumps({"__type": "com.amazonaws.sqs#ServiceUnavailable", "message": "injected fault"}).encode()
        return AWSResponse(url, 503, {"x-amzn-RequestId": "fault"}, _Raw(body))
    body = b"<Error><Code>SlowDown</Code><Message>injected fault</Message></Error>"
    return AWSResponse(url, 503, {"x-amz-request-id": "fault"}, _Raw(body))


# Where a refused request is pointed: no emulator answers it, and it is never sent (the fault's
# response is the one botocore takes).
_REFUSED_URL = "http://127.0.0.1:9/refused-by-wire-faults"


class WireFaults:
    def __init__(self, rate: float, services: tuple[str, ...] = ("s3", "dynamodb"), seed: int = 0,
                 reaches_service: bool = True) -> None:
        self.rate = rate
        self.services = services
        self.reaches_service = reaches_service
        self.enabled = True
        # When set, only calls for which it answers True get faults (LocalAWS: calls our stages make;
        # the engine's own S3 reads for the Map's ItemReader are retried inside Step Functions in AWS).
        self.only_when: Callable[[], bool] | None = None
        self.injected: Counter[str] = Counter()
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    def _handler(self, service: str) -> Callable[..., Any]:
        def handle(request: Any, **_: Any) -> AWSResponse | None:
            if self.only_when is not None and not self.only_when():
                return None
            with self._lock:
                hit = self.enabled and self._rng.random() < self.rate
                if hit:
                    self.injected[service] += 1
            if not hit:
                return None
            response = _error_response(service, request.url)
            if not self.reaches_service:
                request.url = _REFUSED_URL  # moto's handler (after this one) finds no service for it
            return response

        return handle

    def install(self, session: Any) -> Callable[[], None]:
        handlers = {service: self._handler(service) for service in self.services}
        for service, handler in handlers.items():
            session.events.register_first(f"before-send.{service}", handler, unique_id=f"wire-faults-{service}")

        def uninstall() -> None:
            for service in handlers:
                session.events.unregister(f"before-send.{service}", unique_id=f"wire-faults-{service}")

        return uninstall


class RandomFaults:
    """For the before-call emulators (Cost Explorer, SES): a share of calls answer an AWS error."""

    def __init__(self, rate: float, errors: list[tuple[int, str, str]], seed: int = 1) -> None:
        self.rate = rate
        self.errors = errors
        self.enabled = True
        self.injected = 0
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    def pick(self) -> tuple[int, str, str] | None:
        with self._lock:
            if self.enabled and self._rng.random() < self.rate:
                self.injected += 1
                return self._rng.choice(self.errors)
        return None

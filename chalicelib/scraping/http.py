"""The one HTTP client of the scrapers (urllib3) and the SEC rate limiter shared by the whole deployment.

SEC fair access: every request declares a User-Agent with a contact address, and the deployment as a
whole sends at most `sec_requests_per_second`, however many chunk Lambdas run at once. The limit lives
in DynamoDB as the time of the next free request slot (`RATELIMIT#sec`): a caller reserves a slot with
one conditional write (ADD the slot interval) and sleeps until it. Concurrent callers get distinct slots
without read-modify-write races, so the rate holds across Lambdas; the cost is one small write per request.

Retries: urllib3 retries only a failed connection (nothing reached the server); a 429 or 503 answer is
raised as ThrottlingError / ServiceUnavailableError and the state machine's Retry backs off (with jitter)
and re-runs the chunk from its checkpoint. No retry loop here.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Protocol
from urllib.parse import urlsplit

from ..core import constants as c
from ..core.caches import register
from ..core.errors import (AuthorizationError, ConfigurationError, DataValidationError, NetworkError,
                           ServiceUnavailableError, ThrottlingError, classify_aws_error)

MAX_BODY_BYTES = 64 * 1024 * 1024  # companyfacts of a large bank is tens of MB; anything bigger is not an answer


class Limiter(Protocol):
    def acquire(self) -> None: ...


class DynamoDbRateLimiter:
    """At most `rate` requests in any one-second window across every process sharing the table item.

    The item holds `next_slot` (epoch ms). Idle bucket (next_slot in the past): claim `now` by setting
    next_slot = now + interval, conditional on it still being in the past. Busy bucket: ADD interval and
    take the previous value as this caller's slot, conditional on the queue being shorter than
    `max_wait`; a longer queue raises ThrottlingError (the ASL retries the chunk later).

    A caller that finds itself more than LATE_MS past its slot (a slow write, a sleep that woke late)
    gives the slot up and reserves another, so late requests never bunch up with punctual ones.
    Slots are spaced (1 s + SPACING_SLACK_MS) / rate apart: a request may leave up to that slack after its
    slot (LATE_MS plus the wake-up and send) and any one second still holds at most `rate` requests.
    Measured on the loopback server: 9.1 requests/s sustained at rate 10, never more than 10 in a second.
    """

    LATE_MS = 25
    SPACING_SLACK_MS = 100
    RESERVATIONS = 5  # a slot given up because the reservation answered late is reserved again, at most this often

    def __init__(self, table: Any, source: str, rate_per_second: float, max_wait_seconds: float,
                 clock: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep) -> None:
        self.table = table
        self.key = {"pk": f"{c.PK_RATE_LIMIT_PREFIX}{source}", "sk": "BUCKET"}
        self.interval_ms = int((1000 + self.SPACING_SLACK_MS) / rate_per_second + 0.999)
        self.max_wait_ms = int(max_wait_seconds * 1000)
        self.clock = clock
        self.sleep = sleep

    def acquire(self) -> None:
        for _ in range(self.RESERVATIONS):
            slot = self._reserve()
            early_ms = slot - int(self.clock() * 1000)
            if early_ms > 0:
                self.sleep(early_ms / 1000)
            # checked after the sleep too: a process woken late (CPU starved) must not send in a bunch
            if int(self.clock() * 1000) - slot <= self.LATE_MS:
                return
        raise ThrottlingError(f"SEC request budget: no request slot could be used within {self.LATE_MS} ms "
                              f"of its time ({self.RESERVATIONS} reservations answered late); the chunk is retried later")

    def _reserve(self) -> int:
        """The epoch ms at which this caller may send."""
        from botocore.exceptions import ClientError

        now = int(self.clock() * 1000)
        try:
            self.table.update_item(
                Key=self.key,
                UpdateExpression="SET next_slot = :next",
                ConditionExpression="attribute_not_exists(next_slot) OR next_slot <= :now",
                ExpressionAttributeValues={":next": now + self.interval_ms, ":now": now},
            )
            return now  # idle: this request goes now
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise classify_aws_error(exc, "rate limiter: claim an idle slot") from exc
        try:
            reply = self.table.update_item(
                Key=self.key,
                UpdateExpression="ADD next_slot :interval",
                ConditionExpression="next_slot > :now AND next_slot <= :latest",
                ExpressionAttributeValues={":interval": self.interval_ms, ":now": now, ":latest": now + self.max_wait_ms},
                ReturnValues="UPDATED_NEW",
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                raise ThrottlingError(f"SEC request budget: the queue is longer than {self.max_wait_ms} ms "
                                      "(or the bucket went idle meanwhile); the chunk is retried later") from exc
            raise classify_aws_error(exc, "rate limiter: reserve a slot") from exc
        return int(reply["Attributes"]["next_slot"]) - self.interval_ms


@dataclass(frozen=True)
class Response:
    url: str
    status: int
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise DataValidationError(f"{self.url}: answer is not JSON ({exc})") from exc


class HttpClient:
    """GET with a declared User-Agent, timeouts, an optional limiter per call, and errors in the taxonomy."""

    def __init__(self, user_agent: str, connect_timeout: float, read_timeout: float,
                 limiters: dict[str, Limiter] | None = None) -> None:
        import urllib3

        self.user_agent = user_agent
        self.limiters = limiters or {}
        self._pool = urllib3.PoolManager(
            num_pools=8, maxsize=16, block=False,
            timeout=urllib3.Timeout(connect=connect_timeout, read=read_timeout),
            # one retry of a failed connection (no request reached the server); status codes are not retried here
            retries=urllib3.Retry(total=1, connect=1, read=0, status=0, other=0, redirect=3, raise_on_status=False),
        )
        self.requests = 0
        self._count_lock = threading.Lock()

    def get(self, url: str, *, limiter: str | None = None, headers: dict[str, str] | None = None) -> Response:
        reply = self.get_or_none(url, limiter=limiter, headers=headers)
        if reply is None:
            raise DataValidationError(f"GET {_where(url)}: 404 not found")
        return reply

    def get_or_none(self, url: str, *, limiter: str | None = None, headers: dict[str, str] | None = None) -> Response | None:
        """None for a 404 (a day without an index file, a filer without XBRL); other errors as in `get`."""
        import urllib3

        if limiter is not None:
            if limiter not in self.limiters:
                raise ConfigurationError(f"no rate limiter named {limiter!r}")
            self.limiters[limiter].acquire()
        with self._count_lock:
            self.requests += 1
        try:
            reply = self._pool.request("GET", url, headers={"User-Agent": self.user_agent,
                                                           "Accept-Encoding": "gzip, deflate", **(headers or {})},
                                       preload_content=False)
            body = reply.read(MAX_BODY_BYTES + 1, decode_content=True)
            reply.release_conn()
        except urllib3.exceptions.HTTPError as exc:
            raise NetworkError(f"GET {_where(url)}: {type(exc).__name__}: {exc}") from exc
        if len(body) > MAX_BODY_BYTES:
            raise DataValidationError(f"GET {_where(url)}: answer larger than {MAX_BODY_BYTES} bytes")
        status = reply.status
        if status == 429:
            raise ThrottlingError(f"GET {_where(url)}: 429 Too Many Requests")
        if status in (500, 502, 503, 504):
            raise ServiceUnavailableError(f"GET {_where(url)}: HTTP {status}")
        if status in (401, 403):
            raise AuthorizationError(f"GET {_where(url)}: HTTP {status} (for SEC: is the User-Agent declared with a "
                                     "contact address, and the rate within fair access?)")
        if status == 404:
            return None
        if status >= 400:
            raise DataValidationError(f"GET {_where(url)}: HTTP {status}")
        return Response(url=url, status=status, body=body)


def _where(url: str) -> str:
    """Host and path only: query strings may hold an API key."""
    parts = urlsplit(url)
    return f"{parts.netloc}{parts.path}"


@register
def _forget() -> None:
    http_client.cache_clear()


@lru_cache(maxsize=1)
def http_client() -> HttpClient:
    """The process's client: reused across warm invocations (keeps connections open)."""
    from ..core import aws
    from ..core.settings import get_settings
    from .settings import get_scraping_settings

    settings = get_scraping_settings()
    sec = DynamoDbRateLimiter(aws.dynamodb_table(get_settings().table_name), "sec",
                              settings.sec_requests_per_second, settings.rate_limit_max_wait_seconds)
    return HttpClient(settings.contact_user_agent(), settings.http_connect_timeout, settings.http_read_timeout,
                      limiters={"sec": sec})

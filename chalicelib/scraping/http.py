"""The one HTTP client of the scrapers (urllib3) and the SEC rate limiter shared by the whole deployment.

SEC fair access: every request declares a User-Agent with a contact address, and the deployment as a
whole sends at most `sec_requests_per_second`, however many chunk Lambdas run at once. The limit lives
in DynamoDB as the time of the next free request slot (`RATELIMIT#sec`): a caller reserves a slot with
one conditional write (ADD the slot interval) and sleeps until it. Concurrent callers get distinct slots
without read-modify-write races, so the rate holds across Lambdas; the cost is one small write per request.

Retries: urllib3 retries only a failed connection (nothing reached the server); a 429 or 503 answer is
raised as ThrottlingError / ServiceUnavailableError and the state machine's Retry backs off (with jitter)
and re-runs the chunk from its checkpoint. No retry loop here.

Redirects are followed here, not by urllib3, one hop at a time, because each hop is a request: it takes a
token from the limiter of the URL it goes to (an SEC hop from the SEC budget), and the caller's headers
(an `X-API-KEY`; anything a caller adds is treated as a credential) go only to the origin (scheme, host,
port) of the URL they were given for. At most MAX_REDIRECTS hops, never the same URL twice, https only
(http only to a loopback address, for local runs), never from a public host to this machine or a private
address.
"""

from __future__ import annotations

import ipaddress
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urldefrag, urljoin, urlsplit

from chalicelib.core import constants as c
from chalicelib.core.errors import (
    AuthorizationError,
    ConfigurationError,
    DataValidationError,
    NetworkError,
    ServiceUnavailableError,
    ThrottlingError,
    classify_aws_error,
)

MAX_BODY_BYTES = 64 * 1024 * 1024  # companyfacts of a large bank is tens of MB; anything bigger is not an answer
MAX_REDIRECTS = 5  # hops followed for one GET; the SEC and Yahoo use one at most
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_DEFAULT_PORTS = {"https": 443, "http": 80}
_SCHEME_RULE = "only https URLs are fetched (http only to a loopback address, for local runs)"


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
            raise DataValidationError(f"{_where(self.url)}: answer is not JSON ({exc})") from exc


@dataclass(frozen=True)
class UrlScope:
    """The URLs one limiter governs: under one of `prefixes` (the configured base URLs; locally the fixture
    server stands in for each SEC host under a path), or on a host that is one of `host_suffixes` or a
    subdomain of one (any SEC host a redirect leads to)."""

    prefixes: tuple[str, ...] = ()
    host_suffixes: tuple[str, ...] = ()

    def covers(self, url: str) -> bool:
        parts = urlsplit(url)
        for prefix in self.prefixes:
            base = urlsplit(prefix)
            root = base.path.rstrip("/")
            if origin(prefix) == origin(url) and (parts.path == root or parts.path.startswith(root + "/")):
                return True
        host = (parts.hostname or "").lower()
        return any(host == suffix or host.endswith("." + suffix) for suffix in self.host_suffixes)


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port): where a credential given with `url` may be sent."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return scheme, (parts.hostname or "").lower(), port or _DEFAULT_PORTS.get(scheme)


def url_problem(url: str) -> str | None:
    """Why `url` may not be fetched, or None: https, or http to a loopback address; a host; no user:password."""
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 - parsing it raises ValueError on a bad port
    except ValueError:
        return f"{_where(url)}: not a valid port ({_SCHEME_RULE})"
    scheme, host = parts.scheme.lower(), parts.hostname or ""
    if not host:
        return f"{scheme or 'no scheme'}:// URL without a host ({_SCHEME_RULE})"
    if parts.username is not None or parts.password is not None:
        return f"a URL carrying a user name or password is refused ({_SCHEME_RULE})"
    if scheme == "https" or (scheme == "http" and _is_loopback(host)):
        return None
    return f"{scheme or 'no scheme'}://{host} refused: {_SCHEME_RULE}"


def hop_problem(first: str, target: str) -> str | None:
    """Why a redirect from a request for `first` may not go to `target`, or None. Besides the URL rule, a
    request to a public host is never led to this machine or a private network (the Lambda runtime API
    and the instance metadata listen there): only a local run, whose first URL is loopback, stays local."""
    problem = url_problem(target)
    if problem or _is_loopback(urlsplit(first).hostname or ""):
        return problem
    host = urlsplit(target).hostname or ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return f"{host} is this machine, not a public host" if host.lower() == "localhost" else None
    return None if address.is_global else f"{host} is not a public address"


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class HttpClient:
    """GET with a declared User-Agent, timeouts, redirects followed hop by hop through the limiters, and
    errors in the taxonomy.

    `limiters` by name; `scopes` maps a limiter name to the URLs it governs. A hop is charged to the limiter
    the caller named when it stays on the first URL's origin, else to the limiter whose scope covers it."""

    def __init__(self, user_agent: str, connect_timeout: float, read_timeout: float,
                 limiters: dict[str, Limiter] | None = None, scopes: dict[str, UrlScope] | None = None) -> None:
        import urllib3

        self.user_agent = user_agent
        self.limiters = limiters or {}
        self.scopes = scopes or {}
        unknown = sorted(set(self.scopes) - set(self.limiters))
        if unknown:
            raise ConfigurationError(f"URL scopes for limiters that do not exist: {', '.join(unknown)}")
        self._pool = urllib3.PoolManager(
            num_pools=8, maxsize=16, block=False,
            timeout=urllib3.Timeout(connect=connect_timeout, read=read_timeout),
            # one retry of a failed connection (no request reached the server); status codes are not retried
            # here; redirects are answered to us (followed in get_or_none, one limited hop at a time)
            retries=urllib3.Retry(total=1, connect=1, read=0, status=0, other=0, redirect=False, raise_on_status=False),
        )
        self.requests = 0
        self._count_lock = threading.Lock()

    def get(self, url: str, *, limiter: str | None = None, headers: dict[str, str] | None = None) -> Response:
        reply = self.get_or_none(url, limiter=limiter, headers=headers)
        if reply is None:
            raise DataValidationError(f"GET {_where(url)}: 404 not found")
        return reply

    def get_or_none(self, url: str, *, limiter: str | None = None, headers: dict[str, str] | None = None) -> Response | None:
        """None for a 404 (a day without an index file, a filer without XBRL); other errors as in `get`.

        `headers` are the caller's (an API key): sent to `url`'s origin only, never to another host a
        redirect leads to."""
        if limiter is not None and limiter not in self.limiters:
            raise ConfigurationError(f"no rate limiter named {limiter!r}")
        problem = url_problem(url)
        if problem:
            raise ConfigurationError(f"GET {_where(url)}: {problem}")
        home = origin(url)
        current, visited, hops = url, {url}, 0
        while True:
            at_home = origin(current) == home
            self._acquire(current, limiter if at_home else None)
            status, body, location = self._send(current, headers if at_home else None)
            if status not in REDIRECT_STATUSES:
                return self._answer(current, status, body)
            if hops == MAX_REDIRECTS:
                raise DataValidationError(f"GET {_where(url)}: more than {MAX_REDIRECTS} redirects")
            hops += 1
            current = self._next_hop(url, current, status, location, visited)

    def _acquire(self, url: str, named: str | None) -> None:
        name = named or next((n for n, scope in self.scopes.items() if scope.covers(url)), None)
        if name is not None:
            self.limiters[name].acquire()

    def _send(self, url: str, extra_headers: dict[str, str] | None) -> tuple[int, bytes, str | None]:
        """One request: (status, body, Location header)."""
        import urllib3

        with self._count_lock:
            self.requests += 1
        try:
            reply = self._pool.request("GET", url, headers={"User-Agent": self.user_agent,
                                                           "Accept-Encoding": "gzip, deflate", **(extra_headers or {})},
                                       preload_content=False, redirect=False)
            body = reply.read(MAX_BODY_BYTES + 1, decode_content=True)
            reply.release_conn()
        except urllib3.exceptions.HTTPError as exc:
            raise NetworkError(f"GET {_where(url)}: {type(exc).__name__}: {exc}") from exc
        if len(body) > MAX_BODY_BYTES:
            raise DataValidationError(f"GET {_where(url)}: answer larger than {MAX_BODY_BYTES} bytes")
        return reply.status, body, reply.headers.get("Location")

    @staticmethod
    def _next_hop(url: str, current: str, status: int, location: str | None, visited: set[str]) -> str:
        if not location or not location.strip():
            raise DataValidationError(f"GET {_where(url)}: HTTP {status} redirect from {_where(current)} with no Location")
        target = urldefrag(urljoin(current, location.strip())).url
        problem = hop_problem(url, target)
        if problem:
            raise DataValidationError(f"GET {_where(url)}: redirect to {_where(target)} not followed: {problem}")
        if target in visited:
            raise DataValidationError(f"GET {_where(url)}: redirect loop (back to {_where(target)})")
        visited.add(target)
        return target

    @staticmethod
    def _answer(url: str, status: int, body: bytes) -> Response | None:
        if status == 429:
            raise ThrottlingError(f"GET {_where(url)}: 429 Too Many Requests")
        if status in (500, 502, 503, 504):
            raise ServiceUnavailableError(f"GET {_where(url)}: HTTP {status}")
        if status in (401, 403):
            raise AuthorizationError(f"GET {_where(url)}: HTTP {status} (for SEC: is the User-Agent declared with a "
                                     "contact address, and the rate within fair access?)")
        if status == 404:
            return None
        if status >= 300:
            raise DataValidationError(f"GET {_where(url)}: HTTP {status}")
        return Response(url=url, status=status, body=body)


def _where(url: str) -> str:
    """Host and path only: query strings may hold an API key."""
    parts = urlsplit(url)
    return f"{parts.netloc}{parts.path}"

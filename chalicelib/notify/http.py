"""The webhook HTTP client: one POST of a JSON body under one total deadline, with the rules every
webhook channel needs.

The URL is a secret: its path, query and userinfo are the credential. A `WebhookTarget` carries it
with the secret's NAME, and every error, ledger reason and log line names a receiver by `label`
(the secret's name and the host), never by anything derived from the URL or from the receiver's
answer: not the path, not the query, not the status line's reason phrase or the response body (an
error page commonly echoes the request path: `Cannot POST /hooks/<token>`), not a library's
exception message (`InvalidURL` quotes the URL). The only words taken from an answer are the status
code and, when the whole body is one of Slack's documented error codes, that code.

- `parse_target`: a URL that is not printable ASCII without spaces, not https (plain http only to a
  loopback host), without a host or with a bad port is a ConfigurationError naming the secret:
  permanent, never posted, never retried.
- The timeout is a total deadline for the post: name resolution, connect, TLS, sending and reading
  the answer, redirect hops included. Every socket operation gets only the time left, so a receiver
  dripping a byte at a time cannot hold a post past it.
- Outcomes: 2xx is sent (decided by the status line; the body is not waited for). 429
  (ThrottlingError), 408 and 5xx (ServiceUnavailableError) and failures before the request was
  sent whole or a connection closed without an answer (NetworkError) are retried by the queue. Any
  other 4xx, an unfollowed 3xx and a refused redirect are permanent (ConfigurationError). A request
  sent whole with no answer within the deadline is `DeliveryUnconfirmed`: the receiver may have
  it, so it is recorded and NOT posted again (the consumer's rule).
- Redirects: a 307/308 to the same scheme, host and port is followed (at most 3 hops, the body
  re-posted); any other redirect is refused, so a payload never goes to another host.
- Userinfo (`https://user:password@host/...`) is sent as HTTP Basic authentication, never in the
  request line. No proxy is used (Lambda needs none).
"""

from __future__ import annotations

import base64
import http.client
import io
import ipaddress
import json
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from chalicelib.core.constants import WEBHOOK_TIMEOUT_SECONDS, WEBHOOK_USER_AGENT
from chalicelib.core.errors import ConfigurationError, CostReportError, NetworkError, ServiceUnavailableError, ThrottlingError

MAX_REDIRECTS = 3
MAX_ERROR_BODY_BYTES = 1024  # read from an error answer only to recognise a known error code
_LOOPBACK = {"127.0.0.1", "::1", "localhost"}
# Slack incoming webhooks answer errors with one of these codes as the whole body; a fixed
# vocabulary, so repeating one can carry nothing of the URL.
KNOWN_ERROR_CODES = frozenset({
    "invalid_payload", "invalid_blocks", "invalid_blocks_format", "invalid_attachments", "no_text",
    "too_many_attachments", "user_not_found", "channel_not_found", "channel_is_archived", "action_prohibited",
    "posting_to_general_channel_denied", "no_service", "no_service_id", "no_team", "team_disabled",
    "invalid_token", "invalid_auth", "rate_limited", "msg_too_long", "msg_blocks_too_long",
})


class DeliveryUnconfirmed(CostReportError):
    """The request was sent whole and no answer came within the deadline: the receiver may have
    accepted it (a slow 200). Not retried, so a receiver never gets repeats it cannot tell apart."""

    category = "network"
    severity = "medium"
    recommended_action = ("The receiver got the request but did not answer within WEBHOOK_TIMEOUT_SECONDS; check "
                          "whether it arrived before resending it by hand.")


@dataclass(frozen=True)
class WebhookTarget:
    """A webhook URL and the name of the secret that holds it. Only `label` may be shown."""

    secret_name: str
    url: str = field(repr=False)

    @property
    def host(self) -> str:
        return (urlsplit(self.url).hostname or "?").lower()

    @property
    def label(self) -> str:
        return f"secret {self.secret_name} (host {self.host})"


@dataclass(frozen=True)
class PostResult:
    status: int


def _problem(url: str) -> str | None:
    """What is wrong with a webhook URL, in words that quote nothing of it; None when it is usable."""
    if not url:
        return "the URL is empty"
    if not (url.isascii() and url.isprintable()) or " " in url:
        return "the URL holds a space, a control or a non-ASCII character (percent-encode them)"
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 - parsing it raises ValueError on a bad port
    except ValueError:
        return "the URL cannot be parsed (a bad port or IPv6 address)"
    if parts.scheme not in ("https", "http"):
        return "the URL must be https://"
    if not host:
        return "the URL has no host"
    if parts.scheme == "http" and host not in _LOOPBACK:
        return "the URL must be https:// (plain http only to a loopback host)"
    return None


def parse_target(secret_name: str, url: str) -> WebhookTarget:
    """The target, or a ConfigurationError naming the secret (never its value) and what is wrong."""
    problem = _problem(url)
    if problem:
        raise ConfigurationError(f"webhook secret {secret_name}: {problem}")
    return WebhookTarget(secret_name, url)


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port


# ---- one connection under the deadline --------------------------------------------------------------

class _DeadlineSocket:
    """A connected socket whose every send and receive waits at most until the deadline."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self._sock = sock
        self._deadline = deadline

    def _arm(self) -> None:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("deadline passed")
        self._sock.settimeout(left)

    def sendall(self, data: bytes) -> None:
        self._arm()
        self._sock.sendall(data)

    def recv_into(self, buffer: Any, nbytes: int = 0) -> int:
        self._arm()
        return self._sock.recv_into(buffer, nbytes)

    def makefile(self, mode: str = "rb", *args: Any, **kwargs: Any) -> io.BufferedReader:
        return io.BufferedReader(_DeadlineReader(self))

    def close(self) -> None:
        self._sock.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


class _DeadlineReader(io.RawIOBase):
    def __init__(self, sock: _DeadlineSocket) -> None:
        self._sock = sock

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        return self._sock.recv_into(buffer)


def _left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("deadline passed")
    return left


def _resolve(host: str, port: int, deadline: float) -> list[tuple[Any, ...]]:
    """getaddrinfo has no timeout of its own: it runs on a helper thread and is waited for only
    until the deadline (a hung resolver then ends on its own)."""
    try:
        ipaddress.ip_address(host)
        return socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)  # a literal address: no lookup
    except ValueError:
        pass
    answer: dict[str, Any] = {}
    done = threading.Event()

    def lookup() -> None:
        try:
            answer["addresses"] = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
        except OSError as exc:
            answer["error"] = exc
        finally:
            done.set()

    threading.Thread(target=lookup, name="webhook-resolve", daemon=True).start()
    if not done.wait(_left(deadline)):
        raise TimeoutError("name resolution")
    if "error" in answer:
        raise answer["error"]
    return list(answer["addresses"])


def _connect(host: str, port: int, deadline: float) -> socket.socket:
    error: OSError | None = None
    for family, kind, proto, _, address in _resolve(host, port, deadline):
        sock = socket.socket(family, kind, proto)
        try:
            sock.settimeout(_left(deadline))
            sock.connect(address)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.settimeout(_left(deadline))  # the TLS handshake's budget (CPython bounds it as a whole)
            return sock
        except OSError as exc:
            sock.close()
            error = exc
    raise error or OSError("no address")


@lru_cache(maxsize=1)
def _tls() -> ssl.SSLContext:
    return ssl.create_default_context()


class _Connection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, deadline: float) -> None:
        super().__init__(host, port)
        self._deadline = deadline

    def _open(self) -> socket.socket:
        return _connect(self.host, self.port, self._deadline)

    def connect(self) -> None:
        self.sock = _DeadlineSocket(self._open(), self._deadline)  # type: ignore[assignment]


class _TlsConnection(_Connection):
    default_port = http.client.HTTPS_PORT

    def _open(self) -> socket.socket:
        raw = super()._open()
        try:
            return _tls().wrap_socket(raw, server_hostname=self.host)
        except BaseException:
            raw.close()
            raise


@dataclass(frozen=True)
class _Answer:
    status: int
    location: str | None
    body: str


def _post_once(url: str, data: bytes, headers: dict[str, str], deadline: float, target: WebhookTarget,
               timeout: float) -> _Answer:
    parts = urlsplit(url)
    host = parts.hostname or ""
    tls = parts.scheme == "https"
    port = parts.port or (443 if tls else 80)
    request_headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": WEBHOOK_USER_AGENT,
                       "Connection": "close", **headers}
    if parts.username is not None:
        credentials = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
        request_headers["Authorization"] = "Basic " + base64.b64encode(credentials).decode("ascii")
    connection = (_TlsConnection if tls else _Connection)(host, port, deadline)
    sent = False
    response: http.client.HTTPResponse | None = None
    try:
        try:
            connection.request("POST", (parts.path or "/") + (f"?{parts.query}" if parts.query else ""),
                               body=data, headers=request_headers)
            sent = True
            response = http.client.HTTPResponse(connection.sock, method="POST")  # type: ignore[arg-type]
            response.begin()
        except (OSError, http.client.HTTPException, ValueError) as exc:
            status = response.status if response is not None else None
            if isinstance(status, int) and 200 <= status < 600:
                return _Answer(status, None, "")  # the status line came; only headers were cut off
            timed_out = isinstance(exc, TimeoutError)
            if not sent:
                what = "not sent within the deadline" if timed_out else f"not sent ({type(exc).__name__})"
                raise NetworkError(f"webhook {target.label}: {what}; the queue retries it") from None
            if timed_out:
                raise DeliveryUnconfirmed(f"webhook {target.label}: sent, no answer within {timeout:g} s: the receiver "
                                          "may have it, so it is not posted again") from None
            raise NetworkError(f"webhook {target.label}: the connection closed without an answer "
                               f"({type(exc).__name__}); the queue retries it") from None
        status = response.status
        if 200 <= status < 300:
            return _Answer(status, None, "")
        location = response.getheader("Location")
        try:
            body = response.read(MAX_ERROR_BODY_BYTES).decode("utf-8", "replace")
        except Exception:  # noqa: BLE001 - the body only names a known error code
            body = ""
        return _Answer(status, location, body)
    finally:
        if response is not None:
            response.close()
        connection.close()


def post_json(target: WebhookTarget, payload: Any, headers: dict[str, str] | None = None,
              timeout: float = WEBHOOK_TIMEOUT_SECONDS) -> PostResult:
    """POST `payload` as JSON within `timeout` seconds in all; the 2xx answer, or a taxonomy error
    (or DeliveryUnconfirmed) whose message names the target by its label only."""
    problem = _problem(target.url)
    if problem:
        raise ConfigurationError(f"webhook secret {target.secret_name}: {problem}")
    data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    deadline = time.monotonic() + timeout
    current = target.url
    for _hop in range(MAX_REDIRECTS + 1):
        answer = _post_once(current, data, headers or {}, deadline, target, timeout)
        status = answer.status
        if 200 <= status < 300:
            return PostResult(status)
        if status in (307, 308) and answer.location:
            following = urljoin(current, answer.location.strip())
            if _problem(following) or _origin(following) != _origin(current):
                raise ConfigurationError(f"webhook {target.label}: HTTP {status} redirect to another host refused")
            current = following
            continue
        if status < 200:  # an interim answer (102, 103) and no final one: as good as none
            raise DeliveryUnconfirmed(f"webhook {target.label}: sent, no final answer (HTTP {status}): the receiver "
                                      "may have it, so it is not posted again")
        code = answer.body.strip()
        detail = f" {code}" if code in KNOWN_ERROR_CODES else ""
        if 300 <= status < 400:
            raise ConfigurationError(f"webhook {target.label}: HTTP {status} redirect not followed")
        if status == 429:
            raise ThrottlingError(f"webhook {target.label}: HTTP 429{detail}")
        if status == 408 or status >= 500:
            raise ServiceUnavailableError(f"webhook {target.label}: HTTP {status}{detail}")
        raise ConfigurationError(f"webhook {target.label}: HTTP {status}{detail}")
    raise ConfigurationError(f"webhook {target.label}: more than {MAX_REDIRECTS} redirects")

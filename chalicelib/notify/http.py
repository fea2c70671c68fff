"""The webhook HTTP client: one POST of a JSON body, with the safety rules every channel needs.

- a timeout on connect and on every read, and a User-Agent naming this service;
- https only (plain http only to a loopback host: local runs and tests);
- redirects: a 307/308 to the same scheme, host and port is followed (at most 3 hops, the body
  re-posted); any other redirect is refused, so a webhook can never send our payload to another host;
- the outcome is classified into the error taxonomy: 2xx sent; 429, 408, 5xx, timeouts and
  connection errors are retryable (ThrottlingError / ServiceUnavailableError / NetworkError: the
  queue redelivers); any other 4xx and refused redirects are permanent (ConfigurationError);
- the URL is a secret: it never appears in an error, a reason or a log line (only the host does).
"""

from __future__ import annotations

import json
import re
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from chalicelib.core.constants import WEBHOOK_TIMEOUT_SECONDS, WEBHOOK_USER_AGENT
from chalicelib.core.errors import ConfigurationError, NetworkError, ServiceUnavailableError, ThrottlingError

MAX_REDIRECTS = 3
MAX_RESPONSE_BYTES = 64 * 1024
_LOOPBACK = {"127.0.0.1", "::1", "localhost"}
_URLISH = re.compile(r"\S+://\S+")


@dataclass(frozen=True)
class PostResult:
    status: int
    body: str


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """Hand every 3xx back to `post_json` (urllib would follow them, across hosts, turning POST into GET)."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port


def describe_target(url: str) -> str:
    """What logs and reasons may say about a webhook: its host, nothing of the secret path."""
    return urlsplit(url).hostname or "?"


def check_url(url: str) -> None:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.scheme == "https" and host:
        return
    if parts.scheme == "http" and host in _LOOPBACK:
        return
    raise ConfigurationError("webhook URL must be https:// (plain http only to a loopback host)")


def _reason_text(body: str) -> str:
    return _URLISH.sub("<url>", " ".join(body.split()))[:160]


def post_json(url: str, payload: Any, headers: dict[str, str] | None = None,
              timeout: float = WEBHOOK_TIMEOUT_SECONDS) -> PostResult:
    """POST `payload` as JSON; return the 2xx answer or raise a taxonomy error (message without the URL)."""
    check_url(url)
    data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    target = describe_target(url)
    current = url
    for _hop in range(MAX_REDIRECTS + 1):
        request = urllib.request.Request(current, data=data, method="POST", headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": WEBHOOK_USER_AGENT,
            **(headers or {}),
        })
        try:
            with _opener.open(request, timeout=timeout) as response:
                body = response.read(MAX_RESPONSE_BYTES).decode("utf-8", "replace")
                return PostResult(response.status, body)
        except urllib.error.HTTPError as exc:
            status = exc.code
            try:
                body = exc.read(MAX_RESPONSE_BYTES).decode("utf-8", "replace")
            except Exception:  # noqa: BLE001 - the body is only for the reason text
                body = ""
            location = exc.headers.get("Location") if exc.headers else None
            exc.close()
        except (TimeoutError, socket.timeout) as exc:
            raise NetworkError(f"webhook {target}: no answer within {timeout:g} s") from None
        except urllib.error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, (TimeoutError, socket.timeout)):
                raise NetworkError(f"webhook {target}: no answer within {timeout:g} s") from None
            raise NetworkError(f"webhook {target}: {type(reason).__name__}: {_reason_text(str(reason))}") from None
        except (ConnectionError, OSError) as exc:
            raise NetworkError(f"webhook {target}: {type(exc).__name__}") from None

        if status in (307, 308) and location:
            following = urljoin(current, location)
            if _origin(following) != _origin(current):
                raise ConfigurationError(f"webhook {target}: HTTP {status} redirect to another host refused")
            current = following
            continue
        detail = _reason_text(body)
        if 300 <= status < 400:
            raise ConfigurationError(f"webhook {target}: HTTP {status} redirect not followed")
        if status == 429:
            raise ThrottlingError(f"webhook {target}: HTTP 429 {detail}".rstrip())
        if status == 408 or status >= 500:
            raise ServiceUnavailableError(f"webhook {target}: HTTP {status} {detail}".rstrip())
        raise ConfigurationError(f"webhook {target}: HTTP {status} {detail}".rstrip())
    raise ConfigurationError(f"webhook {target}: more than {MAX_REDIRECTS} redirects")

"""A loopback webhook receiver (dev and tests only): answers as told by the path, records every post.

    with WebhookServer(out_dir=Path("out")) as server:
        server.url("slack", "acme")            # http://127.0.0.1:<port>/ok/slack/acme -> 200, recorded
        server.url("slack", "acme", mode="status/429")   # 429 (also 500, 404, ...)
        server.url("slack", "acme", mode="slow")          # holds the answer for `hold_seconds`, then 200
        server.url("slack", "acme", mode="redirect-same") # 307 to /ok/... on this server
        server.url("slack", "acme", mode="redirect-other")# 307 to the same port on "localhost" (another host)

Hostile receivers (what a careless or malicious endpoint does; the URL may hold more path segments
and a query, which it echoes):

    echo/<status>   answers <status> with the reason phrase "Cannot POST <path?query>", the path in a
                    header, and a body repeating the request line, Host and Authorization
    garbage         answers a broken status line made of the path
    drip            answers 200, one byte every `drip_seconds` (status line first)
    drip-body       answers 200 at once, then drips the body
    hangup          reads the request and closes the connection without an answer
    redirect-away   307 to another host, the Location carrying the request path and query
    redirect-found  302 to this server, the Location carrying the request path and query

Platform receivers (what the real service refuses, from its documented limits):

    slack           400 `invalid_blocks` for a Block Kit message over Slack's limits (50 blocks;
                    header text 150 characters; section text 3,000; 10 fields of 2,000; context
                    texts 3,000), `invalid_payload` for a body that is not a JSON object; else 200
    teams           413 for a body over 28 KB (Teams' message limit), 400 for a message without an
                    Adaptive Card attachment; else 200

Every accepted (2xx) post with an `out_dir` is written as
`<out_dir>/notifications/<client_id>/<X-Notification-Id>.<channel>.json` (the body exactly as posted;
channel and client are the path's last two segments). `fail_next(path_prefix, statuses)` makes the
next posts under a prefix answer given statuses first. Binds 127.0.0.1 only; an ephemeral port;
stopped on exit.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

_SAFE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")


SLACK_MAX_BLOCKS = 50
SLACK_MAX_HEADER = 150
SLACK_MAX_TEXT = 3000
SLACK_MAX_FIELDS = 10
SLACK_MAX_FIELD = 2000
TEAMS_MAX_BYTES = 28 * 1024


def _units(text: Any) -> int:
    """Characters as JavaScript counts them (UTF-16 code units)."""
    return len(str(text).encode("utf-16-le")) // 2


def slack_refusal(body: bytes) -> tuple[int, str] | None:
    """(status, error code) Slack would answer a Block Kit message with, or None if it fits."""
    try:
        message = json.loads(body)
        blocks = message.get("blocks", [])
    except (ValueError, AttributeError):
        return 400, "invalid_payload"
    if not isinstance(blocks, list) or len(blocks) > SLACK_MAX_BLOCKS:
        return 400, "invalid_blocks"
    for block in blocks:
        text = (block.get("text") or {}).get("text", "")
        if block.get("type") == "header" and _units(text) > SLACK_MAX_HEADER:
            return 400, "invalid_blocks"
        if _units(text) > SLACK_MAX_TEXT:
            return 400, "invalid_blocks"
        fields = block.get("fields") or []
        if len(fields) > SLACK_MAX_FIELDS or any(_units(f.get("text", "")) > SLACK_MAX_FIELD for f in fields):
            return 400, "invalid_blocks"
        elements = block.get("elements") or []
        if len(elements) > 10 or any(_units(e.get("text", "")) > SLACK_MAX_TEXT for e in elements):
            return 400, "invalid_blocks"
    return None


def teams_refusal(body: bytes) -> tuple[int, str] | None:
    if len(body) > TEAMS_MAX_BYTES:
        return 413, "Request Entity too large"
    try:
        attachment = json.loads(body)["attachments"][0]
        ok = attachment["contentType"] == "application/vnd.microsoft.card.adaptive" and attachment["content"]["type"] == "AdaptiveCard"
    except (ValueError, KeyError, IndexError, TypeError):
        ok = False
    return None if ok else (400, "Bad Request: not an Adaptive Card message")


@dataclass(frozen=True)
class ReceivedPost:
    path: str
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class WebhookServer:
    def __init__(self, out_dir: Path | None = None, hold_seconds: float = 2.0, drip_seconds: float = 0.2) -> None:
        self.out_dir = out_dir
        self.hold_seconds = hold_seconds
        self.drip_seconds = drip_seconds
        self.posts: list[ReceivedPost] = []
        self._queued: dict[str, list[int]] = {}
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # ---- lifecycle --------------------------------------------------------------------------

    def __enter__(self) -> "WebhookServer":
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = min(int(self.headers.get("Content-Length") or 0), 1024 * 1024)
                body = self.rfile.read(length)
                owner._handle(self, body)

            def log_message(self, *args: Any) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="webhook-server", daemon=True).start()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def port(self) -> int:
        assert self._server is not None, "start the server with `with WebhookServer() as server:`"
        return self._server.server_address[1]

    def url(self, channel: str, client_id: str, mode: str = "ok", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}/{mode}/{channel}/{client_id}"

    def fail_next(self, path_prefix: str, statuses: list[int]) -> None:
        with self._lock:
            self._queued.setdefault(path_prefix, []).extend(statuses)

    def accepted(self, channel: str | None = None) -> list[ReceivedPost]:
        with self._lock:
            return [p for p in self.posts if 200 <= p.status < 300 and (channel is None or f"/{channel}/" in p.path)]

    # ---- answering ----------------------------------------------------------------------------

    def _handle(self, request: BaseHTTPRequestHandler, body: bytes) -> None:
        path = request.path
        status = 200
        with self._lock:
            for prefix, statuses in self._queued.items():
                if path.startswith(prefix) and statuses:
                    status = statuses.pop(0)
                    break
        location = None
        reason: str | None = None  # the status line's reason phrase (None: the standard one)
        refusal: tuple[int, str] | None = None
        parts = path.split("?", 1)[0].strip("/").split("/")
        mode = parts[0]
        if status == 200 and mode in ("slack", "teams"):
            refusal = (slack_refusal if mode == "slack" else teams_refusal)(body)
            if refusal:
                status = refusal[0]
        if status == 200:
            if mode in ("status", "echo") and len(parts) > 1 and parts[1].isdigit():
                status = int(parts[1])
            elif mode == "slow":
                time.sleep(self.hold_seconds)
            elif mode == "redirect-same":
                status, location = 307, "/ok/" + "/".join(parts[1:])
            elif mode == "redirect-other":
                status, location = 307, f"http://localhost:{self.port}/ok/" + "/".join(parts[1:])
            elif mode == "redirect-away":
                status, location = 307, f"http://localhost:{self.port}/ok{path}"
            elif mode == "redirect-found":
                status, location = 302, f"/ok{path}"
        headers = {k: v for k, v in request.headers.items()}
        with self._lock:
            self.posts.append(ReceivedPost(path, status, headers, body))
        if 200 <= status < 300:
            self._write(parts, headers, body)
        try:
            if mode == "hangup":
                request.close_connection = True
                return
            if mode == "garbage":
                request.wfile.write(f"HTTP/1.1 {path}\r\n\r\n".encode())
                return
            if mode in ("drip", "drip-body"):
                self._drip(request, drip_headers=mode == "drip")
                return
            answer = refusal[1].encode() if refusal else b"ok" if status < 300 else f"error {status}".encode()
            if mode == "echo":
                reason = f"Cannot POST {path}"
                answer = (f"Cannot POST {path}\nHost: {headers.get('Host')}\n"
                          f"Authorization: {headers.get('Authorization')}\n").encode()
            request.send_response(status, reason)
            if location:
                request.send_header("Location", location)
            if mode == "echo":
                request.send_header("X-Request-Path", path)
            request.send_header("Content-Type", "text/plain")
            request.send_header("Content-Length", str(len(answer)))
            request.end_headers()
            request.wfile.write(answer)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)

    def _drip(self, request: BaseHTTPRequestHandler, drip_headers: bool) -> None:
        """200 a byte at a time (from the status line, or only the body); stops when the client leaves."""
        head = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 20\r\n\r\n"
        answer = b"ok, taking my time.."
        if not drip_headers:
            request.wfile.write(head)
            request.wfile.flush()
        for byte in (head + answer if drip_headers else answer):  # bounded: a few dozen bytes
            time.sleep(self.drip_seconds)
            request.wfile.write(bytes([byte]))
            request.wfile.flush()

    def _write(self, parts: list[str], headers: dict[str, str], body: bytes) -> None:
        if self.out_dir is None or len(parts) < 3:
            return
        channel, client_id = parts[-2], parts[-1]
        notification = headers.get("X-Notification-Id") or headers.get("x-notification-id") or "unknown"
        if not all(_SAFE.match(x) for x in (channel, client_id, notification)):
            return
        folder = self.out_dir / "notifications" / client_id
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{notification}.{channel}.json").write_bytes(body)

"""A loopback webhook receiver (dev and tests only): answers as told by the path, records every post.

    with WebhookServer(out_dir=Path("out")) as server:
        server.url("slack", "acme")            # http://127.0.0.1:<port>/ok/slack/acme -> 200, recorded
        server.url("slack", "acme", mode="status/429")   # 429 (also 500, 404, ...)
        server.url("slack", "acme", mode="slow")          # holds the answer for `hold_seconds`
        server.url("slack", "acme", mode="redirect-same") # 307 to /ok/... on this server
        server.url("slack", "acme", mode="redirect-other")# 307 to the same port on "localhost" (another host)

Every accepted (2xx) post with an `out_dir` is written as
`<out_dir>/notifications/<client_id>/<X-Notification-Id>.<channel>.json` (the body exactly as posted).
`fail_next(path_prefix, statuses)` makes the next posts under a prefix answer given statuses first.
Binds 127.0.0.1 only; an ephemeral port; stopped on exit.
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


@dataclass(frozen=True)
class ReceivedPost:
    path: str
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class WebhookServer:
    def __init__(self, out_dir: Path | None = None, hold_seconds: float = 2.0) -> None:
        self.out_dir = out_dir
        self.hold_seconds = hold_seconds
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
        parts = path.strip("/").split("/")
        if status == 200:
            if parts[0] == "status" and len(parts) > 1 and parts[1].isdigit():
                status = int(parts[1])
            elif parts[0] == "slow":
                time.sleep(self.hold_seconds)
            elif parts[0] == "redirect-same":
                status, location = 307, "/ok/" + "/".join(parts[1:])
            elif parts[0] == "redirect-other":
                status, location = 307, f"http://localhost:{self.port}/ok/" + "/".join(parts[1:])
        headers = {k: v for k, v in request.headers.items()}
        with self._lock:
            self.posts.append(ReceivedPost(path, status, headers, body))
        if 200 <= status < 300:
            self._write(parts, headers, body)
        try:
            request.send_response(status)
            if location:
                request.send_header("Location", location)
            answer = b"ok" if status < 300 else f"error {status}".encode()
            request.send_header("Content-Type", "text/plain")
            request.send_header("Content-Length", str(len(answer)))
            request.end_headers()
            request.wfile.write(answer)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)

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

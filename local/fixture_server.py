"""A loopback HTTP server (127.0.0.1 only) standing in for the SEC and Yahoo: the scrapers' real URLs,
the sample shapes (local/scrape_fixtures.py), a request log for rate checks, and injectable faults.

Base URLs: http://127.0.0.1:<port>/<host>/... with <host> one of data.sec.gov, efts.sec.gov,
www.sec.gov, query1.finance.yahoo.com (`settings_env()` gives the SCRAPE_* variables pointing at it).
Like the SEC, it refuses (403) an SEC request whose User-Agent declares no contact address.
Every request is logged with its headers, redirects included (`Redirect` rules answer 3xx chains, on this
server or toward another origin such as a second FixtureServer).
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from local.scrape_fixtures import FixtureData

SEC_HOSTS = ("data.sec.gov", "efts.sec.gov", "www.sec.gov")
PRICE_HOST = "query1.finance.yahoo.com"
_CONTACT = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")


@dataclass
class Fault:
    """Answer `status` to the next `times` requests whose path contains `path_contains`."""

    path_contains: str
    status: int
    times: int = 1


REDIRECT_HOP = "redirect_hop"  # the query parameter that numbers the hops of a redirect chain


@dataclass
class Redirect:
    """Answer `status` with a Location to requests whose path contains `path_contains`.

    A chain of `hops` redirects: the same path with `redirect_hop=<n>` added, on this server or, with
    `to_base_url`, on another origin (a second FixtureServer), which answers the last hop. `times` chains are
    started (the hops of a started chain are always answered). `location` instead answers that fixed Location
    (a loop, a downgrade to http) to the next `times` requests."""

    path_contains: str
    hops: int = 1
    status: int = 302
    to_base_url: str = ""
    times: int = 1
    location: str | None = None


@dataclass
class LoggedRequest:
    at: float  # time.monotonic() when the request arrived
    host: str
    path: str
    status: int = 0
    api_key: str | None = None  # the X-API-KEY header, when sent
    headers: dict[str, str] = field(default_factory=dict)  # every header as received
    query: str = ""


@dataclass
class FixtureServer:
    data: FixtureData = field(default_factory=FixtureData)
    delay_seconds: float = 0.0  # per-request service time (benchmarks)

    def __post_init__(self) -> None:
        self.log: list[LoggedRequest] = []
        self.faults: list[Fault] = []
        self.redirects: list[Redirect] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # ---- lifecycle -----------------------------------------------------------------------------------

    def __enter__(self) -> "FixtureServer":
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = None

    @property
    def base_url(self) -> str:
        assert self._server is not None, "server not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def settings_env(self) -> dict[str, str]:
        return {"SCRAPE_SEC_DATA_URL": f"{self.base_url}/data.sec.gov",
                "SCRAPE_SEC_SEARCH_URL": f"{self.base_url}/efts.sec.gov",
                "SCRAPE_SEC_ARCHIVES_URL": f"{self.base_url}/www.sec.gov",
                "SCRAPE_PRICES_URL": f"{self.base_url}/{PRICE_HOST}"}

    # ---- observations ----------------------------------------------------------------------------------

    def requests(self, hosts: tuple[str, ...] = SEC_HOSTS) -> list[LoggedRequest]:
        with self._lock:
            return [r for r in self.log if r.host in hosts]

    def max_in_any_window(self, window: float = 1.0, hosts: tuple[str, ...] = SEC_HOSTS) -> int:
        """The most requests that arrived within any `window` seconds (a sliding window, not calendar seconds)."""
        times = sorted(r.at for r in self.requests(hosts))
        best, start = 0, 0
        for end, at in enumerate(times):
            while at - times[start] >= window:
                start += 1
            best = max(best, end - start + 1)
        return best

    def densest_window(self, window: float = 1.0, hosts: tuple[str, ...] = SEC_HOSTS) -> list[float]:
        """Arrival times (seconds after the first request) of the busiest `window`: for failure messages."""
        times = sorted(r.at for r in self.requests(hosts))
        best: list[float] = []
        for i, first in enumerate(times):
            inside = [t for t in times[i:] if t - first < window]
            if len(inside) > len(best):
                best = inside
        return [round(t - times[0], 3) for t in best]

    def count(self, path_contains: str) -> int:
        with self._lock:
            return sum(path_contains in r.path for r in self.log)

    # ---- answering ---------------------------------------------------------------------------------------

    def answer(self, host: str, path: str, query: dict[str, list[str]], user_agent: str) -> tuple[int, str, bytes, str | None]:
        """(status, content type, body, Location or None)."""
        with self._lock:
            for fault in self.faults:
                if fault.times > 0 and fault.path_contains in path:
                    fault.times -= 1
                    return fault.status, "text/plain", f"injected {fault.status}".encode(), None
            location = self._redirect(host, path, query)
        if location is not None:
            status, target = location
            return status, "text/plain", f"moved to {target}".encode(), target
        if self.delay_seconds:
            time.sleep(self.delay_seconds)
        if host in SEC_HOSTS and not _CONTACT.search(user_agent):
            return 403, "text/html", b"Your Request Originates from an Undeclared Automated Tool", None
        body = self._route(host, path, query)
        if body is None:
            return 404, "text/plain", b"Not Found", None
        if isinstance(body, str):
            return 200, "text/html" if body.lstrip().startswith("<") else "text/plain", body.encode(), None
        return 200, "application/json", json.dumps(body).encode(), None

    def _redirect(self, host: str, path: str, query: dict[str, list[str]]) -> tuple[int, str] | None:
        """(status, Location) when a Redirect rule answers this request (called under the lock)."""
        try:
            hop = int(query.get(REDIRECT_HOP, ["0"])[0])
        except ValueError:
            hop = 0
        for rule in self.redirects:
            if rule.path_contains not in path:
                continue
            if rule.location is not None:
                if rule.times > 0:
                    rule.times -= 1
                    return rule.status, rule.location
                continue
            if hop == 0 and rule.times <= 0:
                continue
            if hop >= rule.hops:
                return None  # the chain's last hop: answered normally
            if hop == 0:
                rule.times -= 1
            following = {k: v[0] for k, v in query.items() if k != REDIRECT_HOP}
            following[REDIRECT_HOP] = str(hop + 1)
            return rule.status, f"{rule.to_base_url}/{host}{path}?{urlencode(following)}"
        return None

    def _route(self, host: str, path: str, query: dict[str, list[str]]) -> Any:
        data = self.data
        if host == "efts.sec.gov" and path == "/LATEST/search-index":
            forms = set(query.get("forms", [""])[0].split(","))
            return data.search(forms, date.fromisoformat(query["startdt"][0]), date.fromisoformat(query["enddt"][0]),
                               int(query.get("from", ["0"])[0]))
        if host == "www.sec.gov":
            match = re.fullmatch(r"/Archives/edgar/daily-index/\d{4}/QTR[1-4]/form\.(\d{8})\.idx", path)
            if match:
                stamp = match.group(1)
                return data.daily_index(date(int(stamp[:4]), int(stamp[4:6]), int(stamp[6:])))
            return data.document(path)
        if host == "data.sec.gov":
            match = re.fullmatch(r"/api/xbrl/companyfacts/CIK(\d{10})\.json", path)
            if match:
                return data.company_facts(int(match.group(1)))
            match = re.fullmatch(r"/api/xbrl/companyconcept/CIK(\d{10})/us-gaap/(\w+)\.json", path)
            if match:
                return data.company_concept(int(match.group(1)), match.group(2))
            match = re.fullmatch(r"/api/xbrl/frames/us-gaap/(\w+)/([\w\-]+)/(CY\d{4}Q[1-4]I?)\.json", path)
            if match:
                return data.frame(*match.groups())
        if host == PRICE_HOST:
            match = re.fullmatch(r"/v8/finance/chart/([A-Za-z0-9.\-]+)", path)
            if match:
                return data.chart(match.group(1), int(query["period1"][0]), int(query["period2"][0]))
        return None


def _handler_for(server: FixtureServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            arrived = time.monotonic()
            parts = urlsplit(self.path)
            host, _, rest = parts.path.lstrip("/").partition("/")
            entry = LoggedRequest(at=arrived, host=host, path="/" + rest, api_key=self.headers.get("X-API-KEY"),
                                  headers=dict(self.headers.items()), query=parts.query)
            with server._lock:
                server.log.append(entry)
            location = None
            try:
                status, kind, body, location = server.answer(
                    host, "/" + rest, parse_qs(parts.query), self.headers.get("User-Agent", ""))
            except Exception as exc:  # noqa: BLE001 - a bad request is a 400, never a dead server
                status, kind, body = 400, "text/plain", f"bad request: {exc}".encode()
            entry.status = status
            self.send_response(status)
            self.send_header("Content-Type", kind)
            if location is not None:
                self.send_header("Location", location)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
            return

    return Handler

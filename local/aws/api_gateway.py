"""The app's routes on `local serve`'s endpoint: one loopback port for both.

A request whose path is one of the Chalice app's routes (the unsubscribe route) goes to the app
through Chalice's own local API Gateway emulation (chalice.local.LocalGateway: the event API
Gateway would send, the handler in this process, its response); every other request goes to
moto's server, as before. So the links in the emails `local serve` sends (their base URL is this
endpoint) are answered where they point.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable
from typing import Any

from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

MAX_BODY_BYTES = 64 * 1024  # a form post; anything larger is refused before it is read


class RoutesFirst:
    """WSGI: the app's route paths to the Chalice app (once `gateway()` has one), the rest to moto."""

    def __init__(self, moto_app: Any, gateway: Callable[[], Any], paths: Iterable[str]):
        self.moto_app = moto_app
        self.gateway = gateway
        self.paths = set(paths)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") not in self.paths:
            return self.moto_app(environ, start_response)
        gateway = self.gateway()
        if gateway is None:
            return _answer(start_response, 503, {"Content-Type": "text/plain"}, b"not ready\n")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length > MAX_BODY_BYTES:
            return _answer(start_response, 413, {"Content-Type": "text/plain"}, b"request too large\n")
        body = environ["wsgi.input"].read(length) if length else b""
        headers = {key[5:].replace("_", "-").lower(): value for key, value in environ.items() if key.startswith("HTTP_")}
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        query = environ.get("QUERY_STRING", "")
        path = environ["PATH_INFO"] + (f"?{query}" if query else "")
        from chalice.local import LocalGatewayException

        try:
            response = gateway.handle_request(method=environ["REQUEST_METHOD"], path=path, headers=headers, body=body)
        except LocalGatewayException as exc:
            return _answer(start_response, exc.CODE, dict(exc.headers), exc.body or b"")
        payload = response.get("body") or b""
        if response.get("isBase64Encoded"):
            payload = base64.b64decode(payload)
        elif isinstance(payload, str):
            payload = payload.encode("utf-8")
        return _answer(start_response, int(response["statusCode"]), dict(response.get("headers") or {}), payload)


def _answer(start_response: Callable[..., Any], status: int, headers: dict[str, str], body: bytes) -> list[bytes]:
    from http import HTTPStatus

    reason = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else ""
    start_response(f"{status} {reason}", [*headers.items(), ("Content-Length", str(len(body)))])
    return [body]


class RoutedMotoServer(ThreadedMotoServer):
    """ThreadedMotoServer whose WSGI app is `RoutesFirst` around moto's own."""

    def __init__(self, gateway: Callable[[], Any], paths: Iterable[str], ip_address: str = "127.0.0.1",
                 port: int = 0, verbose: bool = False):
        super().__init__(ip_address=ip_address, port=port, verbose=verbose)
        self._routes = RoutesFirst(DomainDispatcherApplication(create_backend_app), gateway, paths)

    def _server_entry(self) -> None:
        self._server = make_server(self._ip_address, self._port, self._routes, True, request_handler=MotoRequestHandler)
        self._server_ready_event.set()
        self._server.serve_forever()


def chalice_gateway(app: Any, stage: str) -> Any:
    """Chalice's local API Gateway for `app` (its routes, its request and response conversion)."""
    from chalice.config import Config
    from chalice.local import LocalGateway

    return LocalGateway(app, Config(chalice_stage=stage, user_provided_params={"lambda_timeout": 10}))

"""The unsubscribe route: one path, two methods, in the app's API handler (`api_handler`).

GET never unsubscribes: link scanners and mail previews fetch links by themselves, so the page only
offers a button that POSTs. POST with `List-Unsubscribe=One-Click` (what mailbox providers send,
RFC 8058, as a urlencoded or multipart form) records the suppression. Handlers are imported when a
request first comes in.
"""

from __future__ import annotations

import functools
from typing import Any

from chalice import Blueprint

from chalicelib.core.constants import UNSUBSCRIBE_ROUTE


class _RouteBlueprint(Blueprint):
    """A blueprint whose routes may be registered in more than one app of a process (infra/ reads a
    scratch copy's app.py beside this one, and the local runtime serves either):

    - Chalice consumes a route's options (methods, content types) when it registers it, so a second
      registration would come back GET-only and clash: each registration gets its own copy;
    - `Blueprint.current_request` reads the app the blueprint was registered in last, not the one
      serving the request: each view is handed the request of the app that calls it instead."""

    def _register_handler(self, handler_type: str, name: str, user_handler: Any, wrapped_handler: Any,
                          kwargs: dict[str, Any], options: dict[Any, Any] | None = None) -> None:
        def register(app: Any, app_options: dict[Any, Any]) -> None:
            fresh = {**kwargs, "kwargs": dict(kwargs.get("kwargs", {}))}
            view = user_handler
            if handler_type == "route":
                @functools.wraps(user_handler)
                def view(**uri_params: Any) -> Any:
                    return user_handler(app.current_request, **uri_params)
            app._register_handler(handler_type, name, view, view if handler_type == "route" else wrapped_handler,
                                  fresh, app_options)

        self._deferred_registrations.append(register)


bp = _RouteBlueprint(__name__)
FORM_CONTENT_TYPES = ["application/x-www-form-urlencoded", "multipart/form-data"]


@bp.route(UNSUBSCRIBE_ROUTE, methods=["GET"])
def unsubscribe_page(request: Any) -> Any:
    from chalicelib.subscriptions.handlers import page

    return page(request.query_params or {})


@bp.route(UNSUBSCRIBE_ROUTE, methods=["POST"], content_types=FORM_CONTENT_TYPES)
def unsubscribe_post(request: Any) -> Any:
    from chalicelib.subscriptions.handlers import confirm

    return confirm(request.query_params or {}, request.headers.get("content-type", ""), request.raw_body or b"")

"""The unsubscribe route: one path, two methods, in the app's API handler (`api_handler`).

GET never unsubscribes: link scanners and mail previews fetch links by themselves, so the page only
offers a button that POSTs. POST with `List-Unsubscribe=One-Click` (what mailbox providers send,
RFC 8058, as a urlencoded or multipart form) records the suppression. Handlers are imported when a
request first comes in.
"""

from __future__ import annotations

from typing import Any

from chalice import Blueprint

from chalicelib.core.constants import UNSUBSCRIBE_ROUTE

bp = Blueprint(__name__)
FORM_CONTENT_TYPES = ["application/x-www-form-urlencoded", "multipart/form-data"]


@bp.route(UNSUBSCRIBE_ROUTE, methods=["GET"])
def unsubscribe_page() -> Any:
    from chalicelib.subscriptions.handlers import page

    return page(bp.current_request.query_params or {})


@bp.route(UNSUBSCRIBE_ROUTE, methods=["POST"], content_types=FORM_CONTENT_TYPES)
def unsubscribe_post() -> Any:
    from chalicelib.subscriptions.handlers import confirm

    request = bp.current_request
    return confirm(request.query_params or {}, request.headers.get("content-type", ""), request.raw_body or b"")

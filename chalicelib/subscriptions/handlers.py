"""What the unsubscribe route answers.

- GET `?token=`: a small HTML page naming the client and the (masked) address, with a button that
  POSTs the one-click form. Nothing is recorded: a GET may be a link scanner's.
- POST `?token=` with `List-Unsubscribe=One-Click`: the suppression is recorded (a repeat is fine)
  and 200 says so.
- A bad, forged or retired token, or a POST without the one-click pair: 400 with a plain message,
  nothing recorded. A failure of ours (the table, the key secret): 503, so a mailbox provider tries
  again later.

Every value a page prints is escaped (jinja2 autoescape); no answer quotes the token or a key.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, quote

from chalice import Response

from chalicelib.core.constants import UNSUBSCRIBE_TOKEN_PARAMETER
from chalicelib.core.errors import CostReportError
from chalicelib.core.observability import logger, mask_address

_PLAIN = {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}
_HTML = {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store",
         "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
         "X-Robots-Tag": "noindex", "Referrer-Policy": "no-referrer"}
MAX_FORM_BYTES = 4096

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Unsubscribe</title></head>
<body style="font-family: sans-serif; max-width: 32rem; margin: 3rem auto; padding: 0 1rem">
<h1 style="font-size: 1.3rem">Stop these emails?</h1>
<p><strong>{{ address }}</strong> will no longer receive the cost reports and alerts of <strong>{{ client_id }}</strong>.</p>
<form method="post" action="?{{ query }}">
<input type="hidden" name="List-Unsubscribe" value="One-Click">
<input type="hidden" name="source" value="page">
<button type="submit" style="font-size: 1rem; padding: .5rem 1rem">Unsubscribe</button>
</form>
</body></html>
"""


@lru_cache(maxsize=1)
def _page_template() -> Any:
    from jinja2 import Environment, StrictUndefined

    return Environment(autoescape=True, undefined=StrictUndefined).from_string(_PAGE)


def _plain(status: int, text: str) -> Response:
    return Response(body=text + "\n", status_code=status, headers=dict(_PLAIN))


def _token(query: dict[str, str]) -> str:
    return str(query.get(UNSUBSCRIBE_TOKEN_PARAMETER) or "")


def page(query: dict[str, str]) -> Response:
    from chalicelib.core.subscriptions import InvalidUnsubscribeToken, verify

    token = _token(query)
    try:
        subscriber = verify(token)
    except InvalidUnsubscribeToken as exc:
        return _plain(400, f"This unsubscribe link is not valid ({exc}). Nothing was changed.")
    except CostReportError as exc:
        return _unavailable(exc)
    body = _page_template().render(address=mask_address(subscriber.address), client_id=subscriber.client_id,
                                   query=f"{UNSUBSCRIBE_TOKEN_PARAMETER}={quote(token, safe='')}")
    return Response(body=body, status_code=200, headers=dict(_HTML))


def confirm(query: dict[str, str], content_type: str, body: bytes) -> Response:
    from pydantic import ValidationError

    from chalicelib.core.subscriptions import InvalidUnsubscribeToken, unsubscribe, verify
    from chalicelib.subscriptions.contracts import UnsubscribeForm

    try:
        subscriber = verify(_token(query))
    except InvalidUnsubscribeToken as exc:
        return _plain(400, f"This unsubscribe link is not valid ({exc}). Nothing was recorded.")
    except CostReportError as exc:
        return _unavailable(exc)
    try:
        form = UnsubscribeForm.model_validate(_form_fields(content_type, body))
    except (ValueError, ValidationError):
        return _plain(400, "The request must carry the form List-Unsubscribe=One-Click (RFC 8058). Nothing was recorded.")
    try:
        new = unsubscribe(subscriber.client_id, subscriber.address, form.method)
    except CostReportError as exc:
        return _unavailable(exc)
    logger().info("unsubscribed", extra={"client_id": subscriber.client_id, "recipient": mask_address(subscriber.address),
                                         "method": form.method, "repeat": not new})
    return _plain(200, f"Unsubscribed: {mask_address(subscriber.address)} will no longer receive these emails.")


def _unavailable(exc: CostReportError) -> Response:
    logger().warning("unsubscribe unavailable", extra={"error": type(exc).__name__, "reason": str(exc)[:300]})
    return _plain(503, "Unsubscribing is unavailable right now; please try again later.")


def _form_fields(content_type: str, body: bytes) -> dict[str, str]:
    """The form's fields (urlencoded or multipart/form-data); ValueError for anything else or a repeat."""
    if len(body) > MAX_FORM_BYTES:
        raise ValueError("form too large")
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind == "application/x-www-form-urlencoded":
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(body))
    elif kind == "multipart/form-data":
        pairs = _multipart_fields(content_type, body)
    else:
        raise ValueError("not a form")
    fields: dict[str, str] = {}
    for name, value in pairs:
        if name in fields:
            raise ValueError(f"field {name!r} repeated")
        fields[name] = value
    return fields


def _multipart_fields(content_type: str, body: bytes) -> list[tuple[str, str]]:
    from email.parser import BytesParser
    from email.policy import HTTP

    message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body)
    if not message.is_multipart():
        raise ValueError("not a multipart form")
    pairs = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            raise ValueError("a form part without a name")
        pairs.append((str(name), part.get_content().strip() if part.get_content_maintype() == "text" else ""))
    return pairs

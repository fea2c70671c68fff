"""One-click unsubscribe (RFC 8058): the token, the suppression record and the email headers.

Shared by reports (per-recipient report emails), notify (alert emails) and the unsubscribe route
(chalicelib/subscriptions): one rule, one place.

Token: `v1.<key id>.<payload>.<signature>`, payload the base64url of `<client id>\\n<address>`,
signature the base64url HMAC-SHA256 of `v1.<key id>.<payload>` under that key. The keys live in
Secrets Manager (UNSUBSCRIBE_KEY_SECRET: `{"current": "k1", "k1": "<random, 32+ chars>", ...}`, the
shape CloudFormation's GenerateSecretString makes), read on first use and cached with the other
secrets; new tokens are signed with `current`, and a token verifies under any key still listed,
so a key is rotated by adding a new one as `current` and removing the old one once its emails no
longer matter. A token never expires on its own: a link in an old email keeps working until its
key is removed. No error message quotes a key, and none quotes the token.

Suppression: `UNSUB#<client id> / <normalised address>`, with the address as given, when and how
(`one-click`, `page`). A client's suppressions are read with one Query, whatever its recipients.
Addresses are normalised once (`normalise_address`): the domain is case-insensitive, the local part
is kept as written (RFC 5321).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from chalicelib.core.constants import (
    HEADER_LIST_UNSUBSCRIBE,
    HEADER_LIST_UNSUBSCRIBE_POST,
    LIST_UNSUBSCRIBE_ONE_CLICK,
    PK_UNSUBSCRIBE_PREFIX,
    UNSUBSCRIBE_KEY_SECRET,
    UNSUBSCRIBE_ROUTE,
    UNSUBSCRIBE_TOKEN_PARAMETER,
)
from chalicelib.core.errors import ConfigurationError, DataValidationError

TOKEN_VERSION = "v1"
MIN_KEY_CHARS = 32  # a key is a random string (its UTF-8 bytes are the HMAC key)
MAX_TOKEN_CHARS = 700  # the longest client id and address fit; a longer "token" is refused unread
MAX_BASE_URL_CHARS = 200  # the header line stays far below RFC 5322's 998 characters
_KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_B64URL = re.compile(r"^[A-Za-z0-9_-]+$")
# A base URL goes into a header unencoded: https, then only URL characters (no space, no control, no "<>").
_BASE_URL = re.compile(r"^(https://[A-Za-z0-9.-]+(:[0-9]{1,5})?|http://(127\.0\.0\.1|localhost)(:[0-9]{1,5})?)"
                       r"(/[A-Za-z0-9._~/-]*)?$")
METHODS = ("one-click", "page")  # how a recipient unsubscribed (the route: a mailbox provider's POST or our page)


class InvalidUnsubscribeToken(DataValidationError):
    """A token that is malformed, forged or signed with a key this deployment no longer holds."""

    recommended_action = "Nothing to do: the link was altered or its key was retired; nothing was recorded."


@dataclass(frozen=True)
class Subscriber:
    """Who a valid token names: a recipient of one client."""

    client_id: str
    address: str  # normalised


def normalise_address(address: str) -> str:
    """The one comparison form of an address: trimmed, the domain lower-cased, the local part as written."""
    local, at, domain = address.strip().rpartition("@")
    if not at or not local or not domain:
        raise DataValidationError("not an email address")
    return f"{local}@{domain.lower()}"


# ---- the key ---------------------------------------------------------------------------------------------


def _keys() -> tuple[str, dict[str, bytes]]:
    """(current key id, every key by id) from the secret (cached by chalicelib/core/secrets.py)."""
    from chalicelib.core.secrets import read_secret

    raw = read_secret(UNSUBSCRIBE_KEY_SECRET, optional=True)
    if raw is None:
        raise ConfigurationError(f"secret {UNSUBSCRIBE_KEY_SECRET!r} does not exist: deploy creates it (docs/clients.md)")
    problem = (f"secret {UNSUBSCRIBE_KEY_SECRET!r} is not {{\"current\": id, id: key, ...}} "
               f"with keys of at least {MIN_KEY_CHARS} characters")
    try:
        data = json.loads(raw)
        current = data.pop("current")
        keys = {kid: value.encode("utf-8") for kid, value in data.items()}
    except (ValueError, KeyError, TypeError, AttributeError):
        raise ConfigurationError(problem) from None  # never chained: the exception could quote the value
    if (not isinstance(current, str) or current not in keys or not all(_KEY_ID.match(str(k)) for k in keys)
            or any(len(key) < MIN_KEY_CHARS for key in keys.values())):
        raise ConfigurationError(problem)
    return current, keys


def new_key_secret(key_id: str = "k1") -> str:
    """A fresh secret value with one random key (local setup; deploy generates its own the same shape)."""
    import secrets

    if not _KEY_ID.match(key_id) or key_id == "current":
        raise ValueError("a key id is 1-32 of A-Z a-z 0-9 _ - (not 'current')")
    return json.dumps({"current": key_id, key_id: secrets.token_urlsafe(48)})


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    if not _B64URL.match(text):
        raise binascii.Error("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(key: bytes, signed: str) -> str:
    return _b64(hmac.new(key, signed.encode(), hashlib.sha256).digest())


# ---- tokens ----------------------------------------------------------------------------------------------


def sign(client_id: str, address: str) -> str:
    """The token naming `address` (normalised) as a recipient of `client_id`, under the current key."""
    from chalicelib.core.models import CLIENT_ID_PATTERN

    if not CLIENT_ID_PATTERN.match(client_id):
        raise DataValidationError("unsubscribe token: not a client id")
    current, keys = _keys()
    payload = _b64((client_id + "\n" + normalise_address(address)).encode())
    signed = f"{TOKEN_VERSION}.{current}.{payload}"
    return f"{signed}.{_signature(keys[current], signed)}"


def verify(token: str) -> Subscriber:
    """Who the token names; InvalidUnsubscribeToken (saying what is wrong, quoting neither the token
    nor any key) when it is malformed, signed with an unknown key or forged."""
    from chalicelib.core.models import CLIENT_ID_PATTERN

    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_CHARS:
        raise InvalidUnsubscribeToken("unsubscribe token: missing or too long")
    parts = token.split(".")
    if len(parts) != 4 or parts[0] != TOKEN_VERSION or not _KEY_ID.match(parts[1]):
        raise InvalidUnsubscribeToken("unsubscribe token: malformed")
    _, key_id, payload, signature = parts
    _current, keys = _keys()
    key = keys.get(key_id)
    if key is None:
        raise InvalidUnsubscribeToken("unsubscribe token: signed with a key this deployment does not hold")
    expected = _signature(key, f"{TOKEN_VERSION}.{key_id}.{payload}")
    if not hmac.compare_digest(expected.encode(), signature.encode()):
        raise InvalidUnsubscribeToken("unsubscribe token: the signature does not match")
    try:
        client_id, newline, address = _unb64(payload).decode("utf-8").partition("\n")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidUnsubscribeToken("unsubscribe token: malformed payload") from None
    if not newline or not CLIENT_ID_PATTERN.match(client_id) or "@" not in address:
        raise InvalidUnsubscribeToken("unsubscribe token: malformed payload")
    return Subscriber(client_id=client_id, address=normalise_address(address))


# ---- the headers -----------------------------------------------------------------------------------------


def base_url() -> str:
    """The route's public base URL from the settings, checked ('' when the stage has none)."""
    from chalicelib.core.settings import get_settings

    url = get_settings().unsubscribe_base_url.rstrip("/")
    if url and (len(url) > MAX_BASE_URL_CHARS or not _BASE_URL.match(url)):
        raise ConfigurationError("UNSUBSCRIBE_BASE_URL: must be https://host[:port][/path] (loopback may be http), "
                                 f"at most {MAX_BASE_URL_CHARS} characters")
    return url


def unsubscribe_url(client_id: str, address: str) -> str | None:
    base = base_url()
    if not base:
        return None
    return f"{base}{UNSUBSCRIBE_ROUTE}?{UNSUBSCRIBE_TOKEN_PARAMETER}={quote(sign(client_id, address), safe='')}"


def unsubscribe_headers(client_id: str, address: str) -> dict[str, str]:
    """The RFC 8058 header pair for one recipient's message; empty when the stage has no public route.
    The values are header-safe by construction (a checked base URL, base64url and dots)."""
    url = unsubscribe_url(client_id, address)
    if url is None:
        return {}
    return {HEADER_LIST_UNSUBSCRIBE: f"<{url}>", HEADER_LIST_UNSUBSCRIBE_POST: LIST_UNSUBSCRIBE_ONE_CLICK}


# ---- the suppression records -------------------------------------------------------------------------------


def _key(client_id: str, address: str) -> dict[str, str]:
    return {"pk": f"{PK_UNSUBSCRIBE_PREFIX}{client_id}", "sk": normalise_address(address)}


def unsubscribe(client_id: str, address: str, method: str) -> bool:
    """Record the suppression; True when it is new (a repeat keeps the first record: idempotent)."""
    from chalicelib.core.periods import utcnow
    from chalicelib.core.store import table

    if method not in METHODS:
        raise DataValidationError(f"unsubscribe method must be one of {', '.join(METHODS)}")
    item = {**_key(client_id, address), "client_id": client_id, "address": normalise_address(address),
            "unsubscribed_at": utcnow().isoformat(), "method": method}
    try:
        table.table().put_item(Item=item, ConditionExpression="attribute_not_exists(pk)")
    except Exception as exc:
        if table.condition_failed(exc):
            return False
        from chalicelib.core.errors import classify_aws_error

        raise classify_aws_error(exc, "record unsubscribe") from exc
    return True


def resubscribe(client_id: str, address: str) -> bool:
    """Remove the suppression (the recipient asked to come back); True when there was one."""
    from chalicelib.core.store import table

    with table.translated("remove unsubscribe"):
        reply = table.table().delete_item(Key=_key(client_id, address), ReturnValues="ALL_OLD")
    return bool(reply.get("Attributes"))


def unsubscribed_recipients(client_id: str) -> dict[str, dict[str, Any]]:
    """Every suppressed address of the client (normalised) -> its record: one Query, all pages."""
    from chalicelib.core.store import table

    items = table.query("read unsubscribes", KeyConditionExpression="pk = :pk", ConsistentRead=True,
                        ExpressionAttributeValues={":pk": f"{PK_UNSUBSCRIBE_PREFIX}{client_id}"})
    return {item["sk"]: item for item in items}


def is_unsubscribed(address: str, suppressed: dict[str, dict[str, Any]]) -> bool:
    """Whether `address` is among a client's suppressions (as `unsubscribed_recipients` read them)."""
    return normalise_address(address) in suppressed

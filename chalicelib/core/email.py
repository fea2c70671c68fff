"""The one way this project builds an email, and the one header sanitiser.

A message is multipart/alternative (text + HTML) with the CSV attached, and the XLSX and PDF when the
client asks for them. Every header value goes
through `header_safe` first; the stdlib SMTP policy then RFC 2047-encodes non-ASCII text (and
refuses CR/LF as a last line of defence), so nothing untrusted reaches a header raw. Config
validation (chalicelib/core/models.py) refuses header-bound text with `has_control_chars`: the
same character definition (chalicelib/core/text.py).
"""

from __future__ import annotations

import re
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, make_msgid
from typing import Any

from chalicelib.core.text import has_control_chars, is_control_char, neutralise  # noqa: F401 - re-exported

SENDER_DISPLAY_NAME = "AWS Cost Reports"
_ATTACHMENT_TYPES = {
    "pdf": ("application", "pdf"),
    "xlsx": ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}
_SPACES = re.compile(r" {2,}")


def header_safe(value: str, limit: int = 200) -> str:
    """Header-ready text: controls and bidi controls become one space (`neutralise`, the rule every
    channel applies), runs of spaces collapse, then cut to `limit` chars."""
    # "=?" opens an RFC 2047 encoded word, which the header parser decodes when the header is set:
    # "=?utf-8?q?=0D=0ABcc:...?=" would come back out as a raw CR/LF and an injected header.
    return _SPACES.sub(" ", neutralise(value)).replace("=?", "= ?").strip()[:limit]


def build_message(
    *,
    sender: str,
    recipients: list[str],
    reply_to: list[str],
    subject: str,
    text: str,
    html: str,
    csv_body: str | None,
    csv_filename: str,
    extra_headers: dict[str, str],
    files: dict[str, bytes] | None = None,
    sender_name: str | None = None,
    inline_images: dict[str, tuple[bytes, str]] | None = None,
) -> bytes:
    """`csv_body` None: no CSV (a client that asked for other attachments only); `files`: more
    attachments by file name (.xlsx, .pdf), typed by their extension; `sender_name`: the From
    display name (white-label branding); `inline_images`: content id -> (bytes, image subtype),
    embedded with the HTML (multipart/related, `cid:` in the HTML: no remote image to fetch)."""
    msg = EmailMessage(policy=SMTP)
    msg["From"] = Address(display_name=header_safe(sender_name or SENDER_DISPLAY_NAME, 100), addr_spec=header_safe(sender))
    msg["To"] = ", ".join(header_safe(r) for r in recipients)
    if reply_to:
        msg["Reply-To"] = ", ".join(header_safe(r) for r in reply_to)
    msg["Subject"] = header_safe(subject)
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = make_msgid(domain=header_safe(sender).rpartition("@")[2] or None)
    for name, value in extra_headers.items():
        msg[name] = header_safe(value)
    msg.set_content(text, subtype="plain", charset="utf-8")
    msg.add_alternative(html, subtype="html", charset="utf-8")
    if inline_images:
        html_part = msg.get_payload()[1]
        for content_id, (body, subtype) in inline_images.items():
            html_part.add_related(body, maintype="image", subtype=subtype, cid=f"<{content_id}>")
    if csv_body is not None:
        msg.add_attachment(csv_body.encode("utf-8"), maintype="text", subtype="csv", filename=header_safe(csv_filename, 120))
    for filename, body in (files or {}).items():
        maintype, subtype = _ATTACHMENT_TYPES[filename.rpartition(".")[2]]
        msg.add_attachment(body, maintype=maintype, subtype=subtype, filename=header_safe(filename, 120))
    return msg.as_bytes()


def send_raw(raw: bytes, *, sender: str, recipients: list[str], tags: dict[str, str], doing: str = "SES SendEmail") -> str:
    """Send a built message through SES v2 (with the deployment's configuration set); the SES message id.
    Tags are SES EmailTags (names and values: letters, digits, `_` and `-` only, as SES requires)."""
    from chalicelib.core import aws
    from chalicelib.core.errors import classify_aws_error
    from chalicelib.core.settings import get_settings

    request: dict[str, Any] = {
        "FromEmailAddress": sender,
        "Destination": {"ToAddresses": recipients},
        "Content": {"Raw": {"Data": raw}},
        "EmailTags": [{"Name": name, "Value": value} for name, value in tags.items()],
    }
    if get_settings().configuration_set:
        request["ConfigurationSetName"] = get_settings().configuration_set
    try:
        return str(aws.client("sesv2").send_email(**request)["MessageId"])
    except Exception as exc:
        raise classify_aws_error(exc, doing) from exc


def for_recipient(raw: bytes, recipient: str, raw_headers: dict[str, str]) -> bytes:
    """One recipient's copy of a message `build_message` made: its own To and Message-ID, plus
    `raw_headers` (e.g. List-Unsubscribe) written as given; every other byte (the other headers,
    the body and its attachments) is kept as built.

    `raw_headers` are written unfolded and never RFC 2047-encoded (a List-Unsubscribe URL must reach
    the mailbox provider as written): their values must already be header-safe ASCII, which is
    checked here, and a line stays within RFC 5322's 998 characters."""
    head, blank, body = raw.partition(b"\r\n\r\n")
    if not blank:
        raise ValueError("for_recipient: not a message built by build_message (no header block)")
    replaced = {"to", "message-id", *(name.lower() for name in raw_headers)}
    kept: list[bytes] = []
    name = ""
    old_id = b""
    for line in head.split(b"\r\n"):
        if line[:1] not in (b" ", b"\t"):  # a new header; folded lines belong to the one before
            name = line.split(b":", 1)[0].strip().decode("ascii", "replace").lower()
        if name == "message-id":
            old_id += line
        if name not in replaced:
            kept.append(line)
    domain = old_id.rpartition(b"@")[2].strip(b"> \t").decode("ascii", "replace") or None
    added = [SMTP.fold("To", header_safe(recipient)), SMTP.fold("Message-ID", make_msgid(domain=domain))]
    for header, value in raw_headers.items():
        line = f"{header}: {value}"
        if not line.isascii() or has_control_chars(line) or len(line) > 998 or not re.fullmatch(r"[A-Za-z0-9-]+", header):
            raise ValueError(f"for_recipient: header {header!r} is not header-safe ASCII within 998 characters")
        added.append(line + "\r\n")
    return b"\r\n".join(kept) + b"\r\n" + "".join(added).encode("ascii").rstrip(b"\r\n") + b"\r\n\r\n" + body

"""The one way this project builds an email: multipart/alternative (text + HTML) with the CSV attached.

Header values go through the stdlib email policy, which RFC 2047-encodes non-ASCII text and
refuses CR/LF; values are also cleaned here first, so nothing untrusted reaches a header raw.
"""

from __future__ import annotations

import re
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, make_msgid

_UNSAFE_HEADER_CHARS = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\u0085]+")
SENDER_DISPLAY_NAME = "AWS Cost Reports"


def header_safe(value: str, limit: int = 200) -> str:
    # "=?" opens an RFC 2047 encoded word, which the header parser decodes when the header is set:
    # "=?utf-8?q?=0D=0ABcc:...?=" would come back out as a raw CR/LF and an injected header.
    return _UNSAFE_HEADER_CHARS.sub(" ", value).replace("=?", "= ?").strip()[:limit]


def build_message(
    *,
    sender: str,
    recipients: list[str],
    reply_to: list[str],
    subject: str,
    text: str,
    html: str,
    csv_body: str,
    csv_filename: str,
    extra_headers: dict[str, str],
) -> bytes:
    msg = EmailMessage(policy=SMTP)
    msg["From"] = Address(display_name=SENDER_DISPLAY_NAME, addr_spec=header_safe(sender))
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
    msg.add_attachment(csv_body.encode("utf-8"), maintype="text", subtype="csv", filename=header_safe(csv_filename, 120))
    return msg.as_bytes()

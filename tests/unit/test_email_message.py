from email import message_from_bytes
from email.policy import default

import pytest

from chalicelib.core.email import build_message


def _build(**overrides):
    args = {
        "sender": "reports@example.com",
        "recipients": ["a@client.example", "b@client.example"],
        "reply_to": ["finops@msp.example"],
        "subject": "AWS cost report - Café Ünïcode - Weekly",
        "text": "plain body",
        "html": "<p>html body</p>",
        "csv_body": "account_id,service\n111122223333,EC2\n",
        "csv_filename": "cost-report-acme.csv",
        "extra_headers": {"X-Cost-Report-Client": "acme"},
    }
    args.update(overrides)
    return message_from_bytes(build_message(**args), policy=default)


def test_multipart_alternative_with_csv_attachment():
    msg = _build()
    assert msg.get_content_type() == "multipart/mixed"
    body = msg.get_body(preferencelist=("html",))
    assert body.get_content().strip() == "<p>html body</p>"
    assert msg.get_body(preferencelist=("plain",)).get_content().strip() == "plain body"
    attachments = list(msg.iter_attachments())
    assert [a.get_filename() for a in attachments] == ["cost-report-acme.csv"]
    assert "111122223333,EC2" in attachments[0].get_content()


def test_non_ascii_subject_is_encoded_and_decodes_back():
    msg = _build()
    assert str(msg["Subject"]) == "AWS cost report - Café Ünïcode - Weekly"


def test_crlf_in_any_header_value_cannot_add_headers():
    msg = _build(subject="Report\r\nBcc: victim@evil.example", extra_headers={"X-Cost-Report-Client": "a\nBcc: v@evil.example"})
    assert msg["Bcc"] is None
    assert "\n" not in str(msg["Subject"]) and "\r" not in str(msg["Subject"])
    assert str(msg["To"]) == "a@client.example, b@client.example"


def test_a_recipients_copy_has_its_own_to_and_message_id_and_the_unsubscribe_pair_unencoded():
    from email import message_from_bytes
    from email.policy import default

    from chalicelib.core.email import build_message, for_recipient

    raw = build_message(sender="reports@example.com", recipients=["a@acme.example", "b@acme.example"], reply_to=[],
                        subject="Weekly — costs", text="t", html="<p>h</p>", csv_body="a,b\n", csv_filename="r.csv",
                        extra_headers={"X-Cost-Report-Client": "acme"})
    link = "<https://reports.example.com/unsubscribe?token=v1.k1." + "A" * 400 + ".sig>"
    copy = for_recipient(raw, "b@acme.example", {"List-Unsubscribe": link,
                                                 "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"})
    original, mine = message_from_bytes(raw, policy=default), message_from_bytes(copy, policy=default)
    assert [a.addr_spec for a in mine["To"].addresses] == ["b@acme.example"]
    assert mine["Message-ID"] != original["Message-ID"] and mine["Message-ID"].endswith("@example.com>")
    assert f"\r\nList-Unsubscribe: {link}\r\n".encode() in copy  # one line, never RFC 2047-encoded
    assert str(mine["Subject"]) == str(original["Subject"]) and mine["X-Cost-Report-Client"] == "acme"
    assert copy.partition(b"\r\n\r\n")[2] == raw.partition(b"\r\n\r\n")[2]  # the body and attachments as built
    for bad in ({"List-Unsubscribe": "<https://x>\r\nBcc: evil@example.com"}, {"List-Unsubscribe": "<https://x/é>"},
                {"Bad Header": "x"}, {"List-Unsubscribe": "x" * 1000}):
        with pytest.raises(ValueError, match="header-safe"):
            for_recipient(raw, "b@acme.example", bad)

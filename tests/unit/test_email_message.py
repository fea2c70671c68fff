from email import message_from_bytes
from email.policy import default

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

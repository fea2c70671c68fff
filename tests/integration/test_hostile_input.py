"""Untrusted strings through the whole pipeline: escaped in HTML, never raw in a header."""

from __future__ import annotations

import csv
import io
from email import message_from_bytes
from email.policy import default

from tests.factories import AS_OF, client_config

HOSTILE_NAME = '<script>alert("n")</script> & Söns "Co"'
HOSTILE_SERVICE = '"><img src=x onerror=alert(1)>=cmd|calc'


def test_hostile_client_and_service_names(local_aws):
    rows = [
        {"date": day, "account_id": "777777777777", "service": HOSTILE_SERVICE, "amount": "12.5"}
        for day in ("2026-11-03", "2026-11-10", "2026-11-11")
    ]
    aws = local_aws(clients=[client_config("hostile", ["777777777777"], name=HOSTILE_NAME)], rows=rows)
    described = aws.run({"report_type": "weekly", "as_of": AS_OF.isoformat()})
    assert described["status"] == "SUCCEEDED", described

    [sent] = aws.outbox.sent
    message = message_from_bytes(sent["raw"], policy=default)
    html = message.get_body(preferencelist=("html",)).get_content()
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;" in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert HOSTILE_SERVICE in text  # the text part is not HTML: shown as written
    assert HOSTILE_NAME in str(message["Subject"])
    raw_headers = sent["raw"].split(b"\r\n\r\n", 1)[0].decode("ascii")  # the header block is pure ASCII
    # Control characters are stripped and non-ASCII is RFC 2047-encoded: the header block keeps
    # exactly the headers we set, whatever the name holds.
    names = [line.split(":", 1)[0] for line in raw_headers.split("\r\n") if line and not line[0].isspace()]
    # (and the recipient's one-click unsubscribe pair, which every report email carries)
    assert sorted(names) == sorted(["From", "To", "Subject", "Date", "Message-ID", "X-Cost-Report-Client",
                                    "X-Cost-Report-Run", "Content-Type", "MIME-Version", "List-Unsubscribe",
                                    "List-Unsubscribe-Post"])
    assert "=?utf-8?" in raw_headers
    rows_back = list(csv.DictReader(io.StringIO(next(message.iter_attachments()).get_content())))
    assert [r["service"] for r in rows_back] == [HOSTILE_SERVICE]


def test_csv_formula_injection_is_neutralised_end_to_end(local_aws):
    rows = [{"date": "2026-11-10", "account_id": "777777777777", "service": "=HYPERLINK(\"http://x\")", "amount": "1"}]
    aws = local_aws(clients=[client_config("formula", ["777777777777"])], rows=rows)
    assert aws.run({"report_type": "weekly", "as_of": AS_OF.isoformat()})["status"] == "SUCCEEDED"
    message = message_from_bytes(aws.outbox.sent[0]["raw"], policy=default)
    rows_back = list(csv.DictReader(io.StringIO(next(message.iter_attachments()).get_content())))
    assert rows_back[0]["service"] == "'=HYPERLINK(\"http://x\")"

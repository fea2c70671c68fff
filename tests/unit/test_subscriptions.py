"""One-click unsubscribe's rule module (chalicelib/core/subscriptions.py): tokens, headers and the
suppression records, on moto's Secrets Manager and DynamoDB (no engine)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import boto3
import pytest

from chalicelib.core import constants as c

PREFIX = "cost-reporter/unit/"
KEY_A = base64.b64encode(b"a" * 32).decode()
KEY_B = base64.b64encode(b"b" * 32).decode()


@pytest.fixture
def aws(monkeypatch, tmp_path):
    from moto import mock_aws

    from chalicelib.core.caches import reset_all

    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": str(tmp_path / "none"),
                        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"), c.ENV_SECRETS_PREFIX: PREFIX,
                        c.ENV_TABLE_NAME: "unsub-table",
                        c.ENV_UNSUBSCRIBE_BASE_URL: "https://reports.example.com/api"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        boto3.setup_default_session()
        reset_all()
        boto3.client("dynamodb").create_table(
            TableName="unsub-table", BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                  {"AttributeName": "sk", "AttributeType": "S"}])
        yield boto3.client("secretsmanager")
        reset_all()
    boto3.DEFAULT_SESSION = None


def put_keys(sm, current: str, keys: dict[str, str]) -> None:
    from chalicelib.core.caches import reset_all

    name = PREFIX + c.UNSUBSCRIBE_KEY_SECRET
    value = json.dumps({"current": current, **keys})
    try:
        sm.put_secret_value(SecretId=name, SecretString=value)
    except sm.exceptions.ResourceNotFoundException:
        sm.create_secret(Name=name, SecretString=value)
    reset_all()  # the secret is cached per warm container


def test_a_token_names_its_client_and_recipient(aws):
    from chalicelib.core import subscriptions as s

    put_keys(aws, "k1", {"k1": KEY_A})
    token = s.sign("acme", "Finops@ACME.Example")
    assert token.startswith("v1.k1.")
    assert s.verify(token) == s.Subscriber(client_id="acme", address="Finops@acme.example")


@pytest.mark.parametrize("mangle", [
    lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # forged signature
    lambda t: t[: len(t) // 2],  # truncated
    lambda t: t.rsplit(".", 1)[0],  # no signature
    lambda t: t.replace("v1.", "v2.", 1),  # another version
    lambda t: "",
    lambda t: "x" * 5000,
    lambda t: t + ".extra",
])
def test_malformed_forged_or_truncated_tokens_are_refused(aws, mangle):
    from chalicelib.core import subscriptions as s

    put_keys(aws, "k1", {"k1": KEY_A})
    with pytest.raises(s.InvalidUnsubscribeToken) as caught:
        s.verify(mangle(s.sign("acme", "finops@acme.example")))
    assert KEY_A not in str(caught.value) and "YWFh" not in str(caught.value)


def test_another_client_in_the_payload_breaks_the_signature(aws):
    from chalicelib.core import subscriptions as s

    put_keys(aws, "k1", {"k1": KEY_A})
    version, kid, _payload, signature = s.sign("acme", "finops@acme.example").split(".")
    other = base64.urlsafe_b64encode(b"globex\nfinops@acme.example").rstrip(b"=").decode()
    with pytest.raises(s.InvalidUnsubscribeToken, match="signature does not match"):
        s.verify(f"{version}.{kid}.{other}.{signature}")


def test_a_token_of_another_key_is_refused_without_quoting_any_key(aws):
    from chalicelib.core import subscriptions as s

    put_keys(aws, "k1", {"k1": KEY_A})
    payload = base64.urlsafe_b64encode(b"acme\nfinops@acme.example").rstrip(b"=").decode()
    signed = f"v1.k1.{payload}"
    # signed with a key the deployment does not hold, under a key id it does hold
    forged = base64.urlsafe_b64encode(hmac.new(b"z" * 32, signed.encode(), hashlib.sha256).digest()).rstrip(b"=")
    with pytest.raises(s.InvalidUnsubscribeToken, match="signature does not match") as caught:
        s.verify(f"{signed}.{forged.decode()}")
    assert KEY_A not in str(caught.value)
    with pytest.raises(s.InvalidUnsubscribeToken, match="key this deployment does not hold"):
        s.verify(f"v1.k9.{payload}.{forged.decode()}")


def test_rotation_keeps_old_links_working_until_their_key_is_removed(aws):
    from chalicelib.core import subscriptions as s

    put_keys(aws, "k1", {"k1": KEY_A})
    old = s.sign("acme", "finops@acme.example")
    put_keys(aws, "k2", {"k1": KEY_A, "k2": KEY_B})
    new = s.sign("acme", "finops@acme.example")
    assert new.startswith("v1.k2.") and s.verify(old).client_id == s.verify(new).client_id == "acme"
    put_keys(aws, "k2", {"k2": KEY_B})  # k1 retired
    assert s.verify(new).address == "finops@acme.example"
    with pytest.raises(s.InvalidUnsubscribeToken, match="does not hold"):
        s.verify(old)


@pytest.mark.parametrize("value", [None, "not json", json.dumps({"current": "k1", "k1": "c2hvcnQ="}),
                                   json.dumps({"current": "k2", "k1": KEY_A}), json.dumps(["k1", KEY_A])])
def test_a_missing_or_bad_key_secret_is_a_configuration_error_that_never_quotes_it(aws, value):
    from chalicelib.core import subscriptions as s
    from chalicelib.core.errors import ConfigurationError

    if value is not None:
        aws.create_secret(Name=PREFIX + c.UNSUBSCRIBE_KEY_SECRET, SecretString=value)
    with pytest.raises(ConfigurationError, match=c.UNSUBSCRIBE_KEY_SECRET) as caught:
        s.sign("acme", "finops@acme.example")
    assert "c2hvcnQ=" not in str(caught.value) and KEY_A not in str(caught.value)


def test_headers_carry_an_absolute_https_link_and_the_one_click_pair(aws):
    from chalicelib.core import subscriptions as s

    put_keys(aws, "k1", {"k1": KEY_A})
    headers = s.unsubscribe_headers("acme", "finops@acme.example")
    assert headers[c.HEADER_LIST_UNSUBSCRIBE_POST] == "List-Unsubscribe=One-Click"
    link = headers[c.HEADER_LIST_UNSUBSCRIBE]
    assert link.startswith("<https://reports.example.com/api/unsubscribe?token=v1.k1.") and link.endswith(">")
    from urllib.parse import parse_qs, urlsplit

    token = parse_qs(urlsplit(link[1:-1]).query)["token"][0]
    assert s.verify(token) == s.Subscriber("acme", "finops@acme.example")


@pytest.mark.parametrize("url", ["http://reports.example.com", "https://x.example/a b", "https://x.example/<a>",
                                 "javascript:alert(1)", "https://x.example/\r\nBcc: a@b.c"])
def test_a_base_url_that_is_not_https_or_not_header_safe_is_refused(aws, monkeypatch, url):
    from chalicelib.core import subscriptions as s
    from chalicelib.core.caches import reset_all
    from chalicelib.core.errors import ConfigurationError

    put_keys(aws, "k1", {"k1": KEY_A})
    monkeypatch.setenv(c.ENV_UNSUBSCRIBE_BASE_URL, url)
    reset_all()
    with pytest.raises(ConfigurationError, match="UNSUBSCRIBE_BASE_URL"):
        s.unsubscribe_headers("acme", "finops@acme.example")


def test_suppressions_are_one_item_per_client_and_recipient_read_with_one_query(aws):
    from chalicelib.core import subscriptions as s

    assert s.unsubscribe("acme", "Finops@ACME.example", "one-click") is True
    assert s.unsubscribe("acme", "Finops@acme.EXAMPLE", "page") is False  # idempotent: the first record stays
    assert s.unsubscribe("globex", "finops@acme.example", "page") is True  # another client's list
    found = s.unsubscribed_recipients("acme")
    assert list(found) == ["Finops@acme.example"] and found["Finops@acme.example"]["method"] == "one-click"
    assert s.is_unsubscribed("Finops@Acme.Example", found) and not s.is_unsubscribed("other@acme.example", found)
    item = boto3.client("dynamodb").get_item(TableName="unsub-table",
                                             Key={"pk": {"S": "UNSUB#acme"}, "sk": {"S": "Finops@acme.example"}})
    assert item["Item"]["unsubscribed_at"]["S"]
    assert s.resubscribe("acme", "Finops@acme.example") is True and s.unsubscribed_recipients("acme") == {}
    assert s.resubscribe("acme", "Finops@acme.example") is False
    assert list(s.unsubscribed_recipients("globex")) == ["finops@acme.example"]


# ---- the route, through the Chalice app (chalice.test.Client) ------------------------------------------------


@pytest.fixture
def api(aws):
    from chalice.test import Client

    from app import app

    put_keys(aws, "k1", {"k1": KEY_A})
    with Client(app, stage_name="unit") as client:
        yield client


def _query(token: str) -> str:
    from urllib.parse import quote

    return f"/unsubscribe?token={quote(token, safe='')}"


def test_a_one_click_post_records_the_suppression_and_a_repeat_is_fine(api):
    from chalicelib.core import subscriptions as s

    token = s.sign("acme", "finops@acme.example")
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    first = api.http.post(_query(token), headers=form, body=b"List-Unsubscribe=One-Click")
    assert first.status_code == 200 and b"f***@acme.example" in first.body
    again = api.http.post(_query(token), headers=form, body=b"List-Unsubscribe=One-Click")
    assert again.status_code == 200
    found = s.unsubscribed_recipients("acme")
    assert list(found) == ["finops@acme.example"] and found["finops@acme.example"]["method"] == "one-click"


def test_a_multipart_one_click_post_is_accepted_too(api):
    from chalicelib.core import subscriptions as s

    body = (b"--XyZ\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\nOne-Click\r\n--XyZ--\r\n")
    reply = api.http.post(_query(s.sign("acme", "b@acme.example")),
                          headers={"Content-Type": "multipart/form-data; boundary=XyZ"}, body=body)
    assert reply.status_code == 200 and list(s.unsubscribed_recipients("acme")) == ["b@acme.example"]


def test_the_get_page_offers_a_post_button_and_records_nothing(api):
    from chalicelib.core import subscriptions as s

    token = s.sign("acme", "finops@acme.example")
    page = api.http.get(_query(token))
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    html = page.body.decode()
    assert '<form method="post"' in html and 'name="List-Unsubscribe" value="One-Click"' in html
    assert "f***@acme.example" in html and "finops@" not in html
    assert s.unsubscribed_recipients("acme") == {}  # a link scanner's GET unsubscribes nobody
    # the button posts the page's own form, recorded as such
    reply = api.http.post(_query(token), headers={"Content-Type": "application/x-www-form-urlencoded"},
                          body=b"List-Unsubscribe=One-Click&source=page")
    assert reply.status_code == 200 and s.unsubscribed_recipients("acme")["finops@acme.example"]["method"] == "page"


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_bad_or_forged_token_is_a_400_that_records_nothing(api, method):
    from chalicelib.core import subscriptions as s

    token = s.sign("acme", "finops@acme.example")
    for bad in (token[:-2] + "AA", "v1.k1.<script>.x", "", token.replace("v1.k1.", "v1.k7.")):
        reply = (api.http.get(_query(bad)) if method == "GET" else
                 api.http.post(_query(bad), headers={"Content-Type": "application/x-www-form-urlencoded"},
                               body=b"List-Unsubscribe=One-Click"))
        assert reply.status_code == 400, bad
        assert reply.headers["Content-Type"].startswith("text/plain")
        assert b"not valid" in reply.body and b"<script>" not in reply.body and KEY_A.encode() not in reply.body
    assert s.unsubscribed_recipients("acme") == {}


@pytest.mark.parametrize("body", [b"", b"List-Unsubscribe=Yes", b"List-Unsubscribe=One-Click&List-Unsubscribe=One-Click",
                                  b"List-Unsubscribe=One-Click&other=1"])
def test_a_post_without_the_one_click_pair_is_a_400(api, body):
    from chalicelib.core import subscriptions as s

    reply = api.http.post(_query(s.sign("acme", "finops@acme.example")),
                          headers={"Content-Type": "application/x-www-form-urlencoded"}, body=body)
    assert reply.status_code == 400 and b"List-Unsubscribe=One-Click" in reply.body
    assert s.unsubscribed_recipients("acme") == {}


def test_a_page_escapes_what_it_prints(api):
    from chalicelib.core import subscriptions as s

    page = api.http.get(_query(s.sign("acme", "<b>x</b>@acme.example\"><script>")))
    assert page.status_code == 200 and b"<script>" not in page.body and b"<***" not in page.body
    assert b"&lt;***@acme.example&#34;&gt;&lt;script&gt;" in page.body


def test_the_route_works_in_every_app_its_blueprint_is_registered_in(api):
    """infra/ imports a scratch copy's app.py beside this one: the blueprint is then registered in a
    second app, which must neither lose the POST route nor take the first app's requests."""
    from chalice import Chalice
    from chalice.test import Client

    from chalicelib.core import subscriptions as s
    from chalicelib.subscriptions import bp

    other = Chalice(app_name="other")
    other.register_blueprint(bp)
    token = s.sign("acme", "finops@acme.example")
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    assert api.http.post(_query(token), headers=form, body=b"List-Unsubscribe=One-Click").status_code == 200
    with Client(other, stage_name="unit") as second:
        assert second.http.get(_query(token)).status_code == 200
        assert second.http.post(_query(token), headers=form, body=b"List-Unsubscribe=One-Click").status_code == 200

"""Bad input, fuzzed: execution inputs and client configs from generators that know their verdict.

Every generated execution input either runs (periods consistent with `report_periods`) or is
refused with a DataValidationError naming the field; every generated client config either
validates or yields a reason naming the field; valid configs render to HTML with nothing
unescaped and to an email whose header block holds exactly our headers. The generators carry
their own verdict ("ok", "bad", "any") per field, so a bad value that slips through validation
fails the test just like a crash does.

Run with `pytest -s tests/integration/test_fuzz_inputs.py` to see the printed figures.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from datetime import date, timedelta
from decimal import Decimal
from email import message_from_bytes
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser
from typing import Any

from hypothesis import HealthCheck, given, settings, strategies as st
from markupsafe import escape
from pydantic import ValidationError

from chalicelib.core.clients import parse_client_config
from chalicelib.core.email import build_message, header_safe
from chalicelib.core.errors import DataValidationError
from chalicelib.core.models import REPORT_TYPES, ClientConfig
from chalicelib.core.periods import report_periods
from chalicelib.reports.contracts import CostDataset, CostLine, RunContext, RunInput
from chalicelib.reports.costs.analysis import analyze
from chalicelib.reports.rendering import render_report
from tests import ROOT

STARTED_AT = "2026-11-18T09:00:00Z"
STARTED_DAY = date(2026, 11, 18)
FUZZ = settings(
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much,
                           HealthCheck.large_base_example],
)

# ------------------------------------------------------------------------------------------------
# shared building blocks
# ------------------------------------------------------------------------------------------------

HOSTILE = [
    '<script>alert("x")</script>',
    '"><img src=x onerror=alert(1)>',
    "</title><script>alert(1)</script>",
    "<!-- comment --><![CDATA[x]]>",
    "weekly\r\nBcc: evil@evil.example",
    "\r\n",
    "\x00",
    "\u2028",
    "=?utf-8?q?=0D=0ABcc:_evil@evil.example?=",
    "{{ 7*7 }}{% raw %}",
    "' OR '1'='1' --",
    "../../etc/passwd",
    "\U0001F600\U0001F4B8",
    "\u202eexe.pdf",
    "\ufeffweekly",
    "\uff57\uff45\uff45\uff4b\uff4c\uff59",  # fullwidth "weekly"
]
# A long string, cheap to generate: a short piece repeated thousands of times.
HUGE = st.builds(lambda piece, n: piece * n, st.text(min_size=1, max_size=4), st.integers(1_000, 40_000))
JSON_SCALAR = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(), st.text(max_size=12))
NESTED_JUNK = st.recursive(
    JSON_SCALAR,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
NOT_STRING = NESTED_JUNK.filter(lambda v: not isinstance(v, str))


def _verdict(strategy: Any, verdict: str) -> Any:
    return strategy.map(lambda value: (value, verdict))


def _weighted(*branches: tuple[int, Any]) -> Any:
    """one_of with weights: (3, a), (1, b) draws from a three times as often as from b."""
    picks = [index for index, (weight, _) in enumerate(branches) for _ in range(weight)]
    return st.sampled_from(picks).flatmap(lambda index: branches[index][1])


# ------------------------------------------------------------------------------------------------
# 1. execution inputs
# ------------------------------------------------------------------------------------------------

MISSING = object()
CLIENT_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return bool(re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text))


REPORT_TYPE = _weighted(
    (12, _verdict(st.sampled_from(REPORT_TYPES), "ok")),
    (1, _verdict(st.sampled_from(["fortnightly", "yearly", "WEEKLY", "Weekly", " weekly", "weekly ", "", *HOSTILE]), "bad")),
    (1, _verdict(st.text(max_size=20).filter(lambda s: s not in REPORT_TYPES), "bad")),
    (1, _verdict(HUGE, "bad")),
    (1, _verdict(NOT_STRING, "bad")),
)
AS_OF = _weighted(
    (8, _verdict(st.dates(min_value=date(2, 1, 1), max_value=STARTED_DAY + timedelta(days=1)).map(date.isoformat), "ok")),
    # Later than tomorrow (UTC, from the execution's start): no costs yet, refused naming as_of.
    (2, _verdict(st.dates(min_value=STARTED_DAY + timedelta(days=2)).map(date.isoformat), "bad")),
    (2, _verdict(st.none(), "ok")),
    # Year 1: some periods would start before 0001-01-01; refused (naming as_of) or run.
    (1, _verdict(st.dates(min_value=date(1, 1, 1), max_value=date(1, 12, 31)).map(date.isoformat), "any")),
    (1, _verdict(st.sampled_from(["0001-01-01", "0001-01-02", "0001-01-07", "0001-01-13", "0001-01-31", "0001-02-28"]), "any")),
    (1, _verdict(st.sampled_from([
        "2026-02-30", "2026-02-29", "2025-13-01", "2026-00-10", "2026-11-31", "0000-01-01", "99999-01-01",
        "yesterday", "today", "now", "2026/11/18", "18-11-2026", "2026-11-18T09:00:00Z", "2026-11-18 ",
        " 2026-11-18", "2026-1-1", "20261118", "2026-11-18\n", "\uff12\uff10\uff12\uff16-11-18", "", *HOSTILE,
    ]), "bad")),
    (1, _verdict(st.builds("{:04d}-{:02d}-{:02d}".format, st.integers(0, 9999), st.integers(0, 99), st.integers(0, 99))
                 .filter(lambda s: not _is_date(s)), "bad")),
    (1, _verdict(st.integers(-(2**40), 2**40) | st.floats() | st.booleans() | st.lists(st.integers(), max_size=3)
                 | st.dictionaries(st.text(max_size=3), st.integers(), max_size=2), "bad")),
    (1, _verdict(HUGE, "bad")),
)
CLIENT_ID = _weighted(
    (8, _verdict(st.from_regex(CLIENT_ID_RE, fullmatch=True), "ok")),
    (2, _verdict(st.none(), "ok")),
    (1, _verdict(st.sampled_from(["", "-abc", "_abc", "a b", "abc\n", "\u00e7lient", "a" * 65, "a/b", "a.b", *HOSTILE]), "bad")),
    (1, _verdict(st.text(max_size=70).filter(lambda s: not CLIENT_ID_RE.fullmatch(s)), "bad")),
    (1, _verdict(HUGE, "bad")),
    (1, _verdict(NOT_STRING.filter(lambda v: v is not None), "bad")),
)
FORCE = _weighted(
    (10, _verdict(st.booleans(), "ok")),
    # pydantic's lax booleans: "yes", "off", 0, 1, 1.0 ... may be accepted
    (1, _verdict(st.sampled_from(["true", "false", "yes", "no", "on", "off", "1", "0", "t", "f", "TRUE", 0, 1, 0.0, 1.0]),
                 "any")),
    (1, _verdict(st.text(max_size=8), "any")),
    (1, _verdict(st.sampled_from([None, "maybe", "", 2, -1, 0.5, float("nan"), [], {}, [True], {"force": True}, *HOSTILE]),
                 "bad")),
)
EXTRA_KEY = st.one_of(
    st.sampled_from(["reportType", "Report_Type", "as-of", "clientId", "force ", "recipent", "__proto__", "$where",
                     "", "\r\n", "run\r\nBcc", *HOSTILE]),
    st.text(max_size=20),
    HUGE,
).filter(lambda key: key not in RunInput.model_fields)
FIELD_STRATEGIES = {"report_type": REPORT_TYPE, "as_of": AS_OF, "client_id": CLIENT_ID, "force": FORCE}


@st.composite
def run_inputs(draw: Any) -> tuple[Any, set[str], bool]:
    """(input, fields that must be named when refused, whether any verdict is "any")."""
    if draw(st.integers(0, 9)) == 0:  # not an object at all
        return draw(NESTED_JUNK.filter(lambda v: not isinstance(v, dict)) | HUGE), {"input"}, False
    value: dict[str, Any] = {}
    bad: set[str] = set()
    maybe = False
    for name, strategy in FIELD_STRATEGIES.items():
        mode = draw(st.sampled_from(["field"] * 5 + ["missing"]))
        if mode == "missing":
            if name == "report_type":
                bad.add(name)
            continue
        field_value, verdict = draw(strategy)
        value[name] = field_value
        if verdict == "bad":
            bad.add(name)
        maybe = maybe or verdict == "any"
    if draw(st.integers(0, 4)) == 0:
        extras = draw(st.dictionaries(EXTRA_KEY, NESTED_JUNK, min_size=1, max_size=3))
        value.update(extras)
        bad.update(extras)
    return value, bad, maybe


def _names_field(message: str, name: str) -> bool:
    # describe_validation_error writes an empty key as "<root>"
    return (name in message) if name else ("<root>" in message)


def _pydantic_fields(value: dict[str, Any]) -> list[str]:
    try:
        RunInput.model_validate(value)
    except ValidationError as exc:
        return [str(err["loc"][0]) for err in exc.errors() if err["loc"]]
    return ["as_of"]  # valid for the model: only the period math can refuse it


def _check_periods(report_type: str, as_of: date, run: dict[str, Any]) -> None:
    current, previous = report_periods(report_type, as_of)
    assert run["current"] == current.model_dump(mode="json") and run["previous"] == previous.model_dump(mode="json")
    # and independently of report_periods:
    cur_start, cur_end = date.fromisoformat(run["current"]["start"]), date.fromisoformat(run["current"]["end"])
    prev_start, prev_end = date.fromisoformat(run["previous"]["start"]), date.fromisoformat(run["previous"]["end"])
    assert prev_start < prev_end == cur_start < cur_end <= as_of
    if report_type == "daily":
        assert (cur_end, cur_end - cur_start, prev_end - prev_start) == (as_of, timedelta(1), timedelta(1))
    elif report_type == "weekly":
        assert cur_start.weekday() == prev_start.weekday() == 0
        assert cur_end - cur_start == prev_end - prev_start == timedelta(7)
        assert timedelta(0) <= as_of - cur_end < timedelta(7)
    else:
        assert cur_start.day == cur_end.day == prev_start.day == 1
        assert (cur_end.year, cur_end.month) == (as_of.year, as_of.month)
        assert 28 <= (cur_end - cur_start).days <= 31 and 28 <= (prev_end - prev_start).days <= 31


def test_fuzzed_execution_inputs_run_or_are_refused_naming_the_field(tmp_path):
    from local.aws.cost_explorer.data import CostData
    from local.aws.runtime import LocalAWS

    counts = {"fuzzed": 0, "accepted": 0, "rejected": 0}
    with LocalAWS(out_dir=tmp_path / "out", costs=CostData.from_rows([])):
        from chalicelib.core.observability import run_stage
        from chalicelib.reports import store
        from chalicelib.reports.blueprint import STAGES

        @FUZZ
        @given(case=run_inputs())
        def check(case: tuple[Any, set[str], bool]) -> None:
            value, bad, maybe = case
            counts["fuzzed"] += 1
            try:
                result = run_stage(STAGES["plan"], {"input": value, "execution_name": "fuzz", "started_at": STARTED_AT})
            except DataValidationError as exc:
                counts["rejected"] += 1
                message = str(exc)
                assert bad or maybe, f"a valid input was refused: {value!r:.300} -> {message:.300}"
                if not isinstance(value, dict):
                    assert message.startswith("input:"), message[:300]
                    return
                for name in bad | set(_pydantic_fields(value)):
                    assert _names_field(message, name), f"{name!r:.80} not named in {message[:300]!r}"
                return
            # anything other than DataValidationError propagates and fails the test
            counts["accepted"] += 1
            assert not bad, f"a bad input ran: {value!r:.300} (bad: {sorted(bad)!r:.200})"
            run = result["run"]
            as_of = date.fromisoformat(value["as_of"]) if value.get("as_of") else STARTED_DAY
            assert run["report_type"] == value["report_type"] and run["as_of"] == as_of.isoformat()
            assert run["run_id"] == "fuzz" and run["client_id"] == value.get("client_id")
            assert isinstance(run["force"], bool)
            if isinstance(value.get("force"), bool):
                assert run["force"] is value["force"]
            _check_periods(value["report_type"], as_of, run)
            RunContext.model_validate(run)
            meta = next(i for i in store.iter_run_items("fuzz") if i["sk"] == "META")
            assert (meta["report_type"], meta["period_start"]) == (run["report_type"], run["current"]["start"])

        check()

    print(f"\nexecution inputs fuzzed={counts['fuzzed']} accepted={counts['accepted']} rejected={counts['rejected']}")
    assert counts["fuzzed"] >= 1000
    assert counts["accepted"] >= 50 and counts["rejected"] >= 50


# ------------------------------------------------------------------------------------------------
# 2. client configs
# ------------------------------------------------------------------------------------------------

CONFIG_FIELDS = tuple(ClientConfig.model_fields)
ACCOUNT = st.from_regex(r"[0-9]{12}", fullmatch=True)
EMAIL = st.builds(
    "{}@{}".format,
    st.from_regex(r"[a-z0-9][a-z0-9_+-]{0,15}", fullmatch=True),
    st.from_regex(r"[a-z][a-z0-9]{0,10}\.(example|com|org|net|io)", fullmatch=True),
)
HOSTILE_NAMES = [
    '<script>alert("n")</script> & S\u00f6ns "Co"',
    '"><img src=x onerror=alert(1)>',
    "</title><script>alert(1)</script>",
    "<!-- x --> <![CDATA[y]]> <?php ?>",
    "&lt;b&gt;not bold&lt;/b&gt; &amp; &#60;",
    "{{ 7*7 }} {% if x %}",
    "=?utf-8?q?=0D=0ABcc:_evil@evil.example?=",
    "=?utf-8?b?DQpCY2M6IGV2aWxAZXZpbC5leGFtcGxl?= Corp",
    "Acme Bcc: evil@evil.example",
    "x\u202eexe.pdf",
    "\u200b",
    "Z\u00fcrich \u00d6lwerke",
    "\u6771\u4eac\u682a\u5f0f\u4f1a\u793e",
    "\U0001F600\U0001F4B8",
    "O'Brien & Sons",
    "=HYPERLINK(\"http://x\")",
    "a" * 200,
    "\u00e9" * 200,
    "<" * 200,
]
_EDGE_CHAR = st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp", "Zs"))
_NAME_CHAR = st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"))
NAME = st.one_of(
    st.sampled_from(HOSTILE_NAMES),
    st.builds(lambda a, b, c: a + b + c, _EDGE_CHAR, st.text(_NAME_CHAR, max_size=100), _EDGE_CHAR),
    st.builds(lambda a: a, _EDGE_CHAR),
)
ROLE_ARN = st.builds("arn:aws:iam::{}:role/CostReporter{}".format, ACCOUNT,
                     st.from_regex(r"[A-Za-z0-9+=,.@_-]{0,40}", fullmatch=True))
EXTERNAL_ID = st.from_regex(r"[A-Za-z0-9+=,.@:/_-]{16,60}", fullmatch=True)
# A per-client sender must be in the deployment's allowed sender domains (default: SENDER_EMAIL's, example.com).
SENDER = st.builds("{}@example.com".format, st.from_regex(r"[a-z0-9][a-z0-9_+-]{0,15}", fullmatch=True))
MONEY = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1000000000"), places=2)


@st.composite
def valid_configs(draw: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "client_id": draw(st.from_regex(CLIENT_ID_RE, fullmatch=True)),
        "name": draw(NAME),
        "status": draw(st.sampled_from(["ACTIVE", "PAUSED", "DISABLED"])),
        "accounts": draw(st.lists(ACCOUNT, unique=True, max_size=4)),
        "recipients": draw(st.lists(EMAIL, unique=True, max_size=4)),
        "reports": draw(st.lists(st.sampled_from(REPORT_TYPES), unique=True, max_size=3)),
    }
    optional = draw(st.sets(st.sampled_from(["role", "cost_metric", "include", "min_interval_hours", "budgets",
                                             "change_alert", "sender", "reply_to"])))
    if "role" in optional:
        config["role_arn"], config["external_id"] = draw(ROLE_ARN), draw(EXTERNAL_ID)
    if "cost_metric" in optional:
        config["cost_metric"] = draw(st.sampled_from(["UnblendedCost", "AmortizedCost", "NetAmortizedCost", "BlendedCost"]))
    if "include" in optional:
        for flag in draw(st.sets(st.sampled_from(["include_credits", "include_refunds", "include_tax"]), min_size=1)):
            config[flag] = draw(st.booleans())
    if "min_interval_hours" in optional:
        config["min_interval_hours"] = draw(st.dictionaries(st.sampled_from(REPORT_TYPES), st.integers(0, 24 * 400)))
    if "budgets" in optional:
        # JSON has no Decimal: half as numbers, half as strings (both are accepted)
        config["budgets"] = draw(st.one_of(
            st.dictionaries(st.sampled_from(REPORT_TYPES), MONEY.map(str) | MONEY.map(float)),
            st.lists(st.fixed_dictionaries({"amount": MONEY.map(str)}, optional={
                "period": st.sampled_from(["weekly", "monthly", "quarterly", "yearly"]),
                "thresholds": st.lists(st.fixed_dictionaries(
                    {"percent": st.integers(1, 1000)}, optional={"on": st.sampled_from(["actual", "forecast"])}),
                    min_size=1, max_size=3, unique_by=lambda t: (t["percent"], t.get("on", "actual")))}),
                max_size=3, unique_by=lambda b: (b.get("period", "monthly"), Decimal(b["amount"])))))
    if "change_alert" in optional:
        config["change_alert"] = draw(st.fixed_dictionaries({}, optional={
            "pct": st.decimals(min_value=0, max_value=1000, places=1).map(float),
            "absolute": st.decimals(min_value=0, max_value=10**6, places=2).map(str)}))
    if "sender" in optional:
        config["sender"] = draw(SENDER)
    if "reply_to" in optional:
        config["reply_to"] = draw(st.lists(SENDER, unique=True, max_size=3))
    return config


NOT_LIST = st.one_of(st.integers(), st.text(max_size=12), st.booleans(), st.none(),
                     st.dictionaries(st.text(max_size=4), st.integers(), min_size=0, max_size=2))
NOT_BOOL = st.one_of(st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
                     st.sampled_from(["maybe", "", "2", "truee", "true\n", None]), st.integers(2, 10**6), st.floats(0.01, 0.99))
NOT_DICT = st.one_of(st.lists(st.integers(), max_size=2), st.text(max_size=12), st.integers(), st.booleans())
BAD_ADDRESSES = [
    "not-an-email", "a@b", "a@@b.example", "@example.com", "a@", "a b@example.com", "a..b@example.com",
    "\u00fc@example.com", "a@ex\u00e4mple.com", "a@example.com\r\nBcc: evil@evil.example", "a@example.com\nX: y",
    "a@example.com, evil@evil.example", '"a"@example.com',
    "=?utf-8?q?x?=@example.com", "=?utf-8?q?=0D=0ABcc=3A=20evil=40evil.example?=@example.com", "a@exa\u2028mple.com",
    "a@example.com\x00", "", " ",
]
BAD_ADDRESS = st.one_of(st.sampled_from(BAD_ADDRESSES), HUGE.map(lambda s: f"a{s}@example.com"),
                        st.builds(lambda s: f"{s}@example.com", HUGE), NOT_STRING.filter(lambda v: v is not None))
CONTROL = ["\r", "\n", "\r\n", "\t", "\x00", "\x1b", "\x7f", "\u2028", "\u2029", "\x85", "\x0b", "\x0c"]


def _with_control(value: str, control: str, where: int) -> str:
    where = where % (len(value) + 1)
    # never at either end: leading/trailing whitespace controls are stripped, which is fine
    return value[:where] + "x" + control + "Bcc: evil@evil.example" + value[where:]


# Concrete bad values per field: sampled by the hypothesis strategies and cycled by the engine run.
CONCRETE_BAD: dict[str, list[Any]] = {
    "client_id": ["", "-abc", "a b", "abc\n", "\u00e7lient", "a" * 65, "a/b", 42, None, ["x"], *HOSTILE[:4]],
    "name": ["", "   ", None, 42, ["Acme"], "Acme\r\nBcc: evil@evil.example", "Acme\nX-Evil: 1", "Acme\tCorp",
             "Acme\x00", "Acme\u2028Corp", "Acme\x85Corp", "a" * 201, "\u00e9" * 5000],
    "status": ["active", "Active", "ENABLED", "", None, 1, "ACTIVE\n", "<script>"],
    "accounts": ["123456789012", 123456789012, None, {"a": 1}, ["12345"], ["1234567890123"], ["12345678901a"],
                 [" 123456789012"], ["123456789012\n"], ["\uff11" * 12], [123456789012], [None],
                 ["123456789012", "123456789012"], [["123456789012"]]],
    "recipients": ["a@example.com", None, {"to": "a@example.com"}, *([a] for a in BAD_ADDRESSES),
                   ["a@example.com", "A@EXAMPLE.COM"], [f"u{i}@example.com" for i in range(51)]],
    "reports": ["weekly", None, ["fortnightly"], ["WEEKLY"], [None], ["weekly", "weekly"], [["weekly"]], [1]],
    "cost_metric": ["NetUnblendedCost", "unblendedcost", "", None, 1, ["UnblendedCost"], "<script>"],
    "include_credits": ["maybe", "", 2, None, [], {}, 0.5, "true\n"],
    "include_refunds": ["maybe", None, [True]],
    "include_tax": ["nope", None, {"x": 1}],
    "min_interval_hours": [[], "24", 5, {"weekly": -1}, {"weekly": 9601}, {"weekly": 1.5}, {"weekly": "x"},
                           {"yearly": 5}, {"weekly": None}, {"weekly": 10**30}],
    "budgets": [[1], [{}], "500", 5, [{"amount": 5, "period": "fortnightly"}], [{"amount": 5, "thresholds": []}],
                [{"amount": 5, "thresholds": [{"percent": 0}]}], [{"amount": 5, "thresholds": [{"percent": 80, "on": "maybe"}]}],
                [{"amount": 5, "thresholds": [{"percent": 80}, {"percent": 80, "on": "actual"}]}],
                [{"amount": 5}, {"amount": "5.00", "period": "monthly"}], [{"amount": 5, "extra": 1}], {"weekly": 0},
                {"weekly": -5}, {"weekly": float("nan")}, {"weekly": float("inf")},
                {"weekly": float("-inf")}, {"weekly": "NaN"}, {"weekly": "Infinity"}, {"weekly": "abc"},
                {"fortnightly": 5}, {"weekly": None}, {"weekly": 1e30}, {"weekly": "1e-30"}, {"weekly": [1]},
                {"weekly": "1" + "0" * 40}],
    "change_alert": [[], "20", 5, {"pct": -1}, {"absolute": -0.01}, {"pct": float("nan")}, {"absolute": float("inf")},
                     {"pct": "x"}, {"extra": 1}, {"pct": None}, {"pct": {"nested": []}}],
    "sender": [42, ["a@example.com"], *BAD_ADDRESSES],
    "reply_to": ["a@example.com", 5, {"a": 1}, *([a] for a in BAD_ADDRESSES[:8]),
                 [f"r{i}@example.com" for i in range(11)]],
    "role_arn": [42, "arn:aws:iam::123:role/x", "arn:aws:iam::123456789012:user/x", "role/x",
                 "arn:aws:iam::123456789012:role/", "arn:aws:iam::123456789012:role/a b", "arn:aws:iam::123456789012:role/x\n",
                 "arn:aws:iam::123456789012:role/OrganizationAccountAccessRole",
                 "arn:aws:iam::123456789012:role/p/CostReporterX"],
    "external_id": ["a", "has space", "x" * 1225, "fifteen-chars-x", "\u00e9\u00e9\u00e9", "ext\r\nid", 42, ["ab"]],
}
REQUIRED = {"client_id", "name", "status", "accounts", "recipients", "reports"}


def _bad_value(field: str) -> Any:
    """A strategy of values that must be refused for this field."""
    base = st.sampled_from(CONCRETE_BAD[field])
    extra: list[Any] = []
    if field in ("client_id", "name", "status", "cost_metric", "role_arn", "external_id"):
        extra.append(HUGE.map(lambda s: "a" + s + "a" * 1300))  # too long for every string field
        extra.append(NOT_STRING.filter(lambda v: v is not None))
    if field == "client_id":
        extra.append(st.text(max_size=70).filter(lambda s: not CLIENT_ID_RE.fullmatch(s)))
    if field == "name":
        extra.append(st.builds(_with_control, NAME, st.sampled_from(CONTROL), st.integers(0, 300)))
    if field in ("accounts", "recipients", "reports", "reply_to"):
        extra.append(NOT_LIST)
    if field == "accounts":
        extra.append(st.lists(st.text(max_size=14).filter(lambda s: not re.fullmatch(r"[0-9]{12}", s)), min_size=1, max_size=3))
        extra.append(st.lists(ACCOUNT, min_size=1, max_size=3).map(lambda a: a + a[:1]))  # duplicated
    if field in ("recipients", "reply_to"):
        extra.append(st.lists(BAD_ADDRESS, min_size=1, max_size=3))
        if field == "recipients":  # (a duplicated reply-to address is harmless and accepted)
            extra.append(st.lists(EMAIL, min_size=1, max_size=3).map(lambda a: a + [a[0].upper()]))
    if field == "sender":
        extra.append(BAD_ADDRESS)
    if field.startswith("include_"):
        extra.append(NOT_BOOL)
    if field in ("min_interval_hours", "change_alert"):
        extra.append(NOT_DICT)
    if field == "budgets":  # a list of budgets or the older mapping form; an empty list is no budget
        extra.append(st.one_of(st.lists(st.integers(), min_size=1, max_size=2), st.text(max_size=12), st.integers(),
                               st.booleans()))
    if field == "budgets":
        extra.append(st.dictionaries(st.sampled_from(REPORT_TYPES),
                                     st.decimals(max_value=0, allow_nan=False, allow_infinity=False).map(str), min_size=1))
    return st.one_of(base, *extra)


EXTRA_CONFIG_KEY = st.one_of(
    st.sampled_from(["recipent", "Recipients", "account", "budget", "clientId", "name ", "", "\r\n",
                     "x\r\nBcc: evil@evil.example", "__proto__", *HOSTILE]),
    st.text(max_size=24),
    HUGE,
).filter(lambda key: key not in CONFIG_FIELDS)
JUNK_DOCUMENTS = st.one_of(
    st.sampled_from(["", "{", "{not json", "{'client_id': 'a'}", "[]", "null", "1", '"config"', "true", "NaN",
                     '{"client_id": "a",}', "\ufeff{}", "{}}", "[{}]"]),
    st.text(max_size=40),
    HUGE,
)


@st.composite
def client_configs(draw: Any) -> dict[str, Any]:
    """A config as stored (JSON text and key) with the fields a refusal must name."""
    config = draw(valid_configs())
    bad: set[str] = set()
    soft: set[str] = set()  # named only when nothing else is wrong
    maybe: set[str] = set()  # may be refused (then named) or accepted
    key_override = None
    kind = draw(st.sampled_from(["mutated"] * 5 + ["valid"] * 4 + ["junk"]))
    if kind == "junk":
        text = draw(JUNK_DOCUMENTS)
        return {"key": "entry[0]", "text": text, "bad": set(), "soft": set(), "maybe": set(), "junk": True, "config": None}
    if kind == "mutated":
        fields = draw(st.sets(st.sampled_from([*CONCRETE_BAD, "missing", "extra", "role_pair", "stored_key",
                                               "odd_addresses"]),
                              min_size=1, max_size=3))
        if "role_pair" in fields:
            fields -= {"role_arn", "external_id"}
        for field in sorted(fields):
            if field == "missing":
                gone = draw(st.sampled_from(sorted(REQUIRED)))
                config.pop(gone, None)
                bad.add(gone)
            elif field == "extra":
                extras = draw(st.dictionaries(EXTRA_CONFIG_KEY, NESTED_JUNK, min_size=1, max_size=2))
                config.update(extras)
                bad.update(extras)
            elif field == "role_pair":
                # role_arn without external_id or the reverse (both are pydantic model-level errors)
                # (a model-level rule: reported once every field validates)
                if draw(st.booleans()):
                    config["role_arn"] = draw(ROLE_ARN)
                    config.pop("external_id", None)
                    soft.add("external_id")
                else:
                    config["external_id"] = draw(EXTERNAL_ID)
                    config.pop("role_arn", None)
                    soft.add("role_arn")
            elif field == "odd_addresses":
                # any RFC 5322 address (hypothesis' emails()): refused naming the field, or sent intact
                target = draw(st.sampled_from(["recipients", "reply_to", "sender"]))
                config[target] = draw(st.emails()) if target == "sender" else draw(
                    st.lists(st.emails(), min_size=1, max_size=3, unique_by=str.lower))
                maybe.add(target)
            elif field == "stored_key":
                # the key check runs once the config itself validates
                key_override = "stored-under-another-key"
                soft.add("client_id")
            else:
                config[field] = draw(_bad_value(field))
                bad.add(field)
                if field == "role_arn":
                    config.setdefault("external_id", draw(EXTERNAL_ID))
                if field == "external_id":
                    config.setdefault("role_arn", draw(ROLE_ARN))
    text = json.dumps(config, ensure_ascii=draw(st.booleans()))
    client_id = config.get("client_id")
    key = key_override or (client_id if isinstance(client_id, str) and client_id.strip() else "entry[0]")
    soft -= bad
    maybe -= bad
    return {"key": key, "text": text, "bad": bad, "soft": soft, "maybe": maybe, "junk": False, "config": config}


def _names_config_field(reason: str, field: str) -> bool:
    if field == "":
        return "<root>: unknown field" in reason
    # a location starts the reason or follows "; ", and is followed by ":", "." or "["
    pattern = rf"(?:^invalid client config: |; ){re.escape(field)}(?::|\.|\[)"
    if re.search(pattern, reason, flags=re.DOTALL):
        return True
    # model-level rules (role_arn / external_id pairing) are reported at <root>, naming the field in the text
    return field in ("role_arn", "external_id") and "<root>:" in reason and field in reason


SERVICE_NAMES = st.one_of(
    st.sampled_from([
        "Amazon Elastic Compute Cloud - Compute", "AWS Lambda", '"><img src=x onerror=alert(1)>=cmd|calc',
        "<script>alert('svc')</script>", "</td></tr></table><img src=x>", "=HYPERLINK(\"http://x\")", "+1", "-1", "@SUM(A1)",
        "Tax", "a\r\nb", "\u202e\u200b", "&amp;&lt;", "<b>bold</b>", "x" * 300,
    ]),
    st.text(min_size=1, max_size=60),
)
AMOUNT = st.one_of(
    st.decimals(min_value=Decimal("-10000000"), max_value=Decimal("10000000"), places=4),
    st.sampled_from([Decimal(0), Decimal("0.0001"), Decimal("-0.0001"), Decimal("0.005"), Decimal("-0.005"),
                     Decimal("-0.00"), Decimal("9999999.9999")]),
)

_TEMPLATE = (ROOT / "chalicelib" / "reports" / "rendering" / "templates"
             / "report.html.j2").read_text()
TEMPLATE_TAGS = set(re.findall(r"</?([a-zA-Z][a-zA-Z0-9]*)", _TEMPLATE)) - {"if", "endif"}
TEMPLATE_ATTRS = set(re.findall(r"\s([a-z-]+)=", _TEMPLATE)) | {"nowrap"}  # nowrap: the template's one bare attribute
HEADER_NAMES = {"From", "To", "Subject", "Date", "Message-ID", "X-Cost-Report-Client", "X-Cost-Report-Run",
                "MIME-Version", "Content-Type"}
DEFAULT_SENDER = "reports@cost-reporter.example"


class _Html(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.attrs: set[str] = set()
        self.data: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attrs.update(name for name, _ in attrs)

    handle_startendtag = handle_starttag

    def handle_data(self, data: str) -> None:
        self.data.append(data)


def _has_control(text: str) -> bool:
    return any(unicodedata.category(ch) == "Cc" or ch in "\u2028\u2029" for ch in text)


def _check_rendered(config: ClientConfig, lines: list[CostLine], report_type: str, as_of: date, currency: str,
                    estimated: bool) -> bool:
    """Render as the render stage does and build the email as deliver does; True when an email was built."""
    current, previous = report_periods(report_type, as_of)
    run = RunContext(run_id="fuzz", report_type=report_type, as_of=as_of, current=current, previous=previous,
                     started_at=f"{as_of.isoformat()}T09:00:00Z")
    dataset = CostDataset(client=config, run=run, currency=currency, estimated=estimated, lines=lines)
    report = analyze(dataset)
    rendered = render_report(report)

    # --- HTML: nothing untrusted unescaped ---
    html = rendered.html
    lowered = html.lower()
    assert "<script" not in lowered and "<img" not in lowered and "<svg" not in lowered and "<iframe" not in lowered
    services = {line.service for line in lines}
    for value in (config.name, *services):
        # markup-looking input (and not just a fragment of our own template) never appears raw
        if re.search(r"<[A-Za-z!/?]", value) and value not in _TEMPLATE:
            assert value not in html, f"raw untrusted string in HTML: {value!r:.100}"
    assert str(escape(config.name)) in html
    parser = _Html()
    parser.feed(html)
    parser.close()
    assert parser.tags <= TEMPLATE_TAGS, parser.tags - TEMPLATE_TAGS
    assert parser.attrs <= TEMPLATE_ATTRS, parser.attrs - TEMPLATE_ATTRS
    # Parsed as HTML, every untrusted string shown comes back as text, whole: none of it became markup.
    assert config.name in parser.data  # the header div shows the name exactly
    hidden = re.search(r"(\d+) more services, see the attachment", html)
    shown = report.services[: len(report.services) - (int(hidden.group(1)) if hidden else 0)]
    for row in shown:  # the services table may be capped to keep the email small
        assert row.service in parser.data, f"service name not intact as text: {row.service!r:.100}"
    assert rendered.subject in parser.data  # <title>
    assert not _has_control(rendered.subject) and len(rendered.subject) <= 150
    assert rendered.text.startswith(f"{report_type.capitalize()} AWS cost report: {config.name}\n")
    rows = list(csv.reader(io.StringIO(rendered.csv)))
    assert len(rows) == 1 + len(report.lines)

    if not config.recipients:
        return False  # eligibility never sends to a client without recipients
    # --- the email, built as deliver builds it ---
    sender = config.sender or DEFAULT_SENDER
    raw = build_message(
        sender=sender, recipients=list(config.recipients), reply_to=list(config.reply_to), subject=rendered.subject,
        text=rendered.text, html=rendered.html, csv_body=rendered.csv, csv_filename=rendered.csv_filename,
        extra_headers={"X-Cost-Report-Client": config.client_id, "X-Cost-Report-Run": "fuzz"},
    )
    head = raw.split(b"\r\n\r\n", 1)[0]
    header_text = head.decode("ascii")  # pure ASCII: non-ASCII is RFC 2047-encoded
    physical = header_text.split("\r\n")
    assert not any("\r" in line or "\n" in line for line in physical)
    names = [line.split(":", 1)[0] for line in physical if line and not line[0].isspace()]
    expected = HEADER_NAMES | ({"Reply-To"} if config.reply_to else set())
    assert sorted(names) == sorted(expected), (names, config.name)
    message = message_from_bytes(raw, policy=default_policy)
    assert message["Bcc"] is None and message["Cc"] is None
    subject = str(message["Subject"])
    assert not _has_control(subject), repr(subject)
    # Same text up to whitespace: the stdlib may fold right after "Subject:" (a leading space once
    # unfolded) and drops a space between two adjacent RFC 2047 words (cosmetic, never a control char).
    assert "".join(subject.split()) == "".join(header_safe(rendered.subject).split())
    assert [a.addr_spec for a in message["To"].addresses] == list(config.recipients)
    assert [a.addr_spec for a in message["From"].addresses] == [sender]
    # deliver takes the SES envelope from these headers, parsed the way it parses them
    envelope = BytesHeaderParser().parsebytes(raw)
    assert [address for _, address in getaddresses(envelope.get_all("To", []))] == list(config.recipients)
    assert parseaddr(envelope.get("From", ""))[1] == sender
    if config.reply_to:
        assert [a.addr_spec for a in message["Reply-To"].addresses] == list(config.reply_to)
    body = message.get_body(preferencelist=("html",)).get_content()
    assert body.splitlines() == html.splitlines()  # the MIME round trip normalises line ends only
    return True


def test_fuzzed_client_configs_are_validated_naming_the_field_and_render_safely():
    counts = {"fuzzed": 0, "valid": 0, "invalid": 0, "rendered": 0, "emailed": 0}

    @FUZZ
    @given(case=client_configs(), data=st.data())
    def check(case: dict[str, Any], data: Any) -> None:
        counts["fuzzed"] += 1
        result = parse_client_config(case["key"], case["text"])
        if isinstance(result, str):
            counts["invalid"] += 1
            assert result.startswith("invalid client config: ")
            if case["junk"]:
                assert "<root>:" in result or any(_names_config_field(result, f) for f in CONFIG_FIELDS), result[:300]
                return
            assert case["bad"] or case["soft"] or case["maybe"], (
                f"a valid config was refused: {case['text']!r:.300} -> {result[:300]}")
            # the role pairing is checked once every field validates, and the stored key after that
            expected = case["bad"] or case["maybe"] or (case["soft"] - {"client_id"}) or case["soft"]
            if case["maybe"] and not case["bad"]:
                assert any(_names_config_field(result, f) for f in expected | case["soft"]), result[:400]
                return
            for field in expected:
                assert _names_config_field(result, field), f"{field!r:.60} not named in {result[:400]!r}"
            return
        counts["valid"] += 1
        assert isinstance(result, ClientConfig)
        assert not case["bad"] and not case["soft"] and not case["junk"], (
            f"a bad config was accepted: {case['text']!r:.300} ({case['bad']})")
        assert result.client_id == case["key"]

        lines = data.draw(st.lists(
            st.builds(lambda account, service, current, previous: CostLine(
                account_id=account, service=service, current_amount=current, previous_amount=previous),
                st.sampled_from(result.accounts), SERVICE_NAMES, AMOUNT, st.just(Decimal(0)) | AMOUNT),
            max_size=25)) if result.accounts else []
        report_type = data.draw(st.sampled_from(REPORT_TYPES))
        as_of = data.draw(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)))
        emailed = _check_rendered(result, lines, report_type, as_of, data.draw(st.sampled_from(["USD", "EUR"])),
                                  data.draw(st.booleans()))
        counts["rendered"] += 1
        counts["emailed"] += emailed

    check()
    print(f"\nclient configs fuzzed={counts['fuzzed']} valid={counts['valid']} invalid={counts['invalid']} "
          f"(rendered={counts['rendered']} emailed={counts['emailed']})")
    assert counts["fuzzed"] >= 1000
    assert counts["valid"] >= 100 and counts["invalid"] >= 100 and counts["emailed"] >= 50


def test_non_finite_amounts_never_reach_a_cost_line():
    for amount in (float("nan"), float("inf"), "NaN", "-Infinity", "sNaN"):
        try:
            CostLine(account_id="111111111111", service="s", current_amount=amount, previous_amount=0)
        except ValidationError as exc:
            assert "current_amount" in str(exc)
        else:
            raise AssertionError(f"{amount!r} accepted as a cost amount")


# ------------------------------------------------------------------------------------------------
# 3. one engine run: fuzzed configs mixed with good clients
# ------------------------------------------------------------------------------------------------

def _engine_bad_configs(count: int = 46) -> list[tuple[str, Any, set[str]]]:
    """(stored key, config as written, fields its failure must name): every bad-value kind in turn."""
    from local.aws.client_configs import client_id_of, entry_key
    from tests.factories import client_config

    cases: list[tuple[str, Any, set[str]]] = []
    fields = [*CONCRETE_BAD, "missing", "extra", "junk", "huge-key", "huge-client-id"]
    first = 3  # the good clients come first in the list
    for i in range(count):
        field = fields[i % len(fields)]
        client_id = f"fuzz-{i:02d}"
        # every bad client has its own recipients, sender and reply-to: none of them may receive anything
        config: dict[str, Any] = client_config(client_id, [f"{900000000000 + i:012d}"],
                                        recipients=[f"victim{i}@bad{i}.example"],
                                        sender=f"sender{i}@bad{i}.example", reply_to=[f"reply{i}@bad{i}.example"])
        if field == "junk":
            cases.append((entry_key(first + i), '{"client_id": "fuzz", "recipients": ["victim@bad.example"]', {"<root>"}))
            continue
        if field == "missing":
            config.pop(["name", "status", "accounts", "reports"][i % 4])
            bad = {"name", "status", "accounts", "reports"} - set(config)
        elif field == "extra":
            config["recipent\r\nBcc: evil@evil.example"] = ["evil@evil.example"]
            bad = {"recipent\r\nBcc: evil@evil.example"}
        elif field == "huge-client-id":
            config["client_id"] = f"{i}" + "\u00e9" * 3000  # not a valid id: stored under its position
            bad = {"client_id"}
        elif field == "huge-key":
            # a 150 KB field name: the reason stays small enough for records and the execution output
            key = "k" * 150_000
            config[key] = 1
            bad = {"k" * 20}
        else:
            values = CONCRETE_BAD[field]
            config[field] = values[(i // len(fields)) % len(values)]
            if field == "role_arn":
                config["external_id"] = "ext-ok-0123456789"
            if field == "external_id":
                config["role_arn"] = "arn:aws:iam::123456789012:role/CostReporterPayer"
            bad = {field}
        cases.append((client_id_of(config) or entry_key(first + i), config, bad))
    return cases


def test_engine_run_with_fuzzed_configs_delivers_the_good_clients_only(local_aws):
    from tests.factories import client_config, cost_rows

    good = [client_config("good-a", ["111111111111"]), client_config("good-b", ["222222222222", "222222222223"]),
            client_config("good-c", ["333333333333"], name='<b>Good</b> & "C"')]
    bad_cases = _engine_bad_configs()
    rows = cost_rows([a for c in good for a in c["accounts"]] + [f"{900000000000 + i:012d}" for i in range(len(bad_cases))])
    aws = local_aws(clients=[*good, *(config for _, config, _ in bad_cases)], rows=rows)
    described = aws.run({"report_type": "weekly", "as_of": "2026-11-18"}, name="weekly-fuzzed-configs")
    assert described["status"] == "SUCCEEDED", described
    output = described["output"]
    assert len(output.encode("utf-8")) < 256 * 1024  # the Step Functions payload limit
    summary = json.loads(output)

    records = aws.run_records("weekly-fuzzed-configs")
    assert {cid: records[cid]["status"] for cid in ("good-a", "good-b", "good-c")} == dict.fromkeys(
        ("good-a", "good-b", "good-c"), "completed"), {cid: records[cid] for cid in ("good-a", "good-b", "good-c")}
    bad_keys = {key for key, _, _ in bad_cases}
    assert len(bad_keys) == len(bad_cases)  # every bad config is its own client
    for key, _config, bad in bad_cases:
        record = records[key]
        assert record["status"] == "failed" and record["category"] == "configuration", (key, record)
        reason = record["reason"]
        assert len(reason) <= 4000
        for field in bad:
            if field == "<root>":
                assert "<root>: Invalid JSON" in reason, reason
            else:
                assert _names_config_field(reason, field) or field in reason, (key, field[:40], reason[:300])
    assert summary["delivered"] == 3 and summary["failed"] == len(bad_cases)

    bad_addresses = {"evil@evil.example"}
    for _, config, _ in bad_cases:
        if isinstance(config, dict):
            for name in ("recipients", "sender", "reply_to"):
                value = config.get(name)
                bad_addresses.update(v.lower() for v in (value if isinstance(value, list) else [value]) if isinstance(v, str))
    assert {"victim0@bad0.example", "sender1@bad1.example", "reply2@bad2.example"} <= bad_addresses
    assert sorted(s["client_id"] for s in aws.outbox.sent) == ["good-a", "good-b", "good-c"]
    for sent in aws.outbox.sent:
        assert not bad_addresses & {a.lower() for a in sent["to"]}
        message = message_from_bytes(sent["raw"], policy=default_policy)
        addresses = [a.addr_spec.lower() for name in ("To", "From", "Reply-To", "Cc", "Bcc") if message[name]
                     for a in message[name].addresses]
        assert not bad_addresses & set(addresses)
        assert addresses[0] == f"finops@{sent['client_id']}.example"
    print(f"\nengine run: {len(good)} good clients delivered, {len(bad_cases)} fuzzed configs failed as configuration")

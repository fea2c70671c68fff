import json

import pytest
from pydantic import ValidationError

from chalicelib.core.models import ClientConfig, describe_validation_error
from chalicelib.reports.contracts import RunInput

GOOD = {
    "client_id": "acme",
    "name": "Acme Retail",
    "status": "ACTIVE",
    "accounts": ["111122223333"],
    "recipients": ["finops@acme.example"],
    "reports": ["daily", "weekly"],
}


def _error(model, data):
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    return describe_validation_error(caught.value)


def test_defaults_are_sensible():
    config = ClientConfig.model_validate(GOOD)
    assert config.cost_metric == "UnblendedCost"
    assert config.record_types_excluded() == ["Credit", "Refund"]
    # The ledger decides what is due; min_interval_hours only spaces out forced re-sends (off by default).
    assert config.min_interval_for("daily") == 0 and config.min_interval_for("monthly") == 0
    assert config.send_empty_reports is False and config.shared_accounts == []


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"recipients": ["not-an-address"]}, "recipients[0]"),
        ({"recipients": ["a@b.example\r\nBcc: evil@x.example"]}, "recipients[0]"),
        ({"name": "Acme\r\nBcc: evil@x.example"}, "name"),
        ({"accounts": ["12345"]}, "accounts[0]"),
        ({"accounts": ["١٢٣٤٥٦٧٨٩٠١٢"]}, "accounts[0]"),  # non-ASCII digits are not an account id
        ({"accounts": ["111122223333", "111122223333"]}, "accounts"),
        ({"reports": ["hourly"]}, "reports[0]"),
        ({"status": "ENABLED"}, "status"),
        ({"sender": "x@y.example\nTo: z@w.example"}, "sender"),
        ({"budgets": {"weekly": "NaN"}}, "budgets[0].amount"),
        ({"budgets": {"weekly": -5}}, "budgets[0].amount"),
        ({"budgets": [{"amount": 100, "period": "fortnightly"}]}, "budgets[0].period"),
        ({"budgets": [{"amount": 100, "thresholds": [{"percent": 80, "on": "guess"}]}]}, "budgets[0].thresholds[0].on"),
        ({"notifications": {"slack_secret": "https://hooks.slack.com/services/x"}}, "notifications.slack_secret"),
        ({"recipent": ["x@y.example"]}, "recipent"),
    ],
)
def test_bad_config_names_the_field(patch, field):
    message = _error(ClientConfig, {**GOOD, **patch})
    assert message.startswith(field + ":") or f"; {field}:" in message, message


def test_role_arn_requires_external_id():
    message = _error(ClientConfig, {**GOOD, "role_arn": "arn:aws:iam::999988887777:role/CostReporterReadCosts"})
    assert "external_id is required" in message


def test_missing_required_field_is_named():
    data = dict(GOOD)
    del data["recipients"]
    assert _error(ClientConfig, data) == "recipients: field required"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"report_type": "yearly"}, "report_type"),
        ({"report_type": "weekly", "as_of": "22/11/2026"}, "as_of"),
        ({"report_type": "weekly", "as_of": "2026-02-30"}, "as_of"),
        ({"report_type": "weekly", "client_id": "../etc"}, "client_id"),
        ({"report_type": "weekly", "force": "maybe"}, "force"),
        ({"report_type": "weekly", "clientid": "x"}, "clientid"),
        ({}, "report_type"),
    ],
)
def test_bad_run_input_names_the_field(data, field):
    assert _error(RunInput, data).startswith(field + ":")


def test_account_names_and_attachments():
    config = ClientConfig.model_validate(GOOD)
    assert config.attachments == ["csv"] and config.account_names == {}
    named = ClientConfig.model_validate({**GOOD, "account_names": {"111122223333": " Prod "}, "attachments": ["csv", "pdf"]})
    assert named.account_names == {"111122223333": "Prod"}
    assert "account_names: 999999999999 not in the client's accounts" in _error(
        ClientConfig, {**GOOD, "account_names": {"999999999999": "Other"}})
    assert "attachments[0]" in _error(ClientConfig, {**GOOD, "attachments": ["docx"]})
    assert "duplicate entries: pdf" in _error(ClientConfig, {**GOOD, "attachments": ["pdf", "pdf"]})
    assert "control characters" in _error(ClientConfig, {**GOOD, "account_names": {"111122223333": "a\nb"}})


# ---- account ids: the rule of the client's cost source -------------------------------------------------


@pytest.mark.parametrize("account", ["/subscriptions/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b", "my-gcp-project-123",
                                     "ocid1.tenancy.oc1..aaaaaaaexample", "111122223333"])
def test_an_export_client_keeps_the_ids_its_export_writes(account):
    config = ClientConfig.model_validate({**GOOD, "accounts": [account], "cost_source": "focus"})
    assert config.accounts == [account]


@pytest.mark.parametrize(("account", "problem"), [("x\x07y", "printable"), (" 111122223333", "surrounding spaces"),
                                                  ("", "1 to 256"), ("a" * 257, "1 to 256")])
def test_an_export_client_id_must_be_printable_and_bounded(account, problem):
    message = _error(ClientConfig, {**GOOD, "accounts": [account], "cost_source": "focus"})
    assert message.startswith("accounts[0]:") and problem in message, message


def test_a_cost_explorer_client_keeps_the_12_digit_rule_whether_named_or_by_default():
    azure = "/subscriptions/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"
    for extra in ({}, {"cost_source": "cost_explorer"}):
        message = _error(ClientConfig, {**GOOD, "accounts": [azure], **extra})
        assert message.startswith("accounts[0]: Value error, must be a 12-digit AWS account id"), message


def test_the_stage_default_source_decides_for_a_client_that_names_none(monkeypatch):
    from chalicelib.core.settings import get_settings

    monkeypatch.setenv("DEFAULT_COST_SOURCE", "focus")
    get_settings.cache_clear()
    try:
        config = ClientConfig.model_validate({**GOOD, "accounts": ["my-gcp-project-123"]})
        assert config.accounts == ["my-gcp-project-123"]
    finally:
        monkeypatch.delenv("DEFAULT_COST_SOURCE")
        get_settings.cache_clear()


def test_the_overlap_rule_applies_to_export_ids_too():
    from chalicelib.core.clients import check_configs

    azure = "/subscriptions/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"
    stored = [(cid, json.dumps({**GOOD, "client_id": cid, "accounts": [azure], "cost_source": "focus"}))
              for cid in ("one", "two")]
    verdicts = check_configs(stored)
    assert all(isinstance(v, str) and azure in v and "also listed by client" in v for v in verdicts.values()), verdicts

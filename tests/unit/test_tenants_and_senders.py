"""Client configs name what breaks the tenant rules (payer roles, shared accounts, recipients) and runs
take only booleans; the same rules through the engine are in tests/integration/test_tenants_and_senders.py."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from chalicelib.core.models import ClientConfig, describe_validation_error
from chalicelib.reports.contracts import RunInput
from tests.factories import client_config as client

GOOD = client("acme", ["111122223333"])


def _error(model, data) -> str:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    return describe_validation_error(caught.value)


@pytest.mark.parametrize("external_id", ["x1", "short-id-15char"])
def test_external_id_has_a_minimum_length(external_id):
    message = _error(ClientConfig, {**GOOD, "role_arn": "arn:aws:iam::999988887777:role/CostReporterReadCosts",
                                    "external_id": external_id})
    assert message.startswith("external_id:") and "at least 16" in message


def test_role_arn_must_use_the_documented_role_name():
    message = _error(ClientConfig, {**GOOD, "role_arn": "arn:aws:iam::999988887777:role/OrganizationAccountAccessRole",
                                    "external_id": "3f0e7c2a-51b4-4c8e-9d1a-acme"})
    assert message.startswith("role_arn:") and "CostReporter" in message
    ok = ClientConfig.model_validate({**GOOD, "role_arn": "arn:aws:iam::999988887777:role/CostReporterReadCosts",
                                      "external_id": "3f0e7c2a-51b4-4c8e-9d1a-acme"})
    assert ok.role_arn.endswith("/CostReporterReadCosts")


def test_shared_accounts_must_be_the_clients_own():
    assert _error(ClientConfig, {**GOOD, "shared_accounts": ["999999999999"]}).startswith("<root>: Value error, shared_accounts")


@pytest.mark.parametrize("force", ["yes", "true", 1, 0, "false", "off"])
def test_force_accepts_only_booleans(force):
    assert _error(RunInput, {"report_type": "weekly", "force": force}).startswith("force:")


def test_punycode_recipient_domains_are_accepted_as_written():
    config = ClientConfig.model_validate({**GOOD, "recipients": ["finops@xn--bcher-kva.example"],
                                          "reply_to": ["billing@xn--mnchen-3ya.example"]})
    assert config.recipients == ["finops@xn--bcher-kva.example"]
    assert config.reply_to == ["billing@xn--mnchen-3ya.example"]

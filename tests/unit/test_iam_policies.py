"""Least privilege, checked on every IAM policy file the deploy uses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests import ROOT

POLICY_FILES = sorted((ROOT / ".chalice" / "policies").rglob("*.json"))

# Actions AWS offers no resource-level permissions for: "Resource": "*" is the only form.
NO_RESOURCE_LEVEL = {"ce:GetCostAndUsage", "ce:GetCostForecast", "xray:PutTraceSegments", "xray:PutTelemetryRecords"}


def _statements(path: Path) -> list[dict]:
    statements = json.loads(path.read_text())["Statement"]
    return statements if isinstance(statements, list) else [statements]


def _as_list(value) -> list[str]:
    return value if isinstance(value, list) else [value]


def test_every_function_of_every_stage_has_a_policy_file():
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    assert config.get("autogen_policy") is False or all(
        stage.get("autogen_policy") is False for stage in config["stages"].values())
    for stage_name, stage in config["stages"].items():
        for function, settings in stage["lambda_functions"].items():
            path = ROOT / ".chalice" / settings["iam_policy_file"]
            assert path in POLICY_FILES, (stage_name, function, path)


@pytest.mark.parametrize("path", POLICY_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_wildcard_actions_or_needless_wildcard_resources(path):
    assert POLICY_FILES, "no policy files found"
    for statement in _statements(path):
        assert statement["Effect"] == "Allow"
        actions = _as_list(statement["Action"])
        for action in actions:
            assert action != "*" and not action.endswith(":*"), f"{path.name}: wildcard action {action}"
        if "*" in _as_list(statement["Resource"]):
            needless = [a for a in actions if a not in NO_RESOURCE_LEVEL]
            assert not needless, f"{path.name}: Resource * for {needless}, which support resource-level permissions"


# ---- who may send as whom, read which role, write which artefact ---------------------------------

STAGES = sorted({p.parent.name for p in POLICY_FILES})


def _policy(stage: str, function: str) -> list[dict]:
    return _statements(ROOT / ".chalice" / "policies" / stage / f"{function}.json")


@pytest.mark.parametrize("stage", STAGES)
def test_deliver_may_send_only_from_the_allowed_sender_domains(stage):
    from infra.stages import load

    settings = load()[stage]
    sends = [s for s in _policy(stage, "deliver_report") if any(a.startswith("ses:") for a in _as_list(s["Action"]))]
    assert len(sends) == 1
    assert sends[0]["Action"] == ["ses:SendEmail"]  # SESv2 SendEmail (raw content too); SendRawEmail is unused
    allowed = settings.sender_domains()
    assert allowed and settings.sender.rpartition("@")[2] in allowed
    assert sends[0]["Condition"] == {"StringLike": {"ses:FromAddress": [f"*@{d}" for d in allowed]}}
    for path in POLICY_FILES:
        assert "ses:SendRawEmail" not in path.read_text(), path


@pytest.mark.parametrize("stage", STAGES)
def test_collect_costs_may_write_only_its_own_artefact_and_assume_only_payer_roles(stage):
    from chalicelib.core.constants import COSTS_ARTEFACT, ORGANIZATIONS_CACHE, PAYER_ROLE_NAME_PREFIX

    statements = _policy(stage, "collect_costs")
    puts = [s for s in statements if "s3:PutObject" in _as_list(s["Action"])]
    # its artefact (the costs with the report context, one object) and the run's cache of payer account names
    allowed = (f"/runs/*/*/{COSTS_ARTEFACT}", f"/runs/*/{ORGANIZATIONS_CACHE}/*")
    resources = [r for s in puts for r in s["Resource"]]
    assert sorted(r[r.index("/runs/"):] for r in resources) == sorted(allowed), puts
    assert not any(r.endswith(("message.eml", "runs/*")) for s in puts for r in s["Resource"])
    roles = [s for s in statements if "sts:AssumeRole" in _as_list(s["Action"])]
    assert len(roles) == 1 and roles[0]["Resource"] == [f"arn:aws:iam::*:role/{PAYER_ROLE_NAME_PREFIX}*"]
    assert roles[0]["Condition"]["Null"] == {"sts:ExternalId": "false"}


def test_the_allowed_sender_domains_reach_the_functions_and_docs_name_the_role_pattern():
    from chalicelib.core.constants import ENV_ALLOWED_SENDER_DOMAINS, PAYER_ROLE_NAME_PREFIX

    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    for stage in config["stages"].values():
        assert stage["environment_variables"][ENV_ALLOWED_SENDER_DOMAINS]
    assert f"{PAYER_ROLE_NAME_PREFIX}ReadCosts" in (ROOT / "docs" / "DEPLOY.md").read_text()

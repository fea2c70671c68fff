"""Least privilege, checked on every IAM policy file the deploy uses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
POLICY_FILES = sorted((ROOT / ".chalice" / "policies").rglob("*.json"))

# Actions AWS offers no resource-level permissions for: "Resource": "*" is the only form.
NO_RESOURCE_LEVEL = {"ce:GetCostAndUsage", "xray:PutTraceSegments", "xray:PutTelemetryRecords"}


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

"""A stage's own KMS key in the IAM policies: each function (and state machine role) gains exactly the
KMS actions its grants need, on that key only, through that service only; a stage without a key
gains none. The key setting itself is validated."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from infra import stages
from infra.kinds.state_machine import role_policy
from infra.naming import Concrete
from infra.policies import policy_for
from infra.stage import Stage, load_stage

KEY = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def keyed(name: str = "prod") -> Stage:
    stage = load_stage(name)
    return dataclasses.replace(stage, settings=stage.settings.model_copy(update={"kms_key_arn": KEY}))


def kms_of(policy: dict[str, Any]) -> dict[str, list[str]]:
    """Via service -> actions, of the statements on KMS."""
    found = {}
    for statement in policy["Statement"]:
        if any(action.startswith("kms:") for action in statement["Action"]):
            assert statement["Resource"] == [KEY], statement
            assert all(action.startswith("kms:") for action in statement["Action"]), statement
            found[statement["Condition"]["StringLike"]["kms:ViaService"]] = statement["Action"]
    return found


@pytest.mark.parametrize(("function", "expected"), [
    # writes its Map items only: a data key, never a decrypt of S3 objects
    ("eligibility", {"dynamodb.*.amazonaws.com": ["kms:Decrypt"], "s3.*.amazonaws.com": ["kms:GenerateDataKey"]}),
    # reads the unsubscribe links' key secret (per-recipient List-Unsubscribe)
    ("deliver_report", {"dynamodb.*.amazonaws.com": ["kms:Decrypt"], "s3.*.amazonaws.com": ["kms:Decrypt"],
                        "secretsmanager.*.amazonaws.com": ["kms:Decrypt"]}),
    ("render_report", {"dynamodb.*.amazonaws.com": ["kms:Decrypt"],
                       "s3.*.amazonaws.com": ["kms:Decrypt", "kms:GenerateDataKey"],
                       "sqs.*.amazonaws.com": ["kms:Decrypt", "kms:GenerateDataKey"]}),
    ("notify_consumer", {"dynamodb.*.amazonaws.com": ["kms:Decrypt"],
                         "secretsmanager.*.amazonaws.com": ["kms:Decrypt"],
                         "sns.*.amazonaws.com": ["kms:Decrypt", "kms:GenerateDataKey"],
                         "sqs.*.amazonaws.com": ["kms:Decrypt"]}),
    ("daily_trigger", {}),  # starts an execution: nothing encrypted
])
def test_each_function_gains_the_kms_actions_its_grants_need(function: str, expected: dict[str, list[str]]) -> None:
    assert kms_of(policy_for(keyed(), function)) == expected
    assert kms_of(policy_for(load_stage("prod"), function)) == {}


def test_every_function_with_an_encrypted_resource_and_only_those_can_use_the_key() -> None:
    stage = keyed()
    encrypted = ("TableItems", "BucketObjects", "SendToQueue", "ConsumeQueue", "PublishTo", "ReadSecrets")
    for spec in stage.functions:
        uses = any(type(grant).__name__ in encrypted for grant in spec.grants)
        assert bool(kms_of(policy_for(stage, spec.name))) == uses, spec.name


def test_the_cost_report_machine_reads_and_writes_its_map_items_under_the_key() -> None:
    stage = keyed()
    machine = stage.description.machine("cost_report")
    policy = role_policy(stage, Concrete(stage, "eu-west-1", "123456789012"), machine)
    assert kms_of(policy) == {"s3.*.amazonaws.com": ["kms:Decrypt", "kms:GenerateDataKey"]}


def test_the_stage_environment_names_the_key_and_objects_are_written_under_it(monkeypatch: Any) -> None:
    from chalicelib.core.caches import reset_all
    from chalicelib.core.store.objects import encryption

    assert keyed().stage_environment()["KMS_KEY_ARN"] == KEY
    assert "KMS_KEY_ARN" not in load_stage("prod").stage_environment()
    monkeypatch.setenv("KMS_KEY_ARN", KEY)
    reset_all()
    assert encryption() == {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": KEY, "BucketKeyEnabled": True}
    monkeypatch.delenv("KMS_KEY_ARN")
    reset_all()
    assert encryption() == {"ServerSideEncryption": "AES256"}


@pytest.mark.parametrize("value", ["alias/cost-reporter", "arn:aws:kms:eu-west-1:123456789012:alias/cost-reporter",
                                   "1234abcd-12ab-34cd-56ef-1234567890ab"])
def test_a_key_given_by_alias_or_bare_id_is_refused(value: str, tmp_path: Any) -> None:
    path = tmp_path / "stages.json"
    path.write_text(json.dumps({"prod": {"sender": "reports@example.com", "kms_key_arn": value}}))
    with pytest.raises(ValueError, match="kms_key_arn"):
        stages.load(path)

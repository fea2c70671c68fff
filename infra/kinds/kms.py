"""A stage's own KMS key (optional: `kms_key_arn` in infra/stages.json), as each kind renders it.

deploy.py reads the key from the stage; resources.yaml from the StageConfig mapping (`KmsKeyArn`,
NO_KEY for a stage without one) under the condition CONDITION, so one template serves every stage.
The key itself is the operator's (its key policy: docs/DEPLOY.md#your-own-kms-key); nothing here
creates or changes it.
"""

from __future__ import annotations

from typing import Any

from infra.naming import Naming
from infra.stage import Stage

CONDITION = "UseStageKey"
NO_KEY = "none"
MAPPING_KEY = "KmsKeyArn"
NO_VALUE = {"Ref": "AWS::NoValue"}


def key(stage: Stage) -> str | None:
    return stage.settings.kms_key_arn


def mapping_value(stage: Stage) -> str:
    return stage.settings.kms_key_arn or NO_KEY


def condition() -> dict[str, Any]:
    return {"Fn::Not": [{"Fn::Equals": [{"Fn::FindInMap": ["StageConfig", {"Ref": "Stage"}, MAPPING_KEY]}, NO_KEY]}]}


def cfn_key(n: Naming) -> Any:
    return n.value(MAPPING_KEY)


def cfn_if(with_key: Any, without: Any = NO_VALUE) -> dict[str, Any]:
    return {"Fn::If": [CONDITION, with_key, without]}


_SENTINEL = "arn:aws:kms:us-east-1:000000000000:key/stage-key"


def cfn_statements(stage: Stage, n: Naming, grants: tuple[Any, ...]) -> list[Any]:
    """The KMS statements `grants` need (infra/policies.kms_statements), for resources.yaml: each on the
    packaged stage's key and present only when it has one."""
    from infra.policies import kms_statements

    keyed = with_key(stage, _SENTINEL)
    return [cfn_if({**statement, "Resource": [cfn_key(n)]}) for statement in kms_statements(keyed, grants)]


def with_key(stage: Stage, key_arn: str | None) -> Stage:
    """The stage with another key (None: as if it had none)."""
    import dataclasses

    return dataclasses.replace(stage, settings=stage.settings.model_copy(update={"kms_key_arn": key_arn}))


def stage_independent(value: Any, stage: Stage, n: Naming) -> Any:
    """`value` rendered for `stage` (resources.yaml renders with the first stage), with that stage's
    resource names replaced by the packaged stage's (the StageConfig mapping): a policy that names the
    bucket or the state machine must name the stage's own, whichever stage is packaged."""
    from infra.naming import stage_values

    names = sorted(((key, text) for key, text in stage_values(stage).items()
                    if not key.startswith("TimeoutMs") and key != MAPPING_KEY and len(text) > 3),
                   key=lambda item: -len(item[1]))

    def render(item: Any) -> Any:
        if isinstance(item, dict):
            return {k: render(v) for k, v in item.items()}
        if isinstance(item, list):
            return [render(v) for v in item]
        if not isinstance(item, str) or "${" in item:
            return item
        template, used = item, {}
        for key, text in names:
            if text in template:
                template = template.replace(text, "${" + key + "}")
                used[key] = n.value(key)
        return n.sub(template, **used) if used else item

    return render(value)

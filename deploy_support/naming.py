"""One description of the infrastructure, two renderings: concrete values (deploy.py) or CloudFormation.

Specs (alarms, dashboard, state machine role, ...) are written once against a `Naming`:
`naming.value("Table")` is the stage's table name for deploy.py and
`{"Fn::FindInMap": ["StageConfig", {"Ref": "Stage"}, "Table"]}` in resources.yaml;
`naming.sub("${Prefix}-alerts", Prefix=...)` is a string or an `Fn::Sub`. `${AWS::Region}` and
`${AWS::AccountId}` are understood by both.
"""

from __future__ import annotations

import re
from typing import Any

from deploy_support.project import Stage

_VARIABLE = re.compile(r"\$\{([A-Za-z0-9_:.]+)\}")


def stage_values(stage: Stage) -> dict[str, str]:
    """Everything that differs between stages, by key (the StageConfig mapping of resources.yaml)."""
    values = {
        "Prefix": stage.prefix,
        "Table": stage.table_name,
        "Bucket": stage.bucket_name,
        "ConfigurationSet": stage.configuration_set,
        "AlertTopic": stage.alert_topic_name,
        "StateMachine": stage.state_machine_name(),
        "StateMachineLogGroup": stage.state_machine_log_group(),
        "StateMachineRole": stage.state_machine_role_name,
    }
    for spec in stage.functions:
        values[f"Function{spec.logical_id}"] = stage.function_name(spec.name)
        values[f"TimeoutMs{spec.logical_id}"] = str(spec.timeout * 1000)
    return values


class Naming:
    cloudformation = False

    def value(self, key: str) -> Any:
        raise NotImplementedError

    def sub(self, template: str, **variables: Any) -> Any:
        raise NotImplementedError

    def ref(self, logical_id: str) -> Any:
        """A resource's ARN/name as the other path knows it (Ref in CloudFormation)."""
        raise NotImplementedError

    def arn(self, logical_id: str) -> Any:
        """A resource's ARN (GetAtt .Arn in CloudFormation)."""
        raise NotImplementedError


class Concrete(Naming):
    def __init__(self, stage: Stage, region: str, account: str, refs: dict[str, str] | None = None,
                 arns: dict[str, str] | None = None):
        self.stage = stage
        self.region = region
        self.account = account
        self.values = stage_values(stage)
        self.refs = refs or {}
        self.arns = arns or {}

    def value(self, key: str) -> str:
        return self.values[key]

    def sub(self, template: str, **variables: Any) -> str:
        known = {"AWS::Region": self.region, "AWS::AccountId": self.account, "AWS::Partition": "aws", **variables}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in known:
                raise KeyError(f"no value for ${{{name}}} in {template!r}")
            return str(known[name])

        return _VARIABLE.sub(replace, template)

    def ref(self, logical_id: str) -> str:
        return self.refs[logical_id]

    def arn(self, logical_id: str) -> str:
        return self.arns[logical_id]


class CloudFormation(Naming):
    cloudformation = True

    def value(self, key: str) -> dict[str, Any]:
        return {"Fn::FindInMap": ["StageConfig", {"Ref": "Stage"}, key]}

    def sub(self, template: str, **variables: Any) -> Any:
        if "${" not in template:
            return template
        return {"Fn::Sub": [template, variables]} if variables else {"Fn::Sub": template}

    def ref(self, logical_id: str) -> dict[str, Any]:
        return {"Ref": logical_id}

    def arn(self, logical_id: str) -> dict[str, Any]:
        return {"Fn::GetAtt": [logical_id, "Arn"]}

"""Two renderings of one description: concrete values (deploy.py, the local runtime) or CloudFormation.

Specs (alarms, dashboard, policies of state machine roles, function environments, ASL
substitutions) are written once against a `Naming`: `naming.name(table)` is the stage's table
name for deploy.py and `{"Ref": "ReportsTable"}` in resources.yaml; `naming.value("Prefix")` is
a string or a `Fn::FindInMap` into the StageConfig mapping; `naming.sub("${Prefix}-x", ...)` is
a string or an `Fn::Sub`. `${AWS::Region}` and `${AWS::AccountId}` are understood by both.
"""

from __future__ import annotations

import re
from typing import Any

from infra.model import Bucket, EmailConfigurationSet, Queue, StateMachine, Table, Topic
from infra.stage import Stage

_VARIABLE = re.compile(r"\$\{([A-Za-z0-9_:.]+)\}")
CUSTOM_UNSUBSCRIBE_URL = "CustomUnsubscribeUrl"  # resources.yaml's condition: the stage names its own base URL
NO_UNSUBSCRIBE_URL = "none"


def stage_values(stage: Stage) -> dict[str, str]:
    """Everything that differs between stages, by key (the StageConfig mapping of resources.yaml)."""
    d = stage.description
    values = {"Prefix": stage.prefix, "ConfigurationSet": stage.configuration_set, "SecretsPrefix": stage.secrets_prefix,
              "KmsKeyArn": stage.settings.kms_key_arn or "none",  # infra/kinds/kms.py: MAPPING_KEY, NO_KEY
              "UnsubscribeBaseUrl": stage.settings.unsubscribe_base_url.rstrip("/") or NO_UNSUBSCRIBE_URL}
    for table in d.tables:
        values[f"{table.logical_id}Name"] = stage.table_name(table)
    for bucket in d.buckets:
        values[f"{bucket.logical_id}Name"] = stage.bucket_name(bucket)
    for queue in d.queues:
        values[f"{queue.logical_id}Name"] = stage.queue_name(queue)
        values[f"{queue.dlq_logical_id}Name"] = stage.dlq_name(queue)
    for topic in d.topics:
        values[f"{topic.logical_id}Name"] = stage.topic_name(topic)
    for machine in d.state_machines:
        values[f"{machine.logical_id}Name"] = stage.state_machine_name(machine)
        values[f"{machine.logical_id}LogGroup"] = stage.state_machine_log_group(machine)
        values[f"{machine.logical_id}Role"] = stage.state_machine_role_name(machine)
    for spec in stage.functions:
        values[f"Function{spec.logical_id}"] = stage.function_name(spec.name)
        if stage.role_name(spec.name) != stage.function_name(spec.name):  # the routes' handler (Chalice's naming)
            values[f"Role{spec.logical_id}"] = stage.role_name(spec.name)
        values[f"TimeoutMs{spec.logical_id}"] = str(spec.timeout * 1000)
    return values


class Naming:
    cloudformation = False

    def value(self, key: str) -> Any:
        raise NotImplementedError

    def sub(self, template: str, **variables: Any) -> Any:
        raise NotImplementedError

    def name(self, resource: Any) -> Any:
        raise NotImplementedError

    def arn(self, resource: Any) -> Any:
        raise NotImplementedError

    def url(self, queue: Queue) -> Any:
        raise NotImplementedError

    def dlq_arn(self, queue: Queue) -> Any:
        raise NotImplementedError

    def function_arn(self, function: str) -> Any:
        raise NotImplementedError

    def api_base_url(self) -> Any:
        """The REST API's own base URL (its stage path included), or None while it is not deployed."""
        raise NotImplementedError


class Concrete(Naming):
    def __init__(self, stage: Stage, region: str, account: str, urls: dict[str, str] | None = None):
        self.stage = stage
        self.region = region
        self.account = account
        self.values = stage_values(stage)
        self.urls = urls if urls is not None else {}  # queue key -> URL as the endpoint gave it
        self.api_url: str | None = None  # `chalice deploy`'s rest_api_url, once it ran (infra/kinds/chalice_app.py)

    def api_base_url(self) -> str | None:
        return self.api_url.rstrip("/") if self.api_url else None

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

    def name(self, resource: Any) -> str:
        stage = self.stage
        if isinstance(resource, Table):
            return stage.table_name(resource)
        if isinstance(resource, Bucket):
            return stage.bucket_name(resource)
        if isinstance(resource, Queue):
            return stage.queue_name(resource)
        if isinstance(resource, Topic):
            return stage.topic_name(resource)
        if isinstance(resource, StateMachine):
            return stage.state_machine_name(resource)
        if isinstance(resource, EmailConfigurationSet):
            return stage.configuration_set
        raise TypeError(resource)

    def arn(self, resource: Any) -> str:
        r, a, name = self.region, self.account, self.name(resource)
        if isinstance(resource, Table):
            return f"arn:aws:dynamodb:{r}:{a}:table/{name}"
        if isinstance(resource, Bucket):
            return f"arn:aws:s3:::{name}"
        if isinstance(resource, Queue):
            return f"arn:aws:sqs:{r}:{a}:{name}"
        if isinstance(resource, Topic):
            return f"arn:aws:sns:{r}:{a}:{name}"
        if isinstance(resource, StateMachine):
            return f"arn:aws:states:{r}:{a}:stateMachine:{name}"
        raise TypeError(resource)

    def dlq_arn(self, queue: Queue) -> str:
        return f"arn:aws:sqs:{self.region}:{self.account}:{self.stage.dlq_name(queue)}"

    def url(self, queue: Queue) -> str:
        return self.urls.get(queue.key) or f"https://sqs.{self.region}.amazonaws.com/{self.account}/{self.name(queue)}"

    def function_arn(self, function: str) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account}:function:{self.stage.function_name(function)}"

    def role_arn(self, role_name: str) -> str:
        return f"arn:aws:iam::{self.account}:role/{role_name}"

    def log_group_arn(self, name: str) -> str:
        return f"arn:aws:logs:{self.region}:{self.account}:log-group:{name}"


class CloudFormation(Naming):
    cloudformation = True

    def value(self, key: str) -> dict[str, Any]:
        return {"Fn::FindInMap": ["StageConfig", {"Ref": "Stage"}, key]}

    def sub(self, template: str, **variables: Any) -> Any:
        if "${" not in template:
            return template
        return {"Fn::Sub": [template, variables]} if variables else {"Fn::Sub": template}

    @staticmethod
    def ref(logical_id: str) -> dict[str, Any]:
        return {"Ref": logical_id}

    @staticmethod
    def get_att(logical_id: str, attribute: str = "Arn") -> dict[str, Any]:
        return {"Fn::GetAtt": [logical_id, attribute]}

    def name(self, resource: Any) -> Any:
        if isinstance(resource, (Table, Bucket, EmailConfigurationSet)):
            return self.ref(resource.logical_id)
        if isinstance(resource, Queue):
            return self.get_att(resource.logical_id, "QueueName")
        if isinstance(resource, Topic):
            return self.get_att(resource.logical_id, "TopicName")
        if isinstance(resource, StateMachine):
            return self.get_att(resource.logical_id, "Name")
        raise TypeError(resource)

    def arn(self, resource: Any) -> Any:
        if isinstance(resource, (Table, Bucket, Queue)):
            return self.get_att(resource.logical_id)
        if isinstance(resource, (Topic, StateMachine)):
            return self.ref(resource.logical_id)
        raise TypeError(resource)

    def dlq_arn(self, queue: Queue) -> Any:
        return self.get_att(queue.dlq_logical_id)

    def url(self, queue: Queue) -> Any:
        return self.ref(queue.logical_id)

    def function_arn(self, function: str) -> Any:
        from infra.model import Function

        return self.get_att(Function(function, timeout=1).logical_id)

    def api_base_url(self) -> Any:
        # Chalice's RestAPI resource and its stage (config.json api_gateway_stage "api")
        return {"Fn::Sub": "https://${RestAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}/api"}

    def unsubscribe_base_url(self) -> Any:
        """The stage's `unsubscribe_base_url` when it sets one, else the stack's own API URL."""
        return {"Fn::If": [CUSTOM_UNSUBSCRIBE_URL, self.value("UnsubscribeBaseUrl"), self.api_base_url()]}

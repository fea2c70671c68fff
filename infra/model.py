"""The vocabulary of the infrastructure description: resources, typed IAM grants, functions.

Plain frozen dataclasses (no boto3, no pydantic): `infra/description.py` is written in these
types and every rendering (deploy.py, resources.yaml, IAM policy files, config.json, the local
runtime) reads them. A resource is named by its `key`; everything else about it (its AWS name
per stage, CloudFormation logical id, environment variable, ASL placeholders) is derived.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.core.constants import API_HANDLER


def camel(text: str) -> str:
    """collect_costs / cost-report / runs/ -> CollectCosts / CostReport / Runs."""
    return "".join(part.capitalize() for part in text.replace("-", "_").replace("/", "_").split("_") if part)


def dashed(text: str) -> str:
    return text.replace("_", "-")


# ---- resources ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """A DynamoDB table with string keys `pk`/`sk`, on demand, TTL and point-in-time recovery."""

    key: str
    env: str  # the variable holding its name in the functions granted access
    suffix: str = ""  # name: <app>-<stage><suffix>
    ttl_attribute: str | None = None
    retain: bool = True  # CloudFormation DeletionPolicy: Retain (data outlives the stack)

    @property
    def logical_id(self) -> str:
        return camel(self.key) + "Table"


@dataclass(frozen=True)
class Bucket:
    """An S3 bucket: SSE-S3, public access blocked, owner-enforced, TLS only (not on loopback stages)."""

    key: str
    env: str
    suffix: str
    expiring_prefixes: tuple[tuple[str, int], ...] = ()  # (prefix, days): lifecycle expiry
    retain: bool = True

    @property
    def logical_id(self) -> str:
        return camel(self.key) + "Bucket"


@dataclass(frozen=True)
class Queue:
    """An SQS queue with its dead-letter queue (redrive after `max_receive_count` receives) and an
    alarm on the DLQ's depth. Consumed by the function(s) holding a `ConsumeQueue` grant through
    Chalice's `@app.on_sqs_message(queue=<its name>)`; the visibility timeout must be at least six
    times the consumer's timeout (AWS's advice, checked by the description test)."""

    key: str
    visibility_timeout: int
    max_receive_count: int = 5
    retention_seconds: int = 4 * 86400
    dlq_retention_seconds: int = 14 * 86400
    env: str | None = None  # default: <KEY>_QUEUE_URL

    @property
    def logical_id(self) -> str:
        return camel(self.key) + "Queue"

    @property
    def dlq_logical_id(self) -> str:
        return camel(self.key) + "DeadLetterQueue"

    @property
    def env_name(self) -> str:
        return self.env or f"{self.key.upper()}_QUEUE_URL"


@dataclass(frozen=True)
class Topic:
    key: str
    env: str | None = None  # default: <KEY>_TOPIC_ARN
    alarm_target: bool = False  # alarms notify this topic

    @property
    def logical_id(self) -> str:
        return camel(self.key) + "Topic"

    @property
    def env_name(self) -> str:
        return self.env or f"{self.key.upper()}_TOPIC_ARN"


@dataclass(frozen=True)
class EmailConfigurationSet:
    """The SES configuration set every message goes through; its events become CloudWatch metrics."""

    env: str
    event_types: tuple[str, ...] = ("send", "reject", "bounce", "complaint", "delivery", "renderingFailure")
    logical_id: str = "SesConfigurationSet"


@dataclass(frozen=True)
class SecretsPrefix:
    """Secrets live in Secrets Manager under `<app>/<stage>/` (created by operators, never in configs);
    functions holding `ReadSecrets` may read exactly those."""

    env: str


@dataclass(frozen=True)
class Api:
    """The Chalice app's REST API, which `chalice deploy` and `chalice package` make from the app's
    routes (its function, API_HANDLER, is described like any other), and what its one route needs:
    the HMAC key its links are signed with, a secret under the stage's prefix that deploy creates
    with a random key when it is missing (never overwritten: rotation is the operator's), and its
    public base URL (the stage's `unsubscribe_base_url`, else the API's own URL) in `base_url_env`."""

    routes: tuple[str, ...]
    key_secret: str
    base_url_env: str
    logical_id: str = "UnsubscribeKeySecret"  # the secret's, in resources.yaml


@dataclass(frozen=True)
class StateMachine:
    """A STANDARD state machine from statemachines/<key>.asl.json. Its `${...}` placeholders are
    substituted from what the description defines: `<Function>FunctionArn` for every function,
    `<Logical>Name` / `<Logical>Arn` / `<Logical>Url` for tables, buckets, queues, topics and
    other state machines. Its role may invoke exactly the functions its definition names, plus
    `grants` (e.g. SendToQueue for `sqs:sendMessage.waitForTaskToken`)."""

    key: str
    env: str | None = None  # default: <KEY>_STATE_MACHINE_ARN
    grants: tuple[Grant, ...] = ()

    @property
    def logical_id(self) -> str:
        return camel(self.key) + "StateMachine"

    @property
    def asl_file(self) -> str:
        return f"{self.key}.asl.json"

    @property
    def env_name(self) -> str:
        return self.env or f"{self.key.upper()}_STATE_MACHINE_ARN"


# ---- grants: what a function (or a state machine's role) may do -----------------------------------


@dataclass(frozen=True)
class TableItems:
    """DynamoDB `actions` on the table's items whose partition key matches `partition_keys`."""

    table: str
    actions: tuple[str, ...]
    partition_keys: tuple[str, ...]


@dataclass(frozen=True)
class BucketObjects:
    """S3 object `actions` under `prefix`; readers may also list the prefix (a missing object is then
    a 404, not an AccessDenied that would be misread as a permissions problem)."""

    bucket: str
    prefix: str
    actions: tuple[str, ...]
    keys: str = "*"  # under the prefix: e.g. "*/*/costs.json" for one artefact name only


@dataclass(frozen=True)
class CostExplorer:
    actions: tuple[str, ...] = ("ce:GetCostAndUsage",)


@dataclass(frozen=True)
class AssumePayerRoles:
    """sts:AssumeRole on clients' payer roles: only with an ExternalId, only with the session name
    prefix the code uses, never a role of this same account."""

    session_prefix: str
    role_name_prefix: str  # only roles named so (docs/DEPLOY.md tells clients the name)


@dataclass(frozen=True)
class SendEmail:
    """ses:SendEmail (SESv2, raw content included) from the account's identities through the
    configuration set, with a From address only in the stage's allowed sender domains."""


@dataclass(frozen=True)
class PublishTo:
    topic: str


@dataclass(frozen=True)
class SendToQueue:
    queue: str


@dataclass(frozen=True)
class ConsumeQueue:
    """What Chalice's SQS event source needs: receive, delete, read attributes of the queue."""

    queue: str


@dataclass(frozen=True)
class StartExecution:
    machine: str
    watch: bool = False  # also DescribeExecution on its executions (a trigger that waits for a dry run)


@dataclass(frozen=True)
class RunMapChildren:
    """A state machine whose Distributed Map runs child executions of itself: it starts them
    (states:StartExecution on itself) and describes/stops them (its executions)."""

    machine: str


@dataclass(frozen=True)
class ReadSecrets:
    """secretsmanager:GetSecretValue on the stage's secrets prefix."""


@dataclass(frozen=True)
class UnsubscribeKey:
    """secretsmanager:GetSecretValue on the Api's key secret only; the function gets the secrets
    prefix and the route's public base URL (signs per-recipient unsubscribe links)."""


@dataclass(frozen=True)
class Athena:
    """Athena `actions` on the workgroups of the stage's exports (nothing when it declares none)."""

    actions: tuple[str, ...] = ("athena:StartQueryExecution", "athena:GetQueryExecution")


@dataclass(frozen=True)
class ReadExports:
    """What an Athena query over the stage's exports reads with the caller's credentials: the Glue
    database and tables (the exports' and the run-accounts table), the exports' objects, the run
    accounts (runs/*/export-accounts/) and the result location (read and written)."""


Grant = (TableItems | BucketObjects | CostExplorer | AssumePayerRoles | SendEmail | PublishTo | SendToQueue
         | ConsumeQueue | StartExecution | RunMapChildren | ReadSecrets | Athena | ReadExports | UnsubscribeKey)


@dataclass(frozen=True)
class Function:
    """A Lambda function of the Chalice app (its name there) with its timeout and grants. Memory and
    reserved concurrency are per stage (infra/stages.json)."""

    name: str
    timeout: int
    grants: tuple[Grant, ...] = ()
    pipeline: bool = False  # a state machine task watched by the duration-near-timeout alarm

    @property
    def logical_id(self) -> str:
        """Chalice's CloudFormation logical id: collect_costs -> CollectCosts (the routes' handler: APIHandler)."""
        return "APIHandler" if self.name == API_HANDLER else camel(self.name)

    @property
    def log_group_logical_id(self) -> str:
        """Chalice's logical id of the function's log group (`<name>-log-group`, camel-cased)."""
        return camel(self.name) + "LogGroup"

    @property
    def role_logical_id(self) -> str:
        """Chalice's logical id of the function's role (`<name>_role`, camel-cased)."""
        return camel(self.name) + "Role"

    @property
    def placeholder(self) -> str:
        """Its ARN's placeholder in the ASL: collect_costs -> CollectCostsFunctionArn."""
        return camel(self.name) + "FunctionArn"


@dataclass(frozen=True)
class Description:
    """Everything a stage deploys beyond what `chalice deploy` makes itself, and each function's grants."""

    app_name: str
    log_retention_days: int
    tables: tuple[Table, ...] = ()
    buckets: tuple[Bucket, ...] = ()
    queues: tuple[Queue, ...] = ()
    topics: tuple[Topic, ...] = ()
    email: EmailConfigurationSet | None = None
    secrets: SecretsPrefix | None = None
    api: Api | None = None
    state_machines: tuple[StateMachine, ...] = ()
    functions: tuple[Function, ...] = ()

    def table(self, key: str) -> Table:
        return _find(self.tables, key, "table")

    def bucket(self, key: str) -> Bucket:
        return _find(self.buckets, key, "bucket")

    def queue(self, key: str) -> Queue:
        return _find(self.queues, key, "queue")

    def topic(self, key: str) -> Topic:
        return _find(self.topics, key, "topic")

    def machine(self, key: str) -> StateMachine:
        return _find(self.state_machines, key, "state machine")

    def function(self, name: str) -> Function:
        for function in self.functions:
            if function.name == name:
                return function
        raise KeyError(f"no function {name!r} in infra/description.py")

    @property
    def alarm_topic(self) -> Topic:
        targets = [t for t in self.topics if t.alarm_target]
        if len(targets) != 1:
            raise ValueError("infra/description.py: exactly one topic must have alarm_target=True")
        return targets[0]


def _find(items: tuple, key: str, kind: str):  # type: ignore[no-untyped-def]
    for item in items:
        if item.key == key:
            return item
    raise KeyError(f"no {kind} {key!r} in infra/description.py (known: {', '.join(i.key for i in items) or 'none'})")

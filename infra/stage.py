"""A stage resolved: the description + the stage's settings -> every name, size and variable.

Every name derives from the stage: resources of stage `prod` are `cost-reporter-prod...`, so the
code, the IAM policies and the infrastructure can never disagree. Which functions are schedules
or queue consumers is read from the Chalice app itself (its event sources), not restated.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chalicelib.core import constants as c
from infra import stages as stage_settings
from infra.app_source import ROOT, app_problems, asl_placeholders, cached_app_functions
from infra.description import DESCRIPTION
from infra.model import (
    Bucket,
    BucketObjects,
    Description,
    Function,
    Grant,
    PublishTo,
    Queue,
    ReadSecrets,
    SendEmail,
    SendToQueue,
    StartExecution,
    StateMachine,
    Table,
    TableItems,
    Topic,
    UnsubscribeKey,
    dashed,
)

POWERTOOLS_SERVICE_NAME = "POWERTOOLS_SERVICE_NAME"
POWERTOOLS_LOG_LEVEL = "POWERTOOLS_LOG_LEVEL"
POWERTOOLS_METRICS_DISABLED = "POWERTOOLS_METRICS_DISABLED"


@dataclass(frozen=True)
class FunctionSpec:
    """A function of one stage: its description entry with the stage's sizes."""

    function: Function
    kind: str  # "task" (a state machine task), "trigger" (a schedule), "consumer" (SQS), "api" (routes), "function"
    memory: int
    timeout: int
    reserved_concurrency: int | None
    policy_file: str  # relative to .chalice/
    schedule: str | None = None

    @property
    def name(self) -> str:
        return self.function.name

    @property
    def logical_id(self) -> str:
        return self.function.logical_id

    @property
    def placeholder(self) -> str:
        return self.function.placeholder

    @property
    def grants(self) -> tuple[Grant, ...]:
        return self.function.grants


@dataclass(frozen=True)
class Stage:
    name: str
    project_dir: Path
    settings: stage_settings.StageSettings
    functions: tuple[FunctionSpec, ...]
    description: Description = DESCRIPTION

    # ---- names ------------------------------------------------------------------------------

    @property
    def app_name(self) -> str:
        return self.description.app_name

    @property
    def prefix(self) -> str:
        return f"{self.app_name}-{self.name}"

    @property
    def xray(self) -> bool:
        return self.settings.xray

    @property
    def loopback(self) -> bool:
        return self.settings.loopback

    def table_name(self, table: Table | str | None = None) -> str:
        table = self._resolve(table, self.description.tables, self.description.table)
        return f"{self.prefix}{table.suffix}"

    def bucket_name(self, bucket: Bucket | str | None = None) -> str:
        bucket = self._resolve(bucket, self.description.buckets, self.description.bucket)
        return self.settings.bucket_names.get(bucket.key) or f"{self.prefix}{bucket.suffix}"

    def queue_name(self, queue: Queue | str) -> str:
        queue = self._resolve(queue, self.description.queues, self.description.queue)
        return c.queue_name(queue.key, self.name)

    def dlq_name(self, queue: Queue | str) -> str:
        return f"{self.queue_name(queue)}-dlq"

    def topic_name(self, topic: Topic | str | None = None) -> str:
        topic = self._resolve(topic, self.description.topics, self.description.topic)
        return f"{self.prefix}-{dashed(topic.key)}"

    @property
    def alert_topic_name(self) -> str:
        return self.topic_name(self.description.alarm_topic)

    @property
    def configuration_set(self) -> str:
        return self.prefix

    @property
    def secrets_prefix(self) -> str:
        return c.SECRETS_PREFIX_TEMPLATE.format(stage=self.name)

    def function_name(self, function: str) -> str:
        # Chalice names the routes' handler <app>-<stage>, every other function <app>-<stage>-<name>.
        return self.prefix if function == c.API_HANDLER else f"{self.prefix}-{function}"

    def role_name(self, function: str) -> str:
        """Chalice's name for a function's role (autogen_policy off: one role per function)."""
        return f"{self.prefix}-{function}"

    def state_machine_name(self, machine: StateMachine | str | None = None) -> str:
        machine = self._resolve(machine, self.description.state_machines, self.description.machine)
        return f"{self.prefix}-{dashed(machine.key)}"

    def state_machine_role_name(self, machine: StateMachine | str | None = None) -> str:
        return f"{self.state_machine_name(machine)}-states"

    def state_machine_log_group(self, machine: StateMachine | str | None = None) -> str:
        # The /aws/vendedlogs/ prefix keeps the CloudWatch Logs resource policy small (AWS advice).
        return f"/aws/vendedlogs/states/{self.state_machine_name(machine)}"

    def lambda_log_group(self, function: str) -> str:
        return f"/aws/lambda/{self.function_name(function)}"

    def chalice_log_groups(self) -> list[str]:
        """Every function's log group, and the one `chalice deploy` also makes for the API handler under
        its resource name (/aws/lambda/<app>-<stage>-api_handler, which nothing writes to): teardown
        deletes them all."""
        groups = [self.lambda_log_group(spec.name) for spec in self.functions]
        return groups + [f"/aws/lambda/{self.role_name(spec.name)}" for spec in self.functions
                         if self.role_name(spec.name) != self.function_name(spec.name)]

    @property
    def dashboard_name(self) -> str:
        return self.prefix

    def alarm_name(self, kind: str) -> str:
        return f"{self.prefix}-{kind}"

    @property
    def deployed_file(self) -> Path:
        return self.project_dir / ".chalice" / "deployed" / f"{self.name}.json"

    @staticmethod
    def _resolve(item: Any, items: tuple, find: Any) -> Any:  # type: ignore[type-arg]
        if item is None:
            if len(items) != 1:
                raise ValueError(f"say which one: the description has {len(items)}")
            return items[0]
        return find(item) if isinstance(item, str) else item

    # ---- functions --------------------------------------------------------------------------

    @property
    def tasks(self) -> tuple[FunctionSpec, ...]:
        return tuple(f for f in self.functions if f.kind == "task")

    @property
    def triggers(self) -> tuple[FunctionSpec, ...]:
        return tuple(f for f in self.functions if f.kind == "trigger")

    def function(self, name: str) -> FunctionSpec:
        for spec in self.functions:
            if spec.name == name:
                return spec
        raise KeyError(name)

    # ---- environment: derived from the grants --------------------------------------------------

    def stage_environment(self) -> dict[str, str]:
        """What every function of the stage gets (config.json's stage environment_variables)."""
        env = {
            c.ENV_STAGE: self.name,
            c.ENV_SENDER_EMAIL: self.settings.sender,
            c.ENV_ALLOWED_SENDER_DOMAINS: ",".join(self.settings.sender_domains()),
            c.ENV_MAX_CONCURRENCY: str(self.settings.max_concurrency),
            c.ENV_RUN_RECORD_DAYS: str(self.settings.run_record_days),
            POWERTOOLS_SERVICE_NAME: c.SERVICE_NAME,
            POWERTOOLS_LOG_LEVEL: self.settings.log_level,
        }
        if self.settings.metrics_disabled:
            env[POWERTOOLS_METRICS_DISABLED] = "true"
        if self.settings.sec_user_agent:
            env[c.ENV_SEC_USER_AGENT] = self.settings.sec_user_agent
        if self.settings.kms_key_arn:
            env[c.ENV_KMS_KEY_ARN] = self.settings.kms_key_arn
        if self.settings.branding:
            from chalicelib.core.branding import branding_variable

            env[c.ENV_BRANDING] = branding_variable(self.settings.branding)
        if self.settings.exports:
            import json

            env[c.ENV_COST_EXPORTS] = json.dumps(self.cost_exports(), separators=(",", ":"))
            env[c.ENV_EXPORT_POLL_SECONDS] = str(self.settings.export_poll_seconds)
        if self.settings.default_cost_source != c.COST_EXPLORER_SOURCE:
            env[c.ENV_DEFAULT_COST_SOURCE] = self.settings.default_cost_source
        return env

    # ---- billing exports (chalicelib/costs/export/declarations.py reads what this writes) ----------

    @property
    def athena_database(self) -> str:
        return self.prefix.replace("-", "_")

    @property
    def athena_workgroup(self) -> str:
        return self.prefix

    @property
    def athena_results_uri(self) -> str:
        return f"s3://{self.bucket_name()}/{c.ATHENA_RESULTS_PREFIX}"

    def cost_exports(self) -> list[dict[str, Any]]:
        """The stage's exports with every default filled in (the COST_EXPORTS variable's content)."""
        return [{"name": e.name, "format": e.format, "s3_uri": e.s3_uri if e.s3_uri.endswith("/") else e.s3_uri + "/",
                 "database": e.database or self.athena_database, "table": e.table or e.name.replace("-", "_"),
                 "accounts_table": c.RUN_ACCOUNTS_TABLE, "workgroup": e.workgroup or self.athena_workgroup,
                 "results_uri": e.results_uri or self.athena_results_uri, "aws_columns": e.aws_columns}
                for e in self.settings.exports]

    def environment(self, function: str, naming: Any = None) -> dict[str, Any]:
        """The variables a function's grants give it. Without `naming`: the names only, known before
        anything is deployed (config.json). With it: also the ARNs/URLs, which hold the account id
        (set after the resources exist by deploy.py, references in resources.yaml)."""
        d = self.description
        env: dict[str, Any] = {}

        def name(resource: Any, plain: str) -> Any:
            return plain if naming is None else naming.name(resource)

        for grant in self.function(function).grants:
            if isinstance(grant, TableItems):
                table = d.table(grant.table)
                env[table.env] = name(table, self.table_name(table))
            elif isinstance(grant, BucketObjects):
                bucket = d.bucket(grant.bucket)
                env[bucket.env] = name(bucket, self.bucket_name(bucket))
            elif isinstance(grant, SendEmail) and d.email is not None:
                env[d.email.env] = name(d.email, self.configuration_set)
            elif isinstance(grant, ReadSecrets) and d.secrets is not None:
                env[d.secrets.env] = self.secrets_prefix if naming is None else naming.value("SecretsPrefix")
            elif isinstance(grant, UnsubscribeKey) and d.api is not None:
                if d.secrets is not None:
                    env[d.secrets.env] = self.secrets_prefix if naming is None else naming.value("SecretsPrefix")
                if naming is not None and naming.cloudformation:  # the stage's own, else the stack's API
                    env[d.api.base_url_env] = naming.unsubscribe_base_url()
                elif self.settings.unsubscribe_base_url:  # a custom domain: known before anything is deployed
                    env[d.api.base_url_env] = self.settings.unsubscribe_base_url.rstrip("/")
                elif naming is not None and naming.api_base_url() is not None:  # the API's own URL, once it exists
                    env[d.api.base_url_env] = naming.api_base_url()
            elif naming is None:
                continue
            elif isinstance(grant, PublishTo):
                env[d.topic(grant.topic).env_name] = naming.arn(d.topic(grant.topic))
            elif isinstance(grant, SendToQueue):
                env[d.queue(grant.queue).env_name] = naming.url(d.queue(grant.queue))
            elif isinstance(grant, StartExecution):
                env[d.machine(grant.machine).env_name] = naming.arn(d.machine(grant.machine))
        return env

    def placeholders(self, naming: Any, function_arns: dict[str, Any]) -> dict[str, Any]:
        """Every `${...}` value an ASL definition may use."""
        values: dict[str, Any] = {spec.placeholder: function_arns[spec.name] for spec in self.functions}
        d = self.description
        for resource in (*d.tables, *d.buckets, *d.queues, *d.topics, *d.state_machines):
            values[f"{resource.logical_id}Name"] = naming.name(resource)
            values[f"{resource.logical_id}Arn"] = naming.arn(resource)
        for queue in d.queues:
            values[f"{queue.logical_id}Url"] = naming.url(queue)
        return values

    def machine_tasks(self, machine: StateMachine) -> list[FunctionSpec]:
        """The functions a state machine's definition invokes (its role may invoke exactly these)."""
        used = set(asl_placeholders(machine))
        return [spec for spec in self.functions if spec.placeholder in used]


def stage_names(project_dir: Path = ROOT) -> list[str]:
    return sorted(stage_settings.load(_stages_file(project_dir)))


def _stages_file(project_dir: Path) -> Path:
    local = project_dir / "infra" / "stages.json"
    return local if local.exists() else stage_settings.STAGES_FILE


def load_stage(name: str, project_dir: Path = ROOT, description: Description = DESCRIPTION) -> Stage:
    all_settings = stage_settings.load(_stages_file(project_dir))
    if name not in all_settings:
        raise ValueError(f"stage {name!r} is not in infra/stages.json (stages: {', '.join(sorted(all_settings))}); "
                         f"add one with: python -m infra stage add {name} --like dev")
    settings = all_settings[name]
    unknown = sorted(set(settings.functions) - {f.name for f in description.functions})
    if unknown:
        raise ValueError(f"infra/stages.json: stage {name!r} sizes function(s) {', '.join(unknown)} "
                         "that infra/description.py does not describe")
    problems = app_problems(description, cached_app_functions(project_dir))
    if problems:
        raise ValueError("; ".join(problems))
    app = {f.name: f for f in cached_app_functions(project_dir)}
    tasks = {placeholder for machine in description.state_machines for placeholder in asl_placeholders(machine)}
    functions = []
    for function in description.functions:
        source = app[function.name]
        sizes = settings.functions.get(function.name, stage_settings.FunctionSettings())
        kind = {"schedule": "trigger", "sqs": "consumer", "api": "api"}.get(source.kind) or (
            "task" if function.placeholder in tasks else "function")
        functions.append(FunctionSpec(
            function=function,
            kind=kind,
            memory=sizes.memory or settings.memory,
            timeout=sizes.timeout or function.timeout,
            reserved_concurrency=sizes.reserved_concurrency,
            policy_file=f"policies/{name}/{function.name}.json",
            schedule=source.schedule,
        ))
    return Stage(name=name, project_dir=project_dir, settings=settings, functions=tuple(functions),
                 description=description)


def load_stages(project_dir: Path = ROOT, description: Description = DESCRIPTION) -> list[Stage]:
    """Every stage of infra/stages.json, resolved."""
    return [load_stage(name, project_dir, description) for name in stage_names(project_dir)]


PROJECT_FILES = ("app.py", "requirements.txt", "chalicelib", "statemachines", ".chalice/config.json", ".chalice/policies",
                 "vendor")


def copy_project(destination: Path, project_dir: Path = ROOT) -> Path:
    """A scratch copy of what a deploy reads (no deployed state, no bytecode): deploys in tests and
    experiments then never touch the checkout's .chalice/deployed or .chalice/deployments."""
    import shutil

    for relative in PROJECT_FILES:
        source = project_dir / relative
        target = destination / relative
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        elif source.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return destination

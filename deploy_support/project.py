"""A deployment stage as data: its functions (sizes through Chalice's own config resolution) and resource names.

Every name derives from the stage: resources of stage `prod` are `cost-reporter-prod...`; the
table and bucket names are the TABLE_NAME / BUCKET_NAME the functions are configured with, so
the code, the IAM policies and the infrastructure can never disagree.
"""

from __future__ import annotations

import importlib
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chalicelib.core.constants import APP_NAME

ROOT = Path(__file__).resolve().parent.parent
STATE_MACHINES = ("cost_report",)  # statemachines/<name>.asl.json
LOG_RETENTION_DAYS = 30
# Chalice's own defaults when config.json sets nothing (chalice.constants).
DEFAULT_MEMORY = 128
DEFAULT_TIMEOUT = 60


@dataclass(frozen=True)
class FunctionSpec:
    name: str  # the Chalice name, e.g. collect_costs
    kind: str  # "task" (a state machine task) or "trigger" (a schedule)
    memory: int
    timeout: int
    reserved_concurrency: int | None
    policy_file: str | None  # relative to .chalice/
    environment: dict[str, str] = field(default_factory=dict)
    schedule: str | None = None  # the EventBridge expression of a trigger

    @property
    def placeholder(self) -> str:
        """The ASL placeholder for this function's ARN: collect_costs -> CollectCostsFunctionArn."""
        from deploy_support.asl import placeholder_for

        return placeholder_for(self.name)

    @property
    def logical_id(self) -> str:
        """Chalice's CloudFormation logical id: collect_costs -> CollectCosts."""
        return "".join(part.capitalize() for part in self.name.split("_"))


@dataclass(frozen=True)
class Stage:
    name: str
    project_dir: Path
    functions: tuple[FunctionSpec, ...]
    environment: dict[str, str]
    xray: bool

    # ---- names ----------------------------------------------------------------------------

    @property
    def prefix(self) -> str:
        return f"{APP_NAME}-{self.name}"

    @property
    def table_name(self) -> str:
        return self.environment["TABLE_NAME"]

    @property
    def bucket_name(self) -> str:
        return self.environment["BUCKET_NAME"]

    @property
    def configuration_set(self) -> str:
        return self.environment.get("SES_CONFIGURATION_SET") or self.prefix

    @property
    def alert_topic_name(self) -> str:
        return f"{self.prefix}-alerts"

    def function_name(self, function: str) -> str:
        return f"{self.prefix}-{function}"

    def state_machine_name(self, machine: str = "cost_report") -> str:
        return f"{self.prefix}-{machine.replace('_', '-')}"

    @property
    def state_machine_role_name(self) -> str:
        return f"{self.prefix}-states"

    def state_machine_log_group(self, machine: str = "cost_report") -> str:
        # The /aws/vendedlogs/ prefix keeps the CloudWatch Logs resource policy small (AWS advice).
        return f"/aws/vendedlogs/states/{self.state_machine_name(machine)}"

    def lambda_log_group(self, function: str) -> str:
        return f"/aws/lambda/{self.function_name(function)}"

    @property
    def dashboard_name(self) -> str:
        return self.prefix

    def alarm_name(self, kind: str) -> str:
        return f"{self.prefix}-{kind}"

    @property
    def deployed_file(self) -> Path:
        return self.project_dir / ".chalice" / "deployed" / f"{self.name}.json"

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


def read_config(project_dir: Path = ROOT) -> dict[str, Any]:
    return json.loads((project_dir / ".chalice" / "config.json").read_text())


def stage_names(project_dir: Path = ROOT) -> list[str]:
    return sorted(read_config(project_dir).get("stages", {}))


def app_functions(project_dir: Path = ROOT) -> list[tuple[str, str, str | None]]:
    """(name, kind, schedule expression) of every Lambda function the Chalice app defines."""
    if str(project_dir) not in sys.path:
        sys.path.insert(0, str(project_dir))
    app = importlib.import_module("app").app
    found: list[tuple[str, str, str | None]] = [(f.name, "task", None) for f in app.pure_lambda_functions]
    for source in app.event_sources:
        schedule = getattr(source, "schedule_expression", None)
        if schedule is None:
            raise ValueError(f"{source.name}: only schedule event sources are deployed by deploy.py")
        expression = schedule if isinstance(schedule, str) else schedule.to_string()
        found.append((source.name, "trigger", expression))
    return found


def load_stage(name: str, project_dir: Path = ROOT) -> Stage:
    from chalice.config import Config

    disk = read_config(project_dir)
    if name not in disk.get("stages", {}):
        raise ValueError(f"stage {name!r} is not in .chalice/config.json (stages: {', '.join(stage_names(project_dir))})")
    base = Config(chalice_stage=name, config_from_disk=disk, user_provided_params={})
    functions = []
    for function, kind, schedule in app_functions(project_dir):
        scoped = base.scope(name, function)
        functions.append(FunctionSpec(
            name=function,
            kind=kind,
            memory=scoped.lambda_memory_size or DEFAULT_MEMORY,
            timeout=scoped.lambda_timeout or DEFAULT_TIMEOUT,
            reserved_concurrency=scoped.reserved_concurrency,
            policy_file=scoped.iam_policy_file,
            environment=dict(scoped.environment_variables),
            schedule=schedule,
        ))
    stage_env = dict(disk["stages"][name].get("environment_variables", {}))
    for required in ("TABLE_NAME", "BUCKET_NAME"):
        if required not in stage_env:
            raise ValueError(f"stage {name!r}: environment_variables.{required} is required in .chalice/config.json")
    return Stage(name=name, project_dir=project_dir, functions=tuple(functions), environment=stage_env,
                 xray=bool(base.xray_enabled))


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

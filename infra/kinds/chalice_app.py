"""The Chalice app: `chalice deploy` (functions, their roles and log groups, schedules, SQS event
source mappings) as a subprocess of this Python, skipped when its inputs are unchanged.

The inputs (app code, requirements, config.json, the stage's policy files, Chalice and Python
versions) hash to a fingerprint recorded as a tag on the first state machine by the last complete
deploy (orchestrator.py), so a second deploy with nothing changed does not run chalice at all.
Chalice does not set `FunctionResponseTypes: ReportBatchItemFailures` on the SQS mappings it
makes: `ensure_batch_item_failures` does, so a handler's partial batch response is honoured.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.core.constants import ENV_STAGE
from infra import package_cache
from infra.kinds import role
from infra.kinds.base import Context, DeployError, code
from infra.model import ConsumeQueue, camel

FINGERPRINT_TAG = "cost-reporter:deployed-inputs"
CHALICE_MAIN = "import sys; from chalice.cli import main; sys.argv[0] = 'chalice'; sys.exit(main())"


def label(ctx: Context) -> str:
    stage = ctx.stage
    return f"Chalice app ({len(stage.functions)} functions, {len(stage.triggers)} schedules)"


def inputs(ctx: Context) -> list[Path]:
    root = ctx.stage.project_dir
    files = [root / "requirements.txt", root / "app.py", root / ".chalice" / "config.json"]
    for folder in (root / "chalicelib", root / "vendor"):
        if folder.is_dir():
            files += [p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"]
    files += [root / ".chalice" / spec.policy_file for spec in ctx.stage.functions]
    return sorted(f for f in files if f.exists())


def fingerprint(ctx: Context) -> str:
    import chalice

    digest = hashlib.sha256()
    digest.update(f"chalice {chalice.__version__}; {package_cache.lambda_python_version()}; "
                  f"offline={ctx.offline}\n".encode())
    for path in inputs(ctx):
        digest.update(str(path.relative_to(ctx.stage.project_dir)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:40]


def _fingerprint_holder(ctx: Context) -> str:
    return ctx.naming.arn(ctx.stage.description.state_machines[0])


def recorded_fingerprint(ctx: Context) -> str | None:
    try:
        tags = ctx.client("stepfunctions").list_tags_for_resource(resourceArn=_fingerprint_holder(ctx))["tags"]
    except ClientError as exc:
        if code(exc) in ("ResourceNotFound", "StateMachineDoesNotExist", "InvalidArn"):
            return None
        raise
    return next((t["value"] for t in tags if t["key"] == FINGERPRINT_TAG), None)


def record_fingerprint(ctx: Context, value: str) -> None:
    if recorded_fingerprint(ctx) != value:
        ctx.client("stepfunctions").tag_resource(resourceArn=_fingerprint_holder(ctx),
                                                 tags=[{"key": FINGERPRINT_TAG, "value": value}])


def _functions_exist(ctx: Context) -> bool:
    if not ctx.stage.deployed_file.exists():
        return False
    lam = ctx.client("lambda")
    for spec in ctx.stage.functions:
        try:
            lam.get_function_configuration(FunctionName=ctx.stage.function_name(spec.name))
        except ClientError as exc:
            if code(exc) == "ResourceNotFoundException":
                return False
            raise
    return True


def ensure(ctx: Context, value: str) -> None:
    if not ctx.force_chalice and recorded_fingerprint(ctx) == value and _functions_exist(ctx):
        ctx.report.add(label(ctx), "unchanged", "code, requirements, config and policies as last deployed")
    else:
        had_functions = _functions_exist(ctx)
        run(ctx, "deploy")
        ctx.report.add(label(ctx), "updated" if had_functions else "created", "chalice deploy")
    ctx.function_arns.update(deployed_function_arns(ctx))
    ctx.api_url = deployed_api_url(ctx)  # the unsubscribe links' base when the stage names none
    ensure_batch_item_failures(ctx)


def run(ctx: Context, command: str) -> str:
    if command != "deploy" or not ctx.offline:
        return _chalice(ctx, command)
    for attempt in (1, 2):
        path, made = package_cache.seed(ctx.stage.project_dir)
        problem = package_cache.check_platform()
        ctx.out(f"  offline package {'built' if made else 'reused'}: {path.name}"
                + (f" (not runnable by Lambda: {problem})" if problem else ""))
        try:
            return _chalice(ctx, command)
        except _ChaliceFailed as exc:
            # The package's name hashes chalicelib/ bytecode too: another process that compiled
            # a module between seed() and chalice changes it. Seed the new name once more.
            if attempt == 2 or "NoSuchPackageError" not in exc.output:
                raise
    raise AssertionError("unreachable")


class _ChaliceFailed(DeployError):
    def __init__(self, message: str, output: str):
        super().__init__(message)
        self.output = output


def _chalice(ctx: Context, command: str) -> str:
    stage = ctx.stage
    env = dict(os.environ)
    env["AWS_DEFAULT_REGION"] = ctx.region
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # chalice hashes chalicelib/ including bytecode: keep it stable
    env[ENV_STAGE] = stage.name  # SQS handlers name their stage's queue when chalice imports the app
    if ctx.offline:
        env["PIP_NO_INDEX"] = "1"  # never reach a registry: fail instead
    cmd = [sys.executable, "-c", CHALICE_MAIN, "--project-dir", str(stage.project_dir), command, "--stage", stage.name]
    ctx.out(f"  running: chalice {command} --stage {stage.name}")
    process = subprocess.Popen(cmd, env=env, cwd=stage.project_dir, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line)
        ctx.out(f"    | {line.rstrip()}")
    output = "".join(lines)
    if process.wait() != 0:
        raise _ChaliceFailed(f"chalice {command} --stage {stage.name} failed (exit {process.returncode})", output)
    if command == "deploy" and ctx.offline and "Reusing existing deployment package" not in output:
        raise DeployError("chalice built its own package although --offline seeded one (inputs changed meanwhile?)")
    return output


def deployed_function_arns(ctx: Context) -> dict[str, str]:
    path = ctx.stage.deployed_file
    if not path.exists():
        raise DeployError(f"{path} is missing: chalice deploy did not record the stage")
    resources = json.loads(path.read_text()).get("resources", [])
    arns = {r["name"]: r["lambda_arn"] for r in resources if r.get("resource_type") == "lambda_function"}
    missing = [spec.name for spec in ctx.stage.functions if spec.name not in arns]
    if missing:
        raise DeployError(f"{path.name} lists no function for {', '.join(missing)}")
    for name, arn in arns.items():
        if f":{ctx.region}:{ctx.account}:" not in arn:
            raise DeployError(f"{path.name}: {name} is {arn}, not in account {ctx.account} / {ctx.region}")
    return arns


def deployed_api_url(ctx: Context) -> str | None:
    """The REST API's URL `chalice deploy` recorded (None: the app has no routes)."""
    resources = json.loads(ctx.stage.deployed_file.read_text()).get("resources", [])
    return next((r["rest_api_url"] for r in resources if r.get("resource_type") == "rest_api" and r.get("rest_api_url")),
                None)


def ensure_batch_item_failures(ctx: Context) -> None:
    """Partial batch responses on every SQS mapping of a consumer (Chalice leaves them off)."""
    lam = ctx.client("lambda")
    for spec in ctx.stage.functions:
        if spec.kind != "consumer":
            continue
        name = ctx.stage.function_name(spec.name)
        # By the mapping's function ARN: moto filters FunctionName by the exact string Chalice gave (an ARN).
        mappings = [m for page in lam.get_paginator("list_event_source_mappings").paginate()
                    for m in page.get("EventSourceMappings", [])
                    if m.get("FunctionArn", "").split(":function:", 1)[-1].split(":", 1)[0] == name]
        for mapping in mappings:
            resource = f"event source mapping {name} <- {mapping.get('EventSourceArn', '?').rsplit(':', 1)[-1]}"
            if "ReportBatchItemFailures" in (mapping.get("FunctionResponseTypes") or []):
                ctx.report.add(resource, "unchanged")
                continue
            lam.update_event_source_mapping(UUID=mapping["UUID"], FunctionResponseTypes=["ReportBatchItemFailures"])
            ctx.report.add(resource, "updated", "ReportBatchItemFailures")


def delete(ctx: Context) -> None:
    stage = ctx.stage
    if stage.deployed_file.exists() and json.loads(stage.deployed_file.read_text()).get("resources"):
        run(ctx, "delete")
        ctx.report.add(label(ctx), "deleted", "chalice delete")
    _delete_leftovers(ctx)


def _delete_leftovers(ctx: Context) -> None:
    """What chalice delete could not know about (no .chalice/deployed/<stage>.json on this machine)."""
    lam, events, iam = ctx.client("lambda"), ctx.client("events"), ctx.client("iam")
    for spec in ctx.stage.functions:
        name = ctx.stage.function_name(spec.name)
        if spec.kind == "trigger":
            rule = f"{name}-event"
            try:
                targets = events.list_targets_by_rule(Rule=rule)["Targets"]
                if targets:
                    events.remove_targets(Rule=rule, Ids=[t["Id"] for t in targets])
                events.delete_rule(Name=rule)
                ctx.report.add(f"schedule {rule}", "deleted", "left over")
            except ClientError as exc:
                if code(exc) != "ResourceNotFoundException":
                    raise
        if spec.kind == "consumer":
            for mapping in lam.list_event_source_mappings(FunctionName=name).get("EventSourceMappings", []):
                lam.delete_event_source_mapping(UUID=mapping["UUID"])
                ctx.report.add(f"event source mapping of {name}", "deleted", "left over")
        try:
            lam.delete_function(FunctionName=name)
            ctx.report.add(f"function {name}", "deleted", "left over")
        except ClientError as exc:
            if code(exc) != "ResourceNotFoundException":
                raise
        role_name = ctx.stage.role_name(spec.name)
        try:
            iam.get_role(RoleName=role_name)
        except ClientError as exc:
            if code(exc) != "NoSuchEntity":
                raise
            continue
        role.delete(ctx, role_name)


def cloudformation(stage: Any, n: Any) -> dict[str, Any]:
    """Overrides merged into Chalice's own function resources: the names deploy.py gives them (payer
    roles trust the collect_costs role by name) and the grant variables as references to the
    stack's resources (a Ref also orders the stack)."""
    resources: dict[str, Any] = {}
    for spec in stage.functions:
        properties: dict[str, Any] = {"FunctionName": n.value(f"Function{spec.logical_id}")}
        variables = stage.environment(spec.name, n)
        if variables:
            properties["Environment"] = {"Variables": variables}
        resource: dict[str, Any] = {"Properties": properties}
        if spec.kind == "consumer":
            # Chalice's SQS event (`<Function>SqsEventSource`) names the queue by the ARN of the name the
            # handler gave (APP_STAGE set while packaging); partial batch responses on; the function
            # (so its event source mapping too) waits for the stack's queue.
            queue = next(stage.description.queue(g.queue) for g in spec.grants if isinstance(g, ConsumeQueue))
            properties["Events"] = {f"{spec.logical_id}SqsEventSource": {"Properties": {
                "FunctionResponseTypes": ["ReportBatchItemFailures"]}}}
            resource["DependsOn"] = [queue.logical_id]
        resources[spec.logical_id] = resource
        if spec.logical_id != camel(spec.name):
            # Chalice names the API handler's log group after `api_handler` (ApiHandlerLogGroup) but
            # points it at ${ApiHandler}, which does not exist: its function is APIHandler.
            resources[spec.function.log_group_logical_id] = {"Properties": {
                "LogGroupName": {"Fn::Sub": f"/aws/lambda/${{{spec.logical_id}}}"}}}
        role_key = "Role" if stage.role_name(spec.name) != stage.function_name(spec.name) else "Function"
        resources[spec.function.role_logical_id] = {"Properties": {"RoleName": n.value(f"{role_key}{spec.logical_id}")}}
    return resources

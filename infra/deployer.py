"""The order of a deploy and a teardown; each kind of resource is one module of infra/kinds/.

Deploy, and why in this order:
  1. tables, buckets, queues (+ DLQs), topics, the SES configuration set, the unsubscribe key
     secret, state machine log groups: the functions' configuration names them, and Chalice's SQS event sources need their
     queues to exist; nothing here depends on the functions
  2. `chalice deploy` (skipped when its inputs are unchanged), or, in the in-process local
     runtime, nothing: the Lambda bridge answers the invokes of the functions' would-be ARNs
  3. each state machine's role (invoke exactly its task functions), then the machine
  4. the functions' ARN/URL variables (not in-process: the runtime sets them in its environment)
  5. log retention of the functions' log groups, the alarms, the dashboard; finally the inputs
     fingerprint is recorded (so a second deploy with nothing changed skips chalice)
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from infra.kinds import (
    alarms,
    bucket,
    chalice_app,
    dashboard,
    exports,
    function_env,
    log_group,
    queue,
    secret,
    ses,
    state_machine,
    table,
    topic,
)
from infra.kinds.base import Context, DeployError, Report
from infra.stage import Stage

__all__ = ["DeployError", "Deployer"]


class Deployer:
    """`in_process=True`: the functions are not deployed (the local runtime runs the Chalice handlers
    in its own process), everything else is, by the same code as for AWS."""

    def __init__(self, stage: Stage, session: Any = None, offline: bool = False, force_chalice: bool = False,
                 out: Callable[[str], None] = print, in_process: bool = False):
        import boto3

        self.stage = stage
        self.in_process = in_process
        self.ctx = Context(stage=stage, session=session or boto3.Session(), report=Report(out), offline=offline,
                           force_chalice=force_chalice)

    @property
    def report(self) -> Report:
        return self.ctx.report

    @property
    def account(self) -> str:
        return self.ctx.account

    @property
    def region(self) -> str:
        return self.ctx.region

    @property
    def naming(self) -> Any:
        return self.ctx.naming

    def state_machine_arn(self, machine: str | None = None) -> str:
        d = self.stage.description
        return self.naming.arn(d.machine(machine) if machine else d.state_machines[0])

    def deploy(self) -> Report:
        ctx, stage, d = self.ctx, self.stage, self.stage.description
        if not self.in_process:
            endpoint = os.environ.get("AWS_ENDPOINT_URL")
            ctx.out(f"Deploying stage {stage.name!r} to account {ctx.account} in {ctx.region}"
                    + (f" at {endpoint}" if endpoint else ""))
        for kind, resource in _foundations(d):
            kind.ensure(ctx, resource)
        exports.ensure(ctx)  # the Glue tables and Athena workgroup of the stage's billing exports, if any
        for machine in d.state_machines:
            log_group.ensure(ctx, stage.state_machine_log_group(machine))
        if self.in_process:
            ctx.function_arns.update({spec.name: ctx.naming.function_arn(spec.name) for spec in stage.functions})
        else:
            fingerprint = chalice_app.fingerprint(ctx)
            chalice_app.ensure(ctx, fingerprint)
        for machine in d.state_machines:
            state_machine.ensure_role(ctx, machine)
            state_machine.ensure(ctx, machine)
        if not self.in_process:
            function_env.ensure(ctx)
        for spec in stage.functions:
            log_group.ensure(ctx, stage.lambda_log_group(spec.name))
        alarms.ensure(ctx)
        dashboard.ensure(ctx)
        if not self.in_process:
            chalice_app.record_fingerprint(ctx, fingerprint)
            ctx.out(f"Stage {stage.name!r}: {ctx.report.summary()}.")
        return ctx.report

    def environment(self) -> dict[str, str]:
        """What the functions run with, all of them together (the local runtime runs them in one process)."""
        env = dict(self.stage.stage_environment())
        for spec in self.stage.functions:
            env.update(self.stage.environment(spec.name, self.naming))
        return env

    def teardown(self) -> Report:
        ctx, stage, d = self.ctx, self.stage, self.stage.description
        ctx.out(f"Tearing down stage {stage.name!r} in account {ctx.account} / {ctx.region}")
        alarms.delete(ctx)
        dashboard.delete(ctx)
        for machine in d.state_machines:
            state_machine.delete(ctx, machine)
        chalice_app.delete(ctx)
        for group in stage.chalice_log_groups() + [stage.state_machine_log_group(m) for m in d.state_machines]:
            log_group.delete(ctx, group)
        exports.delete(ctx)
        for kind, resource in reversed(_foundations(d)):
            kind.delete(ctx, resource)
        ctx.out(f"Stage {stage.name!r}: {ctx.report.summary()}.")
        return ctx.report


def _foundations(d: Any) -> list[tuple[Any, Any]]:
    """(kind module, resource) of what the functions' configuration names, in creation order."""
    found: list[tuple[Any, Any]] = [(table, r) for r in d.tables] + [(bucket, r) for r in d.buckets]
    found += [(queue, r) for r in d.queues] + [(topic, r) for r in d.topics]
    found += [(ses, d.email)] if d.email is not None else []
    return found + ([(secret, d.api)] if d.api is not None else [])  # the unsubscribe links' key

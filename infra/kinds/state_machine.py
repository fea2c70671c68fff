"""State machines (statemachines/<key>.asl.json, STANDARD, logging, X-Ray) and their roles.

Each machine's role may invoke exactly the functions its definition names (and their versions),
plus the machine's own grants, log delivery and X-Ray. The `${...}` placeholders of the definition
are substituted from the description (infra.stage.Stage.placeholders): function ARNs and the
names/ARNs/URLs of tables, buckets, queues, topics and other machines.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from infra.app_source import PLACEHOLDER, asl_text
from infra.kinds import kms, role
from infra.kinds.base import Context, DeployError, code, retry, same
from infra.model import StateMachine
from infra.naming import Naming
from infra.policies import grant_statements
from infra.stage import Stage

ROLE_POLICY_NAME = "invoke-project-functions"
LOG_LEVEL = "ERROR"  # failed states with their input/output; the execution history has the rest


def render_definition(machine: StateMachine, substitutions: dict[str, str]) -> str:
    text = asl_text(machine)
    missing = sorted(set(PLACEHOLDER.findall(text)) - substitutions.keys())
    if missing:
        raise DeployError(f"{machine.asl_file}: no value for placeholder(s) {', '.join(missing)}: "
                          "not a function or resource of infra/description.py")
    rendered = PLACEHOLDER.sub(lambda m: str(substitutions[m.group(1)]), text)
    json.loads(rendered)  # fail here, not inside the engine, if a substitution broke the JSON
    return rendered


def trust_policy(n: Naming) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "states.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": n.sub("${AWS::AccountId}")}},
        }],
    }


def role_policy(stage: Stage, n: Naming, machine: StateMachine) -> dict[str, Any]:
    resources: list[Any] = []
    for spec in stage.machine_tasks(machine):
        arn = n.function_arn(spec.name)
        resources.append(arn)
        resources.append(n.sub("${Arn}:*", Arn=arn) if n.cloudformation else f"{arn}:*")
    statements: list[dict[str, Any]] = []
    if resources:
        statements.append({"Sid": "InvokeProjectFunctions", "Effect": "Allow", "Action": "lambda:InvokeFunction",
                           "Resource": resources})
    statements += grant_statements(stage, machine.grants)
    statements += [
        {
            "Sid": "DeliverExecutionLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery",
                       "logs:DeleteLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy",
                       "logs:DescribeResourcePolicies", "logs:DescribeLogGroups"],
            "Resource": "*",  # CloudWatch Logs vended delivery has no resource-level permissions
        },
        {
            "Sid": "Tracing",
            "Effect": "Allow",
            "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules",
                       "xray:GetSamplingTargets"],
            "Resource": "*",  # X-Ray has no resource-level permissions for these actions
        },
    ]
    return {"Version": "2012-10-17", "Statement": statements}


def logging_configuration(log_group_arn: Any) -> dict[str, Any]:
    """Step Functions API shape (lowerCamel); CloudFormation uses the same fields capitalised."""
    return {"level": LOG_LEVEL, "includeExecutionData": True,
            "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": log_group_arn}}]}


def ensure_role(ctx: Context, machine: StateMachine) -> None:
    n = ctx.naming
    role.ensure(ctx, ctx.stage.state_machine_role_name(machine), trust_policy(n), ROLE_POLICY_NAME,
                role_policy(ctx.stage, n, machine),
                f"Step Functions role of {ctx.stage.state_machine_name(machine)}: invoke its task functions only")


def ensure(ctx: Context, machine: StateMachine) -> None:
    sfn = ctx.client("stepfunctions")
    stage, n = ctx.stage, ctx.naming
    name = stage.state_machine_name(machine)
    arn = n.arn(machine)
    role_arn = n.role_arn(stage.state_machine_role_name(machine))
    definition = render_definition(machine, stage.placeholders(n, ctx.function_arns))
    logging = logging_configuration(n.log_group_arn(stage.state_machine_log_group(machine)) + ":*")
    tracing = {"enabled": True}
    propagating = ("AccessDeniedException", "InvalidRoleArn", "AccessDenied")
    try:
        existing = sfn.describe_state_machine(stateMachineArn=arn)
    except ClientError as exc:
        if code(exc) != "StateMachineDoesNotExist":
            raise
        retry("create state machine", lambda: sfn.create_state_machine(
            name=name, definition=definition, roleArn=role_arn, type="STANDARD",
            loggingConfiguration=logging, tracingConfiguration=tracing,
            tags=ctx.tag_list("key", "value")), propagating)
        ctx.report.add(f"state machine {name}", "created", f"statemachines/{machine.asl_file}, logging, X-Ray")
        return
    changes = []
    if json.loads(existing["definition"]) != json.loads(definition):
        changes.append("definition")
    if existing.get("roleArn") != role_arn:
        changes.append("role")
    if not same(logging, existing.get("loggingConfiguration")):
        changes.append("logging")
    if not same(tracing, existing.get("tracingConfiguration")):
        changes.append("tracing")
    if changes:
        retry("update state machine", lambda: sfn.update_state_machine(
            stateMachineArn=arn, definition=definition, roleArn=role_arn,
            loggingConfiguration=logging, tracingConfiguration=tracing), propagating)
    ctx.report.record(f"state machine {name}", False, changes)


def delete(ctx: Context, machine: StateMachine) -> None:
    sfn = ctx.client("stepfunctions")
    arn = ctx.naming.arn(machine)
    ctx.delete(f"state machine {ctx.stage.state_machine_name(machine)}",
               lambda: sfn.delete_state_machine(stateMachineArn=arn),
               lambda: sfn.describe_state_machine(stateMachineArn=arn), ("StateMachineDoesNotExist",))
    role.delete(ctx, ctx.stage.state_machine_role_name(machine))


def stage_role_policy(stage: Stage, n: Naming, machine: StateMachine) -> dict[str, Any]:
    """role_policy for resources.yaml: the names of the stage packaged (not of the stage rendered),
    and the KMS statements of its grants when that stage has its own key."""
    policy = kms.stage_independent(role_policy(kms.with_key(stage, None), n, machine), stage, n)
    policy["Statement"] += kms.cfn_statements(stage, n, machine.grants)
    return policy


def cloudformation(stage: Stage, n: Naming, machine: StateMachine) -> dict[str, Any]:
    logical = machine.logical_id
    group, role_id = f"{logical}LogGroup", f"{logical}Role"
    used = set(PLACEHOLDER.findall(asl_text(machine)))
    substitutions = {k: v for k, v in stage.placeholders(n, {s.name: n.function_arn(s.name) for s in stage.functions}).items()
                     if k in used}
    logging = logging_configuration(n.get_att(group))  # type: ignore[attr-defined]
    return {
        group: {"Type": "AWS::Logs::LogGroup",
                "Properties": {"LogGroupName": n.value(f"{logical}LogGroup"),
                               "RetentionInDays": stage.description.log_retention_days}},
        role_id: {"Type": "AWS::IAM::Role", "Properties": {
            "RoleName": n.value(f"{logical}Role"),
            "Description": f"Step Functions role of {stage.app_name} {machine.key}: invoke its task functions only",
            "AssumeRolePolicyDocument": trust_policy(n),
            "Policies": [{"PolicyName": ROLE_POLICY_NAME, "PolicyDocument": stage_role_policy(stage, n, machine)}],
            "Tags": [{"Key": "app", "Value": stage.app_name}, {"Key": "stage", "Value": {"Ref": "Stage"}}],
        }},
        logical: {"Type": "AWS::Serverless::StateMachine", "Properties": {
            "Name": n.value(f"{logical}Name"),
            "Type": "STANDARD",
            "Definition": json.loads(asl_text(machine)),
            "DefinitionSubstitutions": substitutions,
            "Role": n.get_att(role_id),  # type: ignore[attr-defined]
            "Logging": {"Level": logging["level"], "IncludeExecutionData": logging["includeExecutionData"],
                        "Destinations": [{"CloudWatchLogsLogGroup": {"LogGroupArn": n.get_att(group)}}]},  # type: ignore[attr-defined]
            "Tracing": {"Enabled": True},
            "Tags": {"app": stage.app_name, "stage": {"Ref": "Stage"}},
        }},
    }

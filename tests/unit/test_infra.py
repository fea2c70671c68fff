"""The description of the deployment and what is derived from it (no AWS: pure data).

The deploy itself is tested in test_deploy.py (deploy.py against a moto server), the CloudFormation
rendering in test_package.py (chalice package + cfn-lint), the local runtime everywhere else.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from infra import generate, monitoring, stages
from infra.app_source import app_functions, app_problems
from infra.checks import stage_problems
from infra.description import DESCRIPTION
from infra.kinds import queue as queue_kind, state_machine
from infra.model import ConsumeQueue, Function, Queue, ReadSecrets, SendToQueue, StateMachine
from infra.naming import CloudFormation, Concrete
from infra.policies import policy_for
from infra.stage import ROOT, copy_project, load_stage, stage_names

EVENTS = Queue("events", visibility_timeout=300, max_receive_count=4)


def with_events_queue() -> object:
    """The real description plus a queue that `plan` sends to and that may read the stage's secrets."""
    functions = tuple(dataclasses.replace(f, grants=(*f.grants, SendToQueue("events"), ReadSecrets()))
                      if f.name == "plan" else f for f in DESCRIPTION.functions)
    return dataclasses.replace(DESCRIPTION, queues=(EVENTS,), functions=functions)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    path = copy_project(tmp_path / "project")
    shutil.copy(ROOT / "resources.yaml", path / "resources.yaml")
    (path / "infra").mkdir()
    shutil.copy(ROOT / "infra" / "stages.json", path / "infra" / "stages.json")
    return path


def test_the_generated_files_are_up_to_date() -> None:
    done = subprocess.run([sys.executable, "-m", "infra", "generate", "--check"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert generate.drift() == []


def test_a_hand_edit_or_a_left_over_file_is_drift_and_generate_repairs_it(project: Path) -> None:
    policy = project / ".chalice" / "policies" / "prod" / "plan.json"
    policy.write_text(policy.read_text().replace("dynamodb:UpdateItem", "dynamodb:DeleteItem"))
    (project / ".chalice" / "policies" / "prod" / "old_function.json").write_text("{}")
    config = json.loads((project / ".chalice" / "config.json").read_text())
    config["stages"]["prod"]["lambda_functions"]["plan"]["lambda_memory_size"] = 3008
    (project / ".chalice" / "config.json").write_text(json.dumps(config))
    assert sorted(generate.drift(project)) == ["left over .chalice/policies/prod/old_function.json",
                                               "stale .chalice/config.json", "stale .chalice/policies/prod/plan.json"]
    generate.write(project)
    assert generate.drift(project) == []
    assert "dynamodb:UpdateItem" in policy.read_text()


def test_every_app_function_has_an_entry_and_every_entry_a_function() -> None:
    app = app_functions()
    assert app_problems(DESCRIPTION, app) == []
    assert sorted(f.name for f in app) == sorted(f.name for f in DESCRIPTION.functions)
    without_plan = dataclasses.replace(DESCRIPTION, functions=tuple(f for f in DESCRIPTION.functions if f.name != "plan"))
    problem, = app_problems(without_plan, app)
    assert "'plan'" in problem and "no entry" in problem
    ghost = dataclasses.replace(DESCRIPTION, functions=(*DESCRIPTION.functions, Function("ghost", timeout=3)))
    problem, = app_problems(ghost, app)
    assert "'ghost'" in problem and "app.py defines no Lambda function" in problem
    consuming_trigger = dataclasses.replace(DESCRIPTION, queues=(EVENTS,), functions=tuple(
        dataclasses.replace(f, grants=(ConsumeQueue("events"),)) if f.name == "daily_trigger" else f
        for f in DESCRIPTION.functions))
    problem, = app_problems(consuming_trigger, app)
    assert "daily_trigger" in problem and "not an SQS handler" in problem


def test_a_stage_is_one_command_away(project: Path) -> None:
    stages_file = project / "infra" / "stages.json"
    stages.add_stage("staging", like="dev", path=stages_file)
    assert "staging" in stage_names(project)
    generate.write(project)
    assert generate.drift(project) == []
    staging = load_stage("staging", project)
    assert staging.table_name() == "cost-reporter-staging" and staging.settings == load_stage("dev", project).settings
    config = json.loads((project / ".chalice" / "config.json").read_text())
    assert config["stages"]["staging"]["lambda_functions"]["render_report"]["lambda_memory_size"] == 1024
    assert sorted(p.name for p in (project / ".chalice" / "policies" / "staging").glob("*.json")) == \
        sorted(f"{f.name}.json" for f in DESCRIPTION.functions)
    assert "cost-reporter-staging-plan" in (project / "resources.yaml").read_text()
    for name, like, message in (("staging", "dev", "exists already"), ("qa", "nope", "no stage 'nope'"),
                                ("Bad_Name", "dev", "must match")):
        with pytest.raises(ValueError, match=message):
            stages.add_stage(name, like=like, path=stages_file)


def test_a_stage_file_typo_is_named(tmp_path: Path) -> None:
    path = tmp_path / "stages.json"
    path.write_text(json.dumps({"dev": {"sender": "a@b.c", "memroy": 512}}))
    with pytest.raises(ValueError, match="memroy"):
        stages.load(path)


def test_environment_and_policies_are_derived_from_the_grants() -> None:
    stage = load_stage("prod", description=with_events_queue())
    naming = Concrete(stage, "eu-west-1", "111122223333", urls={"events": "https://sqs.example/111122223333/q"})
    assert stage.environment("plan") == {"TABLE_NAME": "cost-reporter-prod", "SECRETS_PREFIX": "cost-reporter/prod/"}
    assert stage.environment("plan", naming) == {"TABLE_NAME": "cost-reporter-prod", "SECRETS_PREFIX": "cost-reporter/prod/",
                                                 "EVENTS_QUEUE_URL": "https://sqs.example/111122223333/q"}
    assert stage.environment("daily_trigger", naming) == {
        "STATE_MACHINE_ARN": "arn:aws:states:eu-west-1:111122223333:stateMachine:cost-reporter-prod-cost-report"}
    assert stage.environment("render_report") == {"BUCKET_NAME": "cost-reporter-prod-reports",  # + its change alerts
                                                  "TABLE_NAME": "cost-reporter-prod"}
    assert stage.environment("plan", CloudFormation())["EVENTS_QUEUE_URL"] == {"Ref": "EventsQueue"}
    statements = {s["Sid"]: s for s in policy_for(stage, "plan")["Statement"]}
    assert statements["SendToEventsQueue"]["Action"] == ["sqs:SendMessage"]
    assert statements["SendToEventsQueue"]["Resource"] == ["arn:aws:sqs:*:*:cost-reporter-prod-events"]
    assert statements["ReadStageSecrets"]["Resource"] == ["arn:aws:secretsmanager:*:*:secret:cost-reporter/prod/*"]
    # the stage's shared variables, the same for every function
    assert stage.stage_environment()["APP_STAGE"] == "prod" and stage.stage_environment()["MAX_CONCURRENCY"] == "20"


def test_a_queue_is_one_entry_its_dlq_redrive_and_alarm_are_derived() -> None:
    stage = load_stage("prod", description=with_events_queue())
    resources = queue_kind.cloudformation(stage, CloudFormation(), EVENTS)
    assert resources["EventsQueue"]["Properties"]["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": ["EventsDeadLetterQueue", "Arn"]}, "maxReceiveCount": 4}
    assert resources["EventsQueue"]["Properties"]["VisibilityTimeout"] == 300
    assert stage.dlq_name(EVENTS) == "cost-reporter-prod-events-dlq"
    alarms = monitoring.alarms(stage, Concrete(stage, "eu-west-1", "111122223333"))
    dlq = alarms["AlarmEventsDlqNotEmpty"]
    assert dlq["AlarmName"] == "cost-reporter-prod-events-dlq-not-empty"
    assert dlq["Dimensions"] == [{"Name": "QueueName", "Value": "cost-reporter-prod-events-dlq"}]
    assert dlq["AlarmActions"] == ["arn:aws:sns:eu-west-1:111122223333:cost-reporter-prod-alerts"]
    assert len(alarms) == len(monitoring.FIXED_ALARMS) + 1


def test_a_consumer_slower_than_its_queue_allows_is_refused() -> None:
    slow = dataclasses.replace(EVENTS, visibility_timeout=60)
    description = dataclasses.replace(DESCRIPTION, queues=(slow,), functions=tuple(
        dataclasses.replace(f, grants=(*f.grants, ConsumeQueue("events"))) if f.name == "plan" else f
        for f in DESCRIPTION.functions))
    # (load_stage would refuse `plan` as a consumer: it is no SQS handler; the rule is checked on its own)
    stage = dataclasses.replace(load_stage("prod"), description=description)
    problem, = stage_problems(stage)
    assert "visibility timeout of 60 s" in problem and "plan" in problem


def test_a_state_machine_is_one_entry_plus_its_asl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import infra.app_source

    for existing in (ROOT / "statemachines").glob("*.asl.json"):  # the description's machines, then one more
        shutil.copy(existing, tmp_path / existing.name)
    (tmp_path / "fan_out.asl.json").write_text(json.dumps({"StartAt": "Go", "States": {"Go": {
        "Type": "Task", "Resource": "${PlanFunctionArn}",
        "Parameters": {"queue": "${EventsQueueUrl}", "bucket": "${ReportsBucketName}"}, "End": True}}}))
    monkeypatch.setattr(infra.app_source, "STATEMACHINES", tmp_path)
    machine = StateMachine("fan_out")
    description = dataclasses.replace(with_events_queue(), state_machines=(*DESCRIPTION.state_machines, machine))
    stage = load_stage("prod", description=description)
    assert stage_problems(stage) == []
    naming = Concrete(stage, "eu-west-1", "111122223333", urls={"events": "https://q"})
    arns = {s.name: naming.function_arn(s.name) for s in stage.functions}
    definition = json.loads(state_machine.render_definition(machine, stage.placeholders(naming, arns)))
    assert definition["States"]["Go"]["Resource"] == "arn:aws:lambda:eu-west-1:111122223333:function:cost-reporter-prod-plan"
    assert definition["States"]["Go"]["Parameters"] == {"queue": "https://q", "bucket": "cost-reporter-prod-reports"}
    invoke, = [s for s in state_machine.role_policy(stage, naming, machine)["Statement"] if s["Sid"] == "InvokeProjectFunctions"]
    assert invoke["Resource"] == [arns["plan"], f"{arns['plan']}:*"]  # only what its definition invokes
    assert stage.state_machine_role_name(machine) == "cost-reporter-prod-fan-out-states"
    cfn = state_machine.cloudformation(stage, CloudFormation(), machine)
    assert cfn["FanOutStateMachine"]["Properties"]["DefinitionSubstitutions"] == {
        "PlanFunctionArn": {"Fn::GetAtt": ["Plan", "Arn"]}, "EventsQueueUrl": {"Ref": "EventsQueue"},
        "ReportsBucketName": {"Ref": "ReportsBucket"}}
    (tmp_path / "fan_out.asl.json").write_text(json.dumps({"StartAt": "Go", "States": {"Go": {
        "Type": "Task", "Resource": "${NoSuchFunctionArn}", "End": True}}}))
    problem, = stage_problems(stage)
    assert "${NoSuchFunctionArn}" in problem

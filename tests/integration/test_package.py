"""The CloudFormation path: `chalice package --merge-template resources.yaml` passes cfn-lint with zero errors.

`chalice package` builds the same deployment package as `chalice deploy` (pip download of Lambda
wheels); the package cache is seeded from this environment first (infra.package_cache),
so the test never asks a registry, and any other traffic goes to a dead proxy.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra import generate, package_cache
from infra.model import SendToQueue, StartExecution, TableItems
from infra.naming import CloudFormation
from infra.stage import ROOT, copy_project, load_stage, stage_names

OFFLINE_ENV = {  # anything not for 127.0.0.1 goes to a closed port: no network
    "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9",
    "http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9",
    "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost", "PIP_NO_INDEX": "1",
}
CHALICE = "import sys; from chalice.cli import main; sys.argv[0] = 'chalice'; sys.exit(main())"
CFN_LINT = "import sys; from cfnlint.runner import main; sys.argv[0] = 'cfn-lint'; sys.exit(main())"


class CfnLoader(yaml.SafeLoader):
    """Reads short-form intrinsics (!Ref, !GetAtt ...) as plain {"Fn::...": ...} values."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


CfnLoader.add_multi_constructor("!", _intrinsic)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = copy_project(tmp_path_factory.mktemp("package"))
    (path / "resources.yaml").write_text((ROOT / "resources.yaml").read_text())
    package_cache.seed(path)
    return path


def package(project: Path, stage: str, out: Path) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["APP_STAGE"] = stage  # SQS handlers name their stage's queue (docs/DEPLOY.md, path 2)
    # chalice package reads credentials although it calls no AWS API: give it dummy ones
    env.update(OFFLINE_ENV, AWS_DEFAULT_REGION="us-east-1", PYTHONDONTWRITEBYTECODE="1", AWS_ACCESS_KEY_ID="testing",
               AWS_SECRET_ACCESS_KEY="testing", AWS_EC2_METADATA_DISABLED="true",
               AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull)
    done = subprocess.run([sys.executable, "-c", CHALICE, "--project-dir", str(project), "package", "--stage", stage,
                           "--merge-template", "resources.yaml", str(out)],
                          cwd=project, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Reusing existing deployment package" in done.stdout  # seeded: no pip download
    return yaml.load((out / "sam.yaml").read_text(), Loader=CfnLoader)


def cfn_lint(path: Path) -> list[dict[str, Any]]:
    done = subprocess.run([sys.executable, "-c", CFN_LINT, "--format", "json", "--", str(path)],
                          capture_output=True, text=True, timeout=300, env={**os.environ, **OFFLINE_ENV})
    assert done.returncode in (0, 2, 4, 6, 8, 10, 12, 14), done.stderr  # bitmask: 2 error, 4 warning, 8 info
    return json.loads(done.stdout or "[]")


@pytest.mark.parametrize("stage", stage_names())
def test_packaged_template_passes_cfn_lint(project: Path, tmp_path: Path, stage: str) -> None:
    packaged = package(project, stage, tmp_path / "out")
    findings = cfn_lint(tmp_path / "out" / "sam.yaml")
    errors = [f for f in findings if f["Level"] == "Error"]
    warnings = [f for f in findings if f["Level"] == "Warning"]
    assert not errors, json.dumps(errors, indent=1)
    assert not warnings, json.dumps(warnings, indent=1)

    resources = packaged["Resources"]
    spec = load_stage(stage, project)
    by_type: dict[str, list[str]] = {}
    for logical, resource in resources.items():
        by_type.setdefault(resource.get("Type", "?"), []).append(logical)
    # the five of the pipeline, plus one per dead-letter queue
    assert len(by_type["AWS::CloudWatch::Alarm"]) == 5 + len(spec.description.queues)
    assert "AlarmMetricsDlqNotEmpty" in by_type["AWS::CloudWatch::Alarm"]
    # an SQS consumer's event: Chalice's queue reference, partial batch responses, after the queue
    consumer = resources["ApplyMetricEvents"]
    event = consumer["Properties"]["Events"]["ApplyMetricEventsSqsEventSource"]["Properties"]
    assert event["FunctionResponseTypes"] == ["ReportBatchItemFailures"] and list(event["Queue"]) == ["Fn::Sub"]
    assert consumer["DependsOn"] == ["MetricsQueue"]
    notify = resources["NotifyConsumer"]
    assert notify["DependsOn"] == ["NotifyQueue"] and "AlarmNotifyDlqNotEmpty" in by_type["AWS::CloudWatch::Alarm"]
    event, = notify["Properties"]["Events"].values()
    assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert by_type["AWS::CloudWatch::Dashboard"] == ["Dashboard"]
    described = spec.description
    for kind, count in (("AWS::DynamoDB::Table", len(described.tables)), ("AWS::S3::Bucket", len(described.buckets)),
                        ("AWS::SNS::Topic", len(described.topics)), ("AWS::SQS::Queue", 2 * len(described.queues)),
                        ("AWS::SES::ConfigurationSet", 1), ("AWS::SES::ConfigurationSetEventDestination", 1),
                        ("AWS::Serverless::StateMachine", len(described.state_machines))):
        assert len(by_type.get(kind, [])) == count, kind
    # every function from Chalice, named as deploy.py names it, resource names from the stack
    for function in spec.functions:
        properties = resources[function.logical_id]["Properties"]
        assert resources[function.logical_id]["Type"] == "AWS::Serverless::Function"
        assert properties["FunctionName"] == {
            "Fn::FindInMap": ["StageConfig", {"Ref": "Stage"}, f"Function{function.logical_id}"]}
        variables = properties["Environment"]["Variables"]
        for name, value in spec.environment(function.name, CloudFormation()).items():
            assert variables[name] == value, (function.name, name)  # a reference to the stack's resource
        if any(isinstance(grant, TableItems) for grant in function.grants):
            assert variables["TABLE_NAME"] == {"Ref": "ReportsTable"}
        assert properties["MemorySize"] == function.memory and properties["Timeout"] == function.timeout
        # (Chalice names log groups after the function's name: the API handler's is ApiHandlerLogGroup)
        assert resources[function.function.log_group_logical_id]["Properties"]["RetentionInDays"] == 30
        role = resources[function.function.role_logical_id]["Properties"]
        # payer roles trust it by name: the name deploy.py's chalice deploy gives it (the function's own,
        # but for the API handler, whose function Chalice names <app>-<stage>)
        role_key = role["RoleName"]["Fn::FindInMap"][2]
        assert packaged["Mappings"]["StageConfig"][stage][role_key] == spec.role_name(function.name)
        assert (role["RoleName"] == properties["FunctionName"]) == (function.name != "api_handler")
        assert role["Policies"][0]["PolicyDocument"] == json.loads((project / ".chalice" / function.policy_file).read_text())
        if function.kind == "trigger":  # the machine it starts, by reference
            (machine_key,) = [g.machine for g in function.grants if isinstance(g, StartExecution)]
            machine_spec = spec.description.machine(machine_key)
            assert variables[machine_spec.env_name] == {"Ref": machine_spec.logical_id}
    mapping = packaged["Mappings"]["StageConfig"][stage]
    assert mapping["ReportsTableName"] == spec.table_name() and mapping["ReportsBucketName"] == spec.bucket_name()
    assert mapping[f"Function{spec.functions[0].logical_id}"] == spec.function_name(spec.functions[0].name)
    # each state machine: every ASL placeholder substituted with a Chalice function's ARN or a resource of the stack
    for machine_spec in spec.description.state_machines:
        machine = resources[machine_spec.logical_id]["Properties"]
        placeholders = set(re.findall(r"\$\{([A-Za-z0-9_]+)\}", (ROOT / "statemachines" / machine_spec.asl_file).read_text()))
        substitutions = machine["DefinitionSubstitutions"]
        assert placeholders <= set(substitutions)
        for name in placeholders:
            if name.endswith("FunctionArn"):
                logical = substitutions[name]["Fn::GetAtt"][0]
                assert resources[logical]["Type"] == "AWS::Serverless::Function"
            else:  # a resource's name (the Distributed Map's ResultWriter bucket): a reference into the stack
                assert resources[substitutions[name]["Ref"]]["Type"] in ("AWS::S3::Bucket", "AWS::DynamoDB::Table"), name
    machine = resources["CostReportStateMachine"]["Properties"]
    assert machine["Tracing"] == {"Enabled": True} and machine["Logging"]["Level"] == "ERROR"
    assert machine["Definition"] == json.loads((ROOT / "statemachines" / "cost_report.asl.json").read_text())


def test_generated_files_match_the_description() -> None:
    """config.json, the policy files and resources.yaml: `python -m infra generate --check`."""
    assert generate.drift() == [], "generated files differ from the description: run python -m infra generate"


def test_policies_are_least_privilege() -> None:
    allowed_star = {"ce:GetCostAndUsage", "ce:GetCostForecast", "xray:PutTraceSegments", "xray:PutTelemetryRecords"}
    for stage_name in stage_names():
        stage = load_stage(stage_name)
        # a declared billing export lives in the payer's bucket: its own folder is the one foreign resource
        declared = tuple(f"arn:aws:s3:::{e['s3_uri'][len('s3://'):]}" for e in stage.cost_exports())
        declared += tuple(f"arn:aws:s3:::{e['s3_uri'][len('s3://'):].split('/', 1)[0]}" for e in stage.cost_exports())
        for function in stage.functions:
            assert function.policy_file == f"policies/{stage_name}/{function.name}.json"
            document = json.loads((ROOT / ".chalice" / function.policy_file).read_text())
            for statement in document["Statement"]:
                actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                assert statement["Effect"] == "Allow"
                assert not any(action.endswith("*") for action in actions), statement
                if statement["Resource"] == "*":
                    assert set(actions) <= allowed_star, (function.name, statement)
                for resource in statement["Resource"] if isinstance(statement["Resource"], list) else []:
                    if resource.startswith(("arn:aws:dynamodb", "arn:aws:s3", "arn:aws:sns", "arn:aws:states", "arn:aws:logs")):
                        assert stage.prefix in resource or resource.rstrip("*") in declared, (function.name, resource)
            text = json.dumps(document)
            assert ("ce:GetCostAndUsage" in text) == (function.name in ("collect_costs", "budget_spend", "report_pdf"))
            assert ("ce:GetCostForecast" in text) <= (function.name in ("budget_spend", "collect_costs", "report_pdf"))
            assert ("ses:SendEmail" in text) == (function.name in ("deliver_report", "notify_consumer"))
            assert ("states:StartExecution" in text) == (function.kind == "trigger")
            # client and operator notifications are published by the queue's consumer only
            assert ("sns:Publish" in text) == (function.name in ("notify_consumer", "publish_summaries", "scrape_publish"))
            # webhook URLs and the scrapers' key: the stage's prefix; the unsubscribe links' key: that one secret
            readers = ("notify_consumer", "scrape_chunk", "deliver_report", "api_handler")
            assert ("secretsmanager:GetSecretValue" in text) == (function.name in readers)
            if function.name in ("deliver_report", "api_handler"):
                secrets = [r for st in document["Statement"] for r in st["Resource"] if "secretsmanager" in r]
                assert secrets == [f"arn:aws:secretsmanager:*:*:secret:{stage.secrets_prefix}unsubscribe-key-*"]
            # a run's or a budget check's query (budget_spend reads its slice), and one client's outside a run
            queries = ("query_exports", "report_pdf")
            assert ("athena:StartQueryExecution" in text) == (function.name in queries and bool(declared)), function.name
            assert ("glue:GetTable" in text) == (function.name in (*queries, "split_exports") and bool(declared))
            queues = {g.queue for g in function.grants if isinstance(g, SendToQueue)}
            assert ("notify" in queues) == (function.name in ("render_report", "summarize_run", "budget_alert", "budget_summary"))
            assert ("sqs:SendMessage" in text) == bool(queues)


def test_an_sqs_consumer_packages_with_its_queue_dlq_and_partial_batch_responses(tmp_path: Path) -> None:
    """What the next subsystems add: one Queue entry, an on_sqs_message handler with its ConsumeQueue
    grant. The packaged template wires Chalice's SQS event to the stack's queue, with partial batch
    responses, and still passes cfn-lint with no error or warning."""
    import dataclasses
    import shutil

    from infra.description import DESCRIPTION
    from infra.model import ConsumeQueue, Function, Queue

    project = copy_project(tmp_path / "project")
    (project / "infra").mkdir()
    shutil.copy(ROOT / "infra" / "stages.json", project / "infra" / "stages.json")
    with (project / "app.py").open("a") as app:
        app.write('''

from chalicelib.core.constants import queue_name  # noqa: E402 - for the test-only consumer below


@app.on_sqs_message(queue=queue_name("test_jobs"), batch_size=5, name="handle_jobs")
def handle_jobs(event):
    return {"batchItemFailures": []}
''')
    jobs = Queue("test_jobs", visibility_timeout=60, max_receive_count=3)
    description = dataclasses.replace(DESCRIPTION, queues=(*DESCRIPTION.queues, jobs), functions=(
        *DESCRIPTION.functions, Function("handle_jobs", timeout=10, grants=(ConsumeQueue("test_jobs"),))))
    generate.write(project, description)
    assert generate.drift(project, description) == []
    package_cache.seed(project)
    packaged = package(project, "prod", tmp_path / "out")
    findings = cfn_lint(tmp_path / "out" / "sam.yaml")
    assert not [f for f in findings if f["Level"] in ("Error", "Warning")], json.dumps(findings, indent=1)

    resources = packaged["Resources"]
    event = resources["HandleJobs"]["Properties"]["Events"]["HandleJobsSqsEventSource"]
    assert event["Type"] == "SQS"
    assert event["Properties"]["Queue"] == {
        "Fn::Sub": "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:cost-reporter-prod-test-jobs"}
    assert resources["HandleJobs"]["DependsOn"] == ["TestJobsQueue"]  # the mapping waits for the queue
    assert resources["TestJobsQueue"]["Properties"]["QueueName"] == {
        "Fn::FindInMap": ["StageConfig", {"Ref": "Stage"}, "TestJobsQueueName"]}
    assert packaged["Mappings"]["StageConfig"]["prod"]["TestJobsQueueName"] == "cost-reporter-prod-test-jobs"
    assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert event["Properties"]["BatchSize"] == 5
    assert resources["TestJobsQueue"]["Properties"]["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": ["TestJobsDeadLetterQueue", "Arn"]}, "maxReceiveCount": 3}
    assert resources["AlarmTestJobsDlqNotEmpty"]["Properties"]["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::FindInMap": ["StageConfig", {"Ref": "Stage"}, "TestJobsDeadLetterQueueName"]}}]
    statements = resources["HandleJobsRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    consume, = [s for s in statements if s["Sid"] == "ConsumeTestJobsQueue"]
    assert consume["Resource"] == ["arn:aws:sqs:*:*:cost-reporter-prod-test-jobs"]

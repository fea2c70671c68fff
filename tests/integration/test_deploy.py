"""`python deploy.py` for real against a moto server on 127.0.0.1: deploy, redeploy (no-op), teardown.

The deploy is the real one (`chalice deploy` included) in a subprocess, pointed at the server by
AWS_ENDPOINT_URL; `--offline` gives chalice its deployment package from this environment, so no
registry is asked. Any other traffic is sent to a dead proxy: the test fails rather than reach
the network. The project is a scratch copy, so the checkout's .chalice/deployed stays untouched.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from infra.naming import Concrete
from infra.policies import policy_for
from infra.stage import ROOT, copy_project, load_stage

_PROD = load_stage("prod")  # STAGE below
CHALICE_APP = f"Chalice app ({len(_PROD.functions)} functions, {len(_PROD.triggers)} schedules)"  # the deploy report's line

STAGE = "prod"  # the stage with the most to deploy: reserved concurrency, X-Ray, TLS-only bucket
ACTION = re.compile(r"^  (created|updated|unchanged|deleted|absent)\s+(.*?)(?:  \((.*)\))?$")
OFFLINE_ENV = {
    # Anything not for 127.0.0.1 goes to a closed port on loopback: no network beyond it.
    "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9",
    "http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9",
    "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
    "PIP_NO_INDEX": "1",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    """A moto server in its own process (our deploy runs in another one, as a user's would)."""
    port = free_port()
    # moto's server with the one shim `local serve` installs for the app's REST API: moto 5.2.5 imports
    # OpenAPI 3 only and Chalice deploys its routes as Swagger 2.0 (local/aws/moto_patches.py).
    serve = ("import sys; from local.aws.moto_patches import import_swagger_apis; import_swagger_apis(); "
             "from moto.server import main; main(sys.argv[1:])")
    server = subprocess.Popen([sys.executable, "-c", serve, "-H", "127.0.0.1", "-p", str(port)], cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{url}/moto-api/config", timeout=1).read()
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                raise RuntimeError("moto server did not start") from None
            time.sleep(0.1)
    yield url
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_project(tmp_path_factory.mktemp("project"))


def aws_env(endpoint: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(OFFLINE_ENV)
    env.update({"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": os.devnull,
                "AWS_SHARED_CREDENTIALS_FILE": os.devnull})
    return env


def run_deploy(endpoint: str, project: Path, *extra: str) -> tuple[str, list[tuple[str, str, str]]]:
    command = [sys.executable, str(ROOT / "deploy.py"), "--stage", STAGE, "--offline", "--project-dir", str(project), *extra]
    done = subprocess.run(command, env=aws_env(endpoint), capture_output=True, text=True, timeout=300, cwd=project)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    actions = [m.groups() for m in map(ACTION.match, done.stdout.splitlines()) if m]
    return done.stdout, [(a, r, d or "") for a, r, d in actions]


def client(endpoint: str, service: str) -> Any:
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
    return session.client(service, endpoint_url=endpoint)


def resources_in(definition: Any) -> list[str]:
    """Every Task `Resource` of an ASL definition, Map iterations included."""
    found = []
    if isinstance(definition, dict):
        if definition.get("Type") == "Task":
            found.append(definition["Resource"])
        for value in definition.values():
            found += resources_in(value)
    elif isinstance(definition, list):
        for value in definition:
            found += resources_in(value)
    return found


@pytest.fixture(scope="module")
def deployed(endpoint: str, project: Path) -> dict[str, Any]:
    started = time.monotonic()
    output, actions = run_deploy(endpoint, project)
    return {"output": output, "actions": actions, "seconds": time.monotonic() - started}


def _naming(stage: Any, endpoint: str) -> Concrete:
    """The deployed names; queue URLs as this endpoint gives them."""
    sqs = client(endpoint, "sqs")
    urls = {q.key: sqs.get_queue_url(QueueName=stage.queue_name(q))["QueueUrl"] for q in stage.description.queues}
    naming = Concrete(stage, "us-east-1", "123456789012", urls=urls)
    # the REST API chalice deploy made for the routes: the unsubscribe links' base (no custom domain here)
    resources = json.loads(stage.deployed_file.read_text())["resources"]
    naming.api_url = next(r["rest_api_url"] for r in resources if r["resource_type"] == "rest_api")
    return naming


def chalice_app(stage: Any) -> str:
    return f"Chalice app ({len(stage.functions)} functions, {len(stage.triggers)} schedules)"


def test_first_deploy_creates_everything(deployed: dict[str, Any]) -> None:
    actions = {resource: action for action, resource, _ in deployed["actions"]}
    stage = load_stage(STAGE)
    for resource in (f"DynamoDB table {stage.table_name()}", f"S3 bucket {stage.bucket_name()}",
                     f"SNS topic {stage.alert_topic_name}", f"SES configuration set {stage.configuration_set}",
                     f"state machine {stage.state_machine_name('cost_report')}",
                     f"IAM role {stage.state_machine_role_name('cost_report')}",
                     f"state machine {stage.state_machine_name('chunked_job')}",
                     f"state machine {stage.state_machine_name('budget_check')}",
                     f"dashboard {stage.dashboard_name}", chalice_app(stage)):
        assert actions[resource] == "created", (resource, deployed["output"])
    assert "running: chalice deploy --stage prod" in deployed["output"]
    assert "Reusing existing deployment package" in deployed["output"]  # the offline package, no pip download


def test_functions_schedules_and_their_permissions(deployed: dict[str, Any], endpoint: str, project: Path) -> None:
    stage = load_stage(STAGE, project)
    lam, events, iam = client(endpoint, "lambda"), client(endpoint, "events"), client(endpoint, "iam")
    deployed_file = json.loads((project / ".chalice" / "deployed" / f"{STAGE}.json").read_text())
    recorded = {r["name"]: r["lambda_arn"] for r in deployed_file["resources"] if r["resource_type"] == "lambda_function"}
    assert sorted(recorded) == sorted(spec.name for spec in stage.functions)
    machine_arn = "arn:aws:states:us-east-1:123456789012:stateMachine:{}".format
    naming = _naming(stage, endpoint)
    for spec in stage.functions:
        name = stage.function_name(spec.name)
        function = lam.get_function(FunctionName=name)
        config = function["Configuration"]
        assert config["FunctionArn"] == recorded[spec.name]
        assert (config["MemorySize"], config["Timeout"]) == (spec.memory, spec.timeout)
        assert function.get("Concurrency", {}).get("ReservedConcurrentExecutions") == spec.reserved_concurrency
        assert config["TracingConfig"]["Mode"] == "Active"
        variables = config["Environment"]["Variables"]
        # exactly the stage's variables and those its grants give it, ARNs included
        assert variables == {**stage.stage_environment(), **stage.environment(spec.name, naming)}
        kinds = {type(grant).__name__ for grant in spec.grants}
        assert variables.get("TABLE_NAME") == ("cost-reporter-prod" if "TableItems" in kinds else None)
        assert variables.get("BUCKET_NAME") == ("cost-reporter-prod-reports" if "BucketObjects" in kinds else None)
        for machine in (grant.machine for grant in spec.grants if type(grant).__name__ == "StartExecution"):
            machine_spec = stage.description.machine(machine)
            assert variables[machine_spec.env_name] == machine_arn(stage.state_machine_name(machine))
        queues = [grant.queue for grant in spec.grants if type(grant).__name__ == "SendToQueue"]
        if "notify" in queues:  # those that queue notifications: render, summarize_run, budget_alert
            assert variables["NOTIFY_QUEUE_URL"].endswith("/cost-reporter-prod-notify")
        if spec.name in ("summarize_run", "notify_consumer"):
            assert ("notify" in queues) == (spec.name == "summarize_run")
        if spec.name == "notify_consumer":  # it publishes every notification, operator alerts included
            assert variables["ALERT_TOPIC_ARN"] == "arn:aws:sns:us-east-1:123456789012:cost-reporter-prod-alerts"
        # Least privilege: the function's own role holds exactly the generated policy file.
        role_name = config["Role"].rsplit("/", 1)[1]
        assert role_name == stage.role_name(spec.name)  # the function's name, but for the API handler (<app>-<stage>)
        inline = iam.list_role_policies(RoleName=role_name)["PolicyNames"]
        assert len(inline) == 1 and not iam.list_attached_role_policies(RoleName=role_name)["AttachedPolicies"]
        document = iam.get_role_policy(RoleName=role_name, PolicyName=inline[0])["PolicyDocument"]
        assert document == policy_for(stage, spec.name)
        if spec.kind == "trigger":
            rule = events.describe_rule(Name=f"{name}-event")
            assert rule["ScheduleExpression"] == spec.schedule and rule["State"] == "ENABLED"
            targets = events.list_targets_by_rule(Rule=f"{name}-event")["Targets"]
            assert [t["Arn"] for t in targets] == [config["FunctionArn"]]
    # One SQS event source mapping per consumer, on its stage's queue, with partial batch responses
    # (set by deploy.py: Chalice does not).
    mappings = lam.list_event_source_mappings()["EventSourceMappings"]
    consumers = {recorded[spec.name]: spec for spec in stage.functions if spec.kind == "consumer"}
    assert sorted(m["FunctionArn"] for m in mappings) == sorted(consumers)
    assert {"apply_metric_events", "notify_consumer"} <= {spec.name for spec in consumers.values()}
    for mapping in mappings:
        consumed, = [g.queue for g in consumers[mapping["FunctionArn"]].grants if type(g).__name__ == "ConsumeQueue"]
        queue, = [q for q in stage.description.queues if q.key == consumed]
        assert mapping["EventSourceArn"] == f"arn:aws:sqs:us-east-1:123456789012:{stage.queue_name(queue)}"
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_table_bucket_topic_and_configuration_set(deployed: dict[str, Any], endpoint: str) -> None:
    ddb, s3 = client(endpoint, "dynamodb"), client(endpoint, "s3")
    table = ddb.describe_table(TableName="cost-reporter-prod")["Table"]
    assert {(k["AttributeName"], k["KeyType"]) for k in table["KeySchema"]} == {("pk", "HASH"), ("sk", "RANGE")}
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    ttl = ddb.describe_time_to_live(TableName="cost-reporter-prod")["TimeToLiveDescription"]
    assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", "expiration")
    backups = ddb.describe_continuous_backups(TableName="cost-reporter-prod")["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"

    bucket = "cost-reporter-prod-reports"
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert all(s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"].values())
    lifecycle = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert [(r["Filter"]["Prefix"], r["Expiration"]["Days"], r["Status"]) for r in lifecycle] == [
        ("runs/", 30, "Enabled"), ("runs/on-demand-", 7, "Enabled")]
    policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    assert policy["Statement"][0]["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}

    client(endpoint, "sns").get_topic_attributes(TopicArn="arn:aws:sns:us-east-1:123456789012:cost-reporter-prod-alerts")
    described = client(endpoint, "ses").describe_configuration_set(
        ConfigurationSetName="cost-reporter-prod", ConfigurationSetAttributeNames=["eventDestinations"])
    destination = described["EventDestinations"][0]
    assert {"bounce", "complaint"} <= set(destination["MatchingEventTypes"])
    assert destination["CloudWatchDestination"]["DimensionConfigurations"][0]["DimensionName"] == "ses:configuration-set"


def test_state_machine_invokes_only_deployed_functions(deployed: dict[str, Any], endpoint: str, project: Path) -> None:
    sfn, lam, iam = client(endpoint, "stepfunctions"), client(endpoint, "lambda"), client(endpoint, "iam")
    stage = load_stage(STAGE, project)
    arn = f"arn:aws:states:us-east-1:123456789012:stateMachine:{stage.state_machine_name('cost_report')}"
    machine = sfn.describe_state_machine(stateMachineArn=arn)
    assert "${" not in machine["definition"]
    definition = json.loads(machine["definition"])
    source = json.loads((ROOT / "statemachines" / "cost_report.asl.json").read_text())
    task_arns = resources_in(definition)
    assert len(task_arns) == len(resources_in(source)) >= 7
    deployed_arns = {f["FunctionArn"] for f in lam.list_functions()["Functions"]}
    for task_arn in task_arns:
        assert task_arn in deployed_arns, task_arn
        lam.get_function(FunctionName=task_arn)  # resolves
    assert machine["roleArn"] == f"arn:aws:iam::123456789012:role/{stage.state_machine_role_name('cost_report')}"
    assert machine["tracingConfiguration"] == {"enabled": True}
    logging = machine["loggingConfiguration"]
    assert logging["level"] == "ERROR"
    assert logging["destinations"][0]["cloudWatchLogsLogGroup"]["logGroupArn"].endswith(
        f":log-group:{stage.state_machine_log_group('cost_report')}:*")
    # Its role may invoke exactly the functions the definition uses (and their versions), nothing else.
    policy = iam.get_role_policy(RoleName=stage.state_machine_role_name('cost_report'), PolicyName="invoke-project-functions")
    invoke = [s for s in policy["PolicyDocument"]["Statement"] if "lambda:InvokeFunction" in json.dumps(s["Action"])]
    assert len(invoke) == 1
    assert sorted(invoke[0]["Resource"]) == sorted({*task_arns, *(f"{a}:*" for a in task_arns)})


def test_monitoring_and_log_retention(deployed: dict[str, Any], endpoint: str, project: Path) -> None:
    stage = load_stage(STAGE, project)
    cw, logs = client(endpoint, "cloudwatch"), client(endpoint, "logs")
    alarms = {a["AlarmName"]: a for a in cw.describe_alarms(AlarmNamePrefix="cost-reporter-prod-")["MetricAlarms"]}
    topic = "arn:aws:sns:us-east-1:123456789012:cost-reporter-prod-alerts"
    assert sorted(alarms) == sorted(f"cost-reporter-prod-{kind}" for kind in (
        "lambda-errors", "duration-near-timeout", "report-missing", "executions-failed", "ses-bounces-complaints",
        *(f"{queue.key}-dlq-not-empty" for queue in stage.description.queues)))
    dlq_alarm = alarms["cost-reporter-prod-notify-dlq-not-empty"]  # a notification reached the dead-letter queue
    assert dlq_alarm["Dimensions"] == [{"Name": "QueueName", "Value": "cost-reporter-prod-notify-dlq"}]
    for alarm in alarms.values():
        assert alarm["AlarmActions"] == [topic]
    metrics = {m["Id"]: m for m in alarms["cost-reporter-prod-lambda-errors"]["Metrics"]}
    assert sum("MetricStat" in m for m in metrics.values()) == len(stage.functions)
    body = json.loads(cw.get_dashboard(DashboardName="cost-reporter-prod")["DashboardBody"])
    text = json.dumps(body)
    assert stage.state_machine_name('cost_report') in text and "EmailsSent" in text and "${" not in text
    groups = {g["logGroupName"]: g.get("retentionInDays") for g in logs.describe_log_groups()["logGroups"]}
    expected = [stage.lambda_log_group(f.name) for f in stage.functions] + \
        [stage.state_machine_log_group(machine) for machine in stage.description.state_machines]
    assert {name: groups.get(name) for name in expected} == dict.fromkeys(expected, 30)


def test_second_deploy_changes_nothing(deployed: dict[str, Any], endpoint: str, project: Path) -> None:
    lam, sfn = client(endpoint, "lambda"), client(endpoint, "stepfunctions")
    stage = load_stage(STAGE, project)
    before = {f["FunctionName"]: (f["LastModified"], f["CodeSha256"]) for f in lam.list_functions()["Functions"]}
    machine_before = sfn.describe_state_machine(
        stateMachineArn=f"arn:aws:states:us-east-1:123456789012:stateMachine:{stage.state_machine_name('cost_report')}")
    output, actions = run_deploy(endpoint, project)
    assert actions and {action for action, _, _ in actions} == {"unchanged"}, output
    assert "running: chalice" not in output
    assert output.rstrip().endswith(f"{len(actions)} unchanged.")
    after = {f["FunctionName"]: (f["LastModified"], f["CodeSha256"]) for f in lam.list_functions()["Functions"]}
    assert after == before
    machine_after = sfn.describe_state_machine(stateMachineArn=machine_before["stateMachineArn"])
    assert machine_after.get("revisionId") == machine_before.get("revisionId")
    assert machine_after["definition"] == machine_before["definition"]


def test_a_changed_input_is_redeployed(deployed: dict[str, Any], endpoint: str, project: Path) -> None:
    """Editing a policy file is a chalice input: the next deploy runs chalice and restores the ARN variables."""
    path = project / ".chalice" / "policies" / STAGE / "plan.json"
    original = path.read_text()
    path.write_text(original.replace('"Sid": "OwnLogs"', '"Sid": "OwnLogStreams"'))
    try:
        _, actions = run_deploy(endpoint, project)
    finally:
        path.write_text(original)
    changed = {resource: action for action, resource, _ in actions if action != "unchanged"}
    assert changed.pop(CHALICE_APP) == "updated"
    # chalice reset the functions' variables to config.json's; deploy.py put the ARNs (and queue URLs) back
    stage = load_stage(STAGE, project)
    naming = _naming(stage, endpoint)
    with_arns = [f.name for f in stage.functions if set(stage.environment(f.name, naming)) - set(stage.environment(f.name))]
    # (record_result sends no metric event any more: summarize_run emits each outcome once)
    assert {"daily_trigger", "summarize_run", "aggregation_trigger", "scrape_publish",
            "bdc_discount_trigger", "notify_consumer", "budget_trigger"} <= set(with_arns)
    assert set(changed) == {f"environment of {stage.function_name(f)}" for f in with_arns}
    role = client(endpoint, "iam").get_role_policy(RoleName="cost-reporter-prod-plan", PolicyName="cost-reporter-prod-plan")
    assert role["PolicyDocument"]["Statement"][0]["Sid"] == "OwnLogStreams"
    _, actions = run_deploy(endpoint, project)  # the original policy again
    assert ("updated", CHALICE_APP, "chalice deploy") in actions


def test_teardown_leaves_nothing(deployed: dict[str, Any], endpoint: str, project: Path) -> None:
    output, actions = run_deploy(endpoint, project, "--teardown", "--yes")
    assert "running: chalice delete --stage prod" in output
    assert {action for action, _, _ in actions} <= {"deleted", "absent"}
    prefix = "cost-reporter-prod"
    assert not [f for f in client(endpoint, "lambda").list_functions()["Functions"] if f["FunctionName"].startswith(prefix)]
    assert not [r for r in client(endpoint, "iam").list_roles()["Roles"] if r["RoleName"].startswith(prefix)]
    assert not client(endpoint, "events").list_rules(NamePrefix=prefix)["Rules"]
    assert not client(endpoint, "stepfunctions").list_state_machines()["stateMachines"]
    assert prefix not in client(endpoint, "dynamodb").list_tables()["TableNames"]
    assert not client(endpoint, "s3").list_buckets()["Buckets"]
    assert not client(endpoint, "sns").list_topics()["Topics"]
    assert not client(endpoint, "ses").list_configuration_sets().get("ConfigurationSets")
    assert not client(endpoint, "logs").describe_log_groups()["logGroups"]
    assert not client(endpoint, "cloudwatch").describe_alarms()["MetricAlarms"]
    assert not client(endpoint, "cloudwatch").list_dashboards()["DashboardEntries"]
    # and a second teardown finds nothing left to delete
    output, actions = run_deploy(endpoint, project, "--teardown", "--yes")
    assert {action for action, _, _ in actions} == {"absent"}, output

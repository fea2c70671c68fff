"""Idempotent deploy and teardown of a stage: the infrastructure, `chalice deploy`, the state machines, monitoring.

Every step reads what exists, compares it with what the stage wants and only then creates or
updates, reporting `created`, `updated` (with what changed) or `unchanged`; a second run with the
same inputs reports nothing but `unchanged`. All clients come from one boto3 session, so
`AWS_ENDPOINT_URL` (or per-service `AWS_ENDPOINT_URL_<SERVICE_ID>`) points the whole deploy,
`chalice deploy` included, at another endpoint.

Order and why:
  1. table, bucket, SNS topic, SES configuration set, state machine log group (the functions'
     configuration names them; nothing here depends on the functions)
  2. `chalice deploy --stage S` (subprocess, this Python): functions, their roles and log groups
     (30-day retention, from config.json), the three schedules. Skipped when its inputs (app code,
     requirements, config.json, the stage's policy files, Chalice and Python versions) hash to
     the value recorded on the state machine by the last complete deploy.
  3. the state machines' role (invoke exactly the task functions of .chalice/deployed/S.json),
     then the state machines from statemachines/*.asl.json with those ARNs, logging and X-Ray on.
  4. STATE_MACHINE_ARN on the three triggers and ALERT_TOPIC_ARN on summarize_run, set with
     UpdateFunctionConfiguration: both are ARNs that exist only after step 1/3 and contain the
     account id, which config.json cannot hold. A `chalice deploy` resets a function's variables to
     config.json's, so step 4 runs after every step 2 (a schedule firing in those seconds fails and
     Lambda's async retry, a minute later, succeeds).
  5. the five alarms and the dashboard; finally the inputs hash is recorded on the state machine.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from botocore.exceptions import ClientError

from deploy_support import infrastructure as infra
from deploy_support import monitoring, package_cache
from deploy_support.naming import Concrete
from deploy_support.project import APP_NAME, LOG_RETENTION_DAYS, STATE_MACHINES, Stage

FINGERPRINT_TAG = "cost-reporter:deployed-inputs"
CHALICE_MAIN = "import sys; from chalice.cli import main; sys.argv[0] = 'chalice'; sys.exit(main())"
ROLE_POLICY_NAME = "invoke-project-functions"


class DeployError(RuntimeError):
    pass


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _status(exc: ClientError) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))


def _same(desired: Any, actual: Any) -> bool:
    """desired is a subset of actual (extra fields AWS adds are ignored; numbers compare by value)."""
    if isinstance(desired, dict):
        return isinstance(actual, dict) and all(_same(v, actual.get(k)) for k, v in desired.items())
    if isinstance(desired, list):
        if not isinstance(actual, list) or len(desired) != len(actual):
            return False
        if all(isinstance(item, dict) and "Name" in item for item in desired + actual):
            # dimensions and the like: AWS may return them in another order
            desired, actual = (sorted(items, key=lambda item: str(item["Name"])) for items in (desired, actual))
        return all(map(_same, desired, actual))
    if isinstance(desired, bool) or isinstance(actual, bool):
        return str(desired).lower() == str(actual).lower()
    if isinstance(desired, (int, float)) and isinstance(actual, (int, float, str)):
        try:
            return float(desired) == float(actual)
        except ValueError:
            return False
    return desired == actual


@dataclass
class Change:
    resource: str
    action: str  # created | updated | unchanged | deleted | absent
    detail: str = ""


class Report:
    def __init__(self, out: Callable[[str], None]):
        self.out = out
        self.changes: list[Change] = []

    def add(self, resource: str, action: str, detail: str = "") -> None:
        self.changes.append(Change(resource, action, detail))
        self.out(f"  {action:<9} {resource}" + (f"  ({detail})" if detail else ""))

    def count(self, action: str) -> int:
        return sum(c.action == action for c in self.changes)

    @property
    def changed(self) -> list[Change]:
        return [c for c in self.changes if c.action in ("created", "updated", "deleted")]

    def summary(self) -> str:
        parts = [f"{self.count(a)} {a}" for a in ("created", "updated", "deleted", "unchanged", "absent") if self.count(a)]
        return ", ".join(parts) or "nothing to do"


class Deployer:
    def __init__(self, stage: Stage, session: Any = None, offline: bool = False, force_chalice: bool = False,
                 out: Callable[[str], None] = print):
        import boto3

        self.stage = stage
        self.session = session or boto3.Session()
        self.offline = offline
        self.force_chalice = force_chalice
        self.out = out
        self.report = Report(out)
        self._clients: dict[str, Any] = {}
        self._identity: tuple[str, str] | None = None
        self._last_output = ""

    # ---- plumbing -----------------------------------------------------------------------------

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self.session.client(service)
        return self._clients[service]

    @property
    def account(self) -> str:
        return self._whoami()[0]

    @property
    def region(self) -> str:
        return self._whoami()[1]

    def _whoami(self) -> tuple[str, str]:
        if self._identity is None:
            region = self.session.region_name
            if not region:
                raise DeployError("no AWS region: set AWS_DEFAULT_REGION (or a region in your AWS profile)")
            account = self.client("sts").get_caller_identity()["Account"]
            self._identity = (account, region)
        return self._identity

    @property
    def naming(self) -> Concrete:
        return Concrete(self.stage, self.region, self.account)

    @property
    def topic_arn(self) -> str:
        return f"arn:aws:sns:{self.region}:{self.account}:{self.stage.alert_topic_name}"

    def state_machine_arn(self, machine: str = "cost_report") -> str:
        return f"arn:aws:states:{self.region}:{self.account}:stateMachine:{self.stage.state_machine_name(machine)}"

    @property
    def role_arn(self) -> str:
        return f"arn:aws:iam::{self.account}:role/{self.stage.state_machine_role_name}"

    def log_group_arn(self, name: str) -> str:
        return f"arn:aws:logs:{self.region}:{self.account}:log-group:{name}"

    def _tags(self) -> dict[str, str]:
        return {"app": APP_NAME, "stage": self.stage.name}

    @staticmethod
    def _retry(what: str, call: Callable[[], Any], codes: tuple[str, ...], attempts: int = 12, delay: float = 2.0) -> Any:
        """Retry while AWS is still propagating something (IAM roles, a table becoming ACTIVE...)."""
        for attempt in range(attempts):
            try:
                return call()
            except ClientError as exc:
                if _code(exc) not in codes or attempt == attempts - 1:
                    raise
                time.sleep(delay)
        raise AssertionError(what)

    # ---- deploy ---------------------------------------------------------------------------------

    def deploy(self) -> Report:
        stage = self.stage
        endpoint = os.environ.get("AWS_ENDPOINT_URL")
        self.out(f"Deploying stage {stage.name!r} to account {self.account} in {self.region}"
                 + (f" at {endpoint}" if endpoint else ""))
        self.ensure_table()
        self.ensure_bucket()
        self.ensure_topic()
        self.ensure_configuration_set()
        for machine in STATE_MACHINES:
            self.ensure_log_group(stage.state_machine_log_group(machine))
        fingerprint = self.chalice_inputs_fingerprint()
        self.ensure_chalice_app(fingerprint)
        arns = self.deployed_function_arns()
        self.ensure_state_machine_role(arns)
        for machine in STATE_MACHINES:
            self.ensure_state_machine(machine, arns)
        self.ensure_function_environment()
        for spec in stage.functions:
            self.ensure_log_group(stage.lambda_log_group(spec.name))
        self.ensure_alarms()
        self.ensure_dashboard()
        self.record_fingerprint(fingerprint)
        self.out(f"Stage {stage.name!r}: {self.report.summary()}.")
        return self.report

    # ---- storage and messaging --------------------------------------------------------------------

    def ensure_table(self) -> None:
        ddb = self.client("dynamodb")
        name = self.stage.table_name
        created, changes = False, []
        try:
            table = ddb.describe_table(TableName=name)["Table"]
        except ClientError as exc:
            if _code(exc) != "ResourceNotFoundException":
                raise
            ddb.create_table(TableName=name, KeySchema=infra.KEY_SCHEMA, AttributeDefinitions=infra.ATTRIBUTE_DEFINITIONS,
                             BillingMode="PAY_PER_REQUEST", Tags=[{"Key": k, "Value": v} for k, v in self._tags().items()])
            ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 2, "MaxAttempts": 90})
            table = ddb.describe_table(TableName=name)["Table"]
            created = True
        if not _same(infra.KEY_SCHEMA, table.get("KeySchema")):
            raise DeployError(f"table {name} exists with key schema {table.get('KeySchema')}, expected pk/sk strings: "
                              "a table's keys cannot change, delete it or pick another TABLE_NAME")
        if table.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED") != "PAY_PER_REQUEST" and not created:
            ddb.update_table(TableName=name, BillingMode="PAY_PER_REQUEST")
            changes.append("on-demand billing")
        ttl = ddb.describe_time_to_live(TableName=name).get("TimeToLiveDescription", {})
        if ttl.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING") or ttl.get("AttributeName") != infra.TTL_ATTRIBUTE:
            if ttl.get("TimeToLiveStatus") in ("ENABLED", "ENABLING"):
                raise DeployError(f"table {name}: TTL is on attribute {ttl.get('AttributeName')!r}; "
                                  f"the project expects {infra.TTL_ATTRIBUTE!r} (disable it first)")
            ddb.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": True,
                                                                            "AttributeName": infra.TTL_ATTRIBUTE})
            changes.append(f"TTL on {infra.TTL_ATTRIBUTE}")
        backups = ddb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
        if backups.get("PointInTimeRecoveryDescription", {}).get("PointInTimeRecoveryStatus") != "ENABLED":
            self._retry("point-in-time recovery", lambda: ddb.update_continuous_backups(
                TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}),
                ("ContinuousBackupsUnavailableException",))
            changes.append("point-in-time recovery")
        self._record(f"DynamoDB table {name}", created, changes)

    def _record(self, resource: str, created: bool, changes: list[str]) -> None:
        if created:
            self.report.add(resource, "created", ", ".join(changes))
        elif changes:
            self.report.add(resource, "updated", ", ".join(changes))
        else:
            self.report.add(resource, "unchanged")

    def ensure_bucket(self) -> None:
        s3 = self.client("s3")
        name = self.stage.bucket_name
        created, changes = False, []
        try:
            s3.head_bucket(Bucket=name)
        except ClientError as exc:
            if _status(exc) == 403:
                raise DeployError(f"bucket {name} exists and belongs to another account (bucket names are global): "
                                  "set another BUCKET_NAME for the stage in .chalice/config.json and run "
                                  "python -m deploy_support.policies") from exc
            if _status(exc) != 404:
                raise
            kwargs: dict[str, Any] = {"Bucket": name}
            if self.region != "us-east-1":
                kwargs["CreateBucketConfiguration"] = {"LocationConstraint": self.region}
            s3.create_bucket(**kwargs)
            s3.get_waiter("bucket_exists").wait(Bucket=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
            created = True

        def current(getter: Callable[[], Any], missing: tuple[str, ...]) -> Any:
            try:
                return getter()
            except ClientError as exc:
                if _code(exc) in missing:
                    return None
                raise

        encryption = current(lambda: s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"],
                             ("ServerSideEncryptionConfigurationNotFoundError",))
        if not _same(infra.ENCRYPTION_RULES, encryption):
            s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": infra.ENCRYPTION_RULES})
            changes.append("encryption")
        block = current(lambda: s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"],
                        ("NoSuchPublicAccessBlockConfiguration",))
        if not _same(infra.PUBLIC_ACCESS_BLOCK, block):
            s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=infra.PUBLIC_ACCESS_BLOCK)
            changes.append("public access block")
        ownership = current(lambda: s3.get_bucket_ownership_controls(Bucket=name)["OwnershipControls"]["Rules"],
                            ("OwnershipControlsNotFoundError",))
        if not _same([{"ObjectOwnership": "BucketOwnerEnforced"}], ownership):
            s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})
            changes.append("object ownership")
        lifecycle = current(lambda: s3.get_bucket_lifecycle_configuration(Bucket=name)["Rules"],
                            ("NoSuchLifecycleConfiguration",))
        if not _same(infra.lifecycle_rules(), lifecycle):
            s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": infra.lifecycle_rules()})
            changes.append(f"{infra.RUNS_PREFIX} expiry after {infra.RUNS_EXPIRY_DAYS} days")
        existing = current(lambda: json.loads(s3.get_bucket_policy(Bucket=name)["Policy"]), ("NoSuchBucketPolicy",))
        if infra.enforces_tls(self.stage.name):
            policy = infra.bucket_policy(self.naming, f"arn:aws:s3:::{name}")
            if not _same(policy, existing):
                s3.put_bucket_policy(Bucket=name, Policy=json.dumps(policy))
                changes.append("TLS-only policy")
        elif existing is not None:
            s3.delete_bucket_policy(Bucket=name)
            changes.append("bucket policy removed (loopback stage: no TLS)")
        if created:
            s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in self._tags().items()]})
        self._record(f"S3 bucket {name}", created, changes)

    def ensure_topic(self) -> None:
        sns = self.client("sns")
        try:
            sns.get_topic_attributes(TopicArn=self.topic_arn)
            self.report.add(f"SNS topic {self.stage.alert_topic_name}", "unchanged")
        except ClientError as exc:
            if _code(exc) != "NotFound":
                raise
            sns.create_topic(Name=self.stage.alert_topic_name, Tags=[{"Key": k, "Value": v} for k, v in self._tags().items()])
            self.report.add(f"SNS topic {self.stage.alert_topic_name}", "created",
                            "subscribe the operators: aws sns subscribe --protocol email ...")

    def ensure_configuration_set(self) -> None:
        ses = self.client("ses")
        name = self.stage.configuration_set
        destination = infra.ses_event_destination(self.naming)
        created, changes = False, []
        try:
            described = ses.describe_configuration_set(ConfigurationSetName=name,
                                                       ConfigurationSetAttributeNames=["eventDestinations"])
        except ClientError as exc:
            if _code(exc) != "ConfigurationSetDoesNotExist":
                raise
            ses.create_configuration_set(ConfigurationSet={"Name": name})
            described, created = {}, True
        existing = [d for d in described.get("EventDestinations") or [] if d and d.get("Name") == destination["Name"]]
        if not existing:
            try:
                ses.create_configuration_set_event_destination(ConfigurationSetName=name, EventDestination=destination)
            except ClientError as exc:
                # AWS: another deploy created it meanwhile. moto 5.2.5: a destination name stays
                # registered after its configuration set is deleted (teardown, then deploy again).
                if _code(exc) != "EventDestinationAlreadyExists":
                    raise
            changes.append("CloudWatch event destination")
        elif not _same({**destination, "MatchingEventTypes": sorted(destination["MatchingEventTypes"])},
                       {**existing[0], "MatchingEventTypes": sorted(existing[0].get("MatchingEventTypes", []))}):
            ses.update_configuration_set_event_destination(ConfigurationSetName=name, EventDestination=destination)
            changes.append("CloudWatch event destination")
        self._record(f"SES configuration set {name}", created, changes)

    def ensure_log_group(self, name: str) -> None:
        logs = self.client("logs")
        groups = logs.describe_log_groups(logGroupNamePrefix=name).get("logGroups", [])
        group = next((g for g in groups if g["logGroupName"] == name), None)
        created, changes = False, []
        if group is None:
            logs.create_log_group(logGroupName=name, tags=self._tags())
            created = True
        if group is None or group.get("retentionInDays") != LOG_RETENTION_DAYS:
            logs.put_retention_policy(logGroupName=name, retentionInDays=LOG_RETENTION_DAYS)
            changes.append(f"retention {LOG_RETENTION_DAYS} days")
        self._record(f"log group {name}", created, changes)

    # ---- the Chalice app ----------------------------------------------------------------------------

    def chalice_inputs(self) -> list[Path]:
        root = self.stage.project_dir
        files = [root / "requirements.txt", root / "app.py", root / ".chalice" / "config.json"]
        for folder in (root / "chalicelib", root / "vendor"):
            if folder.is_dir():
                files += [p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"]
        files += [root / ".chalice" / spec.policy_file for spec in self.stage.functions if spec.policy_file]
        return sorted(f for f in files if f.exists())

    def chalice_inputs_fingerprint(self) -> str:
        import chalice

        digest = hashlib.sha256()
        digest.update(f"chalice {chalice.__version__}; {package_cache.lambda_python_version()}; "
                      f"offline={self.offline}\n".encode())
        for path in self.chalice_inputs():
            digest.update(str(path.relative_to(self.stage.project_dir)).encode() + b"\0" + path.read_bytes() + b"\0")
        return digest.hexdigest()[:40]

    def _recorded_fingerprint(self) -> str | None:
        try:
            tags = self.client("stepfunctions").list_tags_for_resource(resourceArn=self.state_machine_arn())["tags"]
        except ClientError as exc:
            if _code(exc) in ("ResourceNotFound", "StateMachineDoesNotExist", "InvalidArn"):
                return None
            raise
        return next((t["value"] for t in tags if t["key"] == FINGERPRINT_TAG), None)

    def _functions_exist(self) -> bool:
        if not self.stage.deployed_file.exists():
            return False
        lam = self.client("lambda")
        for spec in self.stage.functions:
            try:
                lam.get_function_configuration(FunctionName=self.stage.function_name(spec.name))
            except ClientError as exc:
                if _code(exc) == "ResourceNotFoundException":
                    return False
                raise
        return True

    def ensure_chalice_app(self, fingerprint: str) -> None:
        what = f"Chalice app ({len(self.stage.functions)} functions, {len(self.stage.triggers)} schedules)"
        if not self.force_chalice and self._recorded_fingerprint() == fingerprint and self._functions_exist():
            self.report.add(what, "unchanged", "code, requirements, config and policies as last deployed")
            return
        had_functions = self._functions_exist()
        self.run_chalice("deploy")
        self.report.add(what, "updated" if had_functions else "created", "chalice deploy")

    def run_chalice(self, command: str) -> str:
        if command != "deploy" or not self.offline:
            return self._chalice(command)
        for attempt in (1, 2):
            path, made = package_cache.seed(self.stage.project_dir)
            problem = package_cache.check_platform()
            self.out(f"  offline package {'built' if made else 'reused'}: {path.name}"
                     + (f" (not runnable by Lambda: {problem})" if problem else ""))
            try:
                return self._chalice(command)
            except DeployError:
                # The package's name hashes chalicelib/ bytecode too: another process that compiled
                # a module between seed() and chalice changes it. Seed the new name once more.
                if attempt == 2 or "NoSuchPackageError" not in self._last_output:
                    raise
        raise AssertionError("unreachable")

    def _chalice(self, command: str) -> str:
        env = dict(os.environ)
        env["AWS_DEFAULT_REGION"] = self.region
        env["PYTHONDONTWRITEBYTECODE"] = "1"  # chalice hashes chalicelib/ including bytecode: keep it stable
        if self.offline:
            env["PIP_NO_INDEX"] = "1"  # never reach a registry: fail instead
        cmd = [sys.executable, "-c", CHALICE_MAIN, "--project-dir", str(self.stage.project_dir),
               command, "--stage", self.stage.name]
        self.out(f"  running: chalice {command} --stage {self.stage.name}")
        process = subprocess.Popen(cmd, env=env, cwd=self.stage.project_dir, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True)
        lines: list[str] = []
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            self.out(f"    | {line.rstrip()}")
        self._last_output = "".join(lines)
        if process.wait() != 0:
            raise DeployError(f"chalice {command} --stage {self.stage.name} failed (exit {process.returncode})")
        output = "".join(lines)
        if command == "deploy" and self.offline and "Reusing existing deployment package" not in output:
            raise DeployError("chalice built its own package although --offline seeded one (inputs changed meanwhile?)")
        return output

    def deployed_function_arns(self) -> dict[str, str]:
        path = self.stage.deployed_file
        if not path.exists():
            raise DeployError(f"{path} is missing: chalice deploy did not record the stage")
        resources = json.loads(path.read_text()).get("resources", [])
        arns = {r["name"]: r["lambda_arn"] for r in resources if r.get("resource_type") == "lambda_function"}
        missing = [spec.name for spec in self.stage.functions if spec.name not in arns]
        if missing:
            raise DeployError(f"{path.name} lists no function for {', '.join(missing)}")
        for name, arn in arns.items():
            if f":{self.region}:{self.account}:" not in arn:
                raise DeployError(f"{path.name}: {name} is {arn}, not in account {self.account} / {self.region}")
        return arns

    # ---- state machines ------------------------------------------------------------------------------

    def ensure_state_machine_role(self, arns: dict[str, str]) -> None:
        iam = self.client("iam")
        name = self.stage.state_machine_role_name
        trust = infra.state_machine_trust_policy(self.naming)
        policy = infra.state_machine_policy(self.stage, self.naming, arns)
        created, changes = False, []
        try:
            role = iam.get_role(RoleName=name)["Role"]
            if not _same(trust, _policy_document(role.get("AssumeRolePolicyDocument"))):
                iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(trust))
                changes.append("trust policy")
        except ClientError as exc:
            if _code(exc) != "NoSuchEntity":
                raise
            iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust),
                            Description=f"Step Functions role of {self.stage.prefix}: invoke its task functions only",
                            Tags=[{"Key": k, "Value": v} for k, v in self._tags().items()])
            created = True
        try:
            current = _policy_document(iam.get_role_policy(RoleName=name, PolicyName=ROLE_POLICY_NAME)["PolicyDocument"])
        except ClientError as exc:
            if _code(exc) != "NoSuchEntity":
                raise
            current = None
        if not _same(policy, current):
            iam.put_role_policy(RoleName=name, PolicyName=ROLE_POLICY_NAME, PolicyDocument=json.dumps(policy))
            changes.append("invoke policy")
        self._record(f"IAM role {name}", created, changes)

    def render_definition(self, machine: str, arns: dict[str, str]) -> str:
        from deploy_support.asl import render_definition

        return render_definition(machine, {spec.placeholder: arns[spec.name] for spec in self.stage.functions})

    def ensure_state_machine(self, machine: str, arns: dict[str, str]) -> None:
        sfn = self.client("stepfunctions")
        name = self.stage.state_machine_name(machine)
        arn = self.state_machine_arn(machine)
        definition = self.render_definition(machine, arns)
        logging = infra.state_machine_logging(self.log_group_arn(self.stage.state_machine_log_group(machine)) + ":*")
        tracing = {"enabled": True}
        propagating = ("AccessDeniedException", "InvalidRoleArn", "AccessDenied")
        try:
            current = sfn.describe_state_machine(stateMachineArn=arn)
        except ClientError as exc:
            if _code(exc) != "StateMachineDoesNotExist":
                raise
            self._retry("create state machine", lambda: sfn.create_state_machine(
                name=name, definition=definition, roleArn=self.role_arn, type="STANDARD",
                loggingConfiguration=logging, tracingConfiguration=tracing,
                tags=[{"key": k, "value": v} for k, v in self._tags().items()]), propagating)
            self.report.add(f"state machine {name}", "created", f"statemachines/{machine}.asl.json, logging, X-Ray")
            return
        changes = []
        if json.loads(current["definition"]) != json.loads(definition):
            changes.append("definition")
        if current.get("roleArn") != self.role_arn:
            changes.append("role")
        if not _same(logging, current.get("loggingConfiguration")):
            changes.append("logging")
        if not _same(tracing, current.get("tracingConfiguration")):
            changes.append("tracing")
        if changes:
            self._retry("update state machine", lambda: sfn.update_state_machine(
                stateMachineArn=arn, definition=definition, roleArn=self.role_arn,
                loggingConfiguration=logging, tracingConfiguration=tracing), propagating)
        self._record(f"state machine {name}", False, changes)

    def runtime_environment(self) -> dict[str, dict[str, str]]:
        """The variables config.json cannot hold (ARNs with the account id), per function."""
        extra: dict[str, dict[str, str]] = {spec.name: {"STATE_MACHINE_ARN": self.state_machine_arn()}
                                            for spec in self.stage.triggers}
        extra.setdefault("summarize_run", {})["ALERT_TOPIC_ARN"] = self.topic_arn
        return extra

    def ensure_function_environment(self) -> None:
        lam = self.client("lambda")
        for function, variables in self.runtime_environment().items():
            name = self.stage.function_name(function)
            desired = {**self.stage.function(function).environment, **variables}
            current = lam.get_function_configuration(FunctionName=name).get("Environment", {}).get("Variables", {})
            if current == desired:
                self.report.add(f"environment of {name}", "unchanged")
                continue
            lam.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 120})
            lam.update_function_configuration(FunctionName=name, Environment={"Variables": desired})
            self.report.add(f"environment of {name}", "updated", ", ".join(sorted(variables)))

    # ---- monitoring ----------------------------------------------------------------------------------

    def alarm_specs(self) -> list[dict[str, Any]]:
        return list(monitoring.alarms(self.stage, self.naming, self.topic_arn, self.state_machine_arn()).values())

    def ensure_alarms(self) -> None:
        cw = self.client("cloudwatch")
        specs = self.alarm_specs()
        existing = {a["AlarmName"]: a for a in self._alarms_with_prefix()}
        for spec in specs:
            current = existing.pop(spec["AlarmName"], None)
            if current is not None and _same(spec, current):
                self.report.add(f"alarm {spec['AlarmName']}", "unchanged")
                continue
            cw.put_metric_alarm(**spec, Tags=[{"Key": k, "Value": v} for k, v in self._tags().items()])
            self.report.add(f"alarm {spec['AlarmName']}", "created" if current is None else "updated")
        for name in existing:  # an alarm this code no longer defines (renamed or removed)
            cw.delete_alarms(AlarmNames=[name])
            self.report.add(f"alarm {name}", "deleted", "no longer defined")

    def _alarms_with_prefix(self) -> list[dict[str, Any]]:
        cw = self.client("cloudwatch")
        found: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"AlarmNamePrefix": f"{self.stage.prefix}-", "AlarmTypes": ["MetricAlarm"]}
        while True:
            page = cw.describe_alarms(**kwargs)
            found += page.get("MetricAlarms", [])
            if not page.get("NextToken"):
                return found
            kwargs["NextToken"] = page["NextToken"]

    def ensure_dashboard(self) -> None:
        cw = self.client("cloudwatch")
        spec = monitoring.dashboard(self.stage, self.naming, self.state_machine_arn())
        try:
            current = json.loads(cw.get_dashboard(DashboardName=spec["DashboardName"])["DashboardBody"])
        except ClientError as exc:
            if _code(exc) not in ("ResourceNotFound", "ResourceNotFoundException"):
                raise
            current = None
        if current == json.loads(spec["DashboardBody"]):
            self.report.add(f"dashboard {spec['DashboardName']}", "unchanged")
            return
        cw.put_dashboard(**spec)
        self.report.add(f"dashboard {spec['DashboardName']}", "created" if current is None else "updated")

    def record_fingerprint(self, fingerprint: str) -> None:
        if self._recorded_fingerprint() != fingerprint:
            self.client("stepfunctions").tag_resource(resourceArn=self.state_machine_arn(),
                                                      tags=[{"key": FINGERPRINT_TAG, "value": fingerprint}])

    # ---- teardown ------------------------------------------------------------------------------------

    def teardown(self) -> Report:
        stage = self.stage
        self.out(f"Tearing down stage {stage.name!r} in account {self.account} / {self.region}")
        cw = self.client("cloudwatch")
        alarms = [a["AlarmName"] for a in self._alarms_with_prefix()]
        if alarms:
            cw.delete_alarms(AlarmNames=alarms)
        self.report.add(f"{len(alarms)} alarms {stage.prefix}-*", "deleted" if alarms else "absent")
        try:
            cw.delete_dashboards(DashboardNames=[stage.dashboard_name])
            self.report.add(f"dashboard {stage.dashboard_name}", "deleted")
        except ClientError as exc:
            if _code(exc) not in ("ResourceNotFound", "DashboardNotFoundError", "ResourceNotFoundException"):
                raise
            self.report.add(f"dashboard {stage.dashboard_name}", "absent")
        sfn = self.client("stepfunctions")
        for machine in STATE_MACHINES:
            self._delete(f"state machine {stage.state_machine_name(machine)}",
                         lambda: sfn.delete_state_machine(stateMachineArn=self.state_machine_arn(machine)),
                         lambda: sfn.describe_state_machine(stateMachineArn=self.state_machine_arn(machine)),
                         ("StateMachineDoesNotExist",))
        self._delete_role(stage.state_machine_role_name)

        if stage.deployed_file.exists() and json.loads(stage.deployed_file.read_text()).get("resources"):
            self.run_chalice("delete")
            self.report.add(f"Chalice app ({len(stage.functions)} functions, {len(stage.triggers)} schedules)",
                            "deleted", "chalice delete")
        self._delete_leftover_functions()

        logs = self.client("logs")
        for group in [stage.lambda_log_group(s.name) for s in stage.functions] + \
                     [stage.state_machine_log_group(m) for m in STATE_MACHINES]:
            self._delete(f"log group {group}", lambda g=group: logs.delete_log_group(logGroupName=g), None,
                         ("ResourceNotFoundException",))
        ses = self.client("ses")
        self._delete(f"SES configuration set {stage.configuration_set}",
                     lambda: ses.delete_configuration_set(ConfigurationSetName=stage.configuration_set),
                     lambda: ses.describe_configuration_set(ConfigurationSetName=stage.configuration_set),
                     ("ConfigurationSetDoesNotExist",))
        sns = self.client("sns")
        self._delete(f"SNS topic {stage.alert_topic_name}", lambda: sns.delete_topic(TopicArn=self.topic_arn),
                     lambda: sns.get_topic_attributes(TopicArn=self.topic_arn), ("NotFound",))
        self._delete_bucket()
        ddb = self.client("dynamodb")
        self._delete(f"DynamoDB table {stage.table_name}", lambda: ddb.delete_table(TableName=stage.table_name), None,
                     ("ResourceNotFoundException",))
        self.out(f"Stage {stage.name!r}: {self.report.summary()}.")
        return self.report

    def _delete(self, resource: str, delete: Callable[[], Any], check: Callable[[], Any] | None,
                missing: tuple[str, ...]) -> None:
        try:
            if check is not None:
                check()
            delete()
            self.report.add(resource, "deleted")
        except ClientError as exc:
            if _code(exc) not in missing:
                raise
            self.report.add(resource, "absent")

    def _delete_role(self, name: str) -> None:
        iam = self.client("iam")
        try:
            for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]:
                iam.delete_role_policy(RoleName=name, PolicyName=policy)
            for attached in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
                iam.detach_role_policy(RoleName=name, PolicyArn=attached["PolicyArn"])
            iam.delete_role(RoleName=name)
            self.report.add(f"IAM role {name}", "deleted")
        except ClientError as exc:
            if _code(exc) != "NoSuchEntity":
                raise
            self.report.add(f"IAM role {name}", "absent")

    def _delete_leftover_functions(self) -> None:
        """What chalice delete could not know about (no .chalice/deployed/<stage>.json on this machine)."""
        lam, events = self.client("lambda"), self.client("events")
        for spec in self.stage.functions:
            name = self.stage.function_name(spec.name)
            if spec.kind == "trigger":
                rule = f"{name}-event"
                try:
                    targets = events.list_targets_by_rule(Rule=rule)["Targets"]
                    if targets:
                        events.remove_targets(Rule=rule, Ids=[t["Id"] for t in targets])
                    events.delete_rule(Name=rule)
                    self.report.add(f"schedule {rule}", "deleted", "left over")
                except ClientError as exc:
                    if _code(exc) != "ResourceNotFoundException":
                        raise
            try:
                lam.delete_function(FunctionName=name)
                self.report.add(f"function {name}", "deleted", "left over")
            except ClientError as exc:
                if _code(exc) != "ResourceNotFoundException":
                    raise
            iam = self.client("iam")
            try:
                iam.get_role(RoleName=name)
            except ClientError as exc:
                if _code(exc) != "NoSuchEntity":
                    raise
                continue
            self._delete_role(name)

    def _delete_bucket(self) -> None:
        s3 = self.client("s3")
        name = self.stage.bucket_name
        try:
            s3.head_bucket(Bucket=name)
        except ClientError as exc:
            if _status(exc) == 404:
                self.report.add(f"S3 bucket {name}", "absent")
                return
            raise
        objects = 0
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=name):
            keys = [{"Key": v["Key"], "VersionId": v["VersionId"]}
                    for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
            for start in range(0, len(keys), 1000):
                s3.delete_objects(Bucket=name, Delete={"Objects": keys[start:start + 1000], "Quiet": True})
            objects += len(keys)
        s3.delete_bucket(Bucket=name)
        self.report.add(f"S3 bucket {name}", "deleted", f"{objects} objects")


def _policy_document(document: Any) -> Any:
    """IAM returns policy documents URL-encoded (boto3 usually decodes them already)."""
    if isinstance(document, str):
        from urllib.parse import unquote

        return json.loads(unquote(document))
    return document

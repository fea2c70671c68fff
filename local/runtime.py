"""An in-process AWS for the whole pipeline.

moto provides DynamoDB, S3, STS and Step Functions (with its engine executing the real
`statemachines/*.asl.json`); Lambda invokes go to the Chalice handlers in this process
(LambdaBridge); Cost Explorer answers from a cost data file (LocalCostExplorer); SES messages
are captured as .eml files (SesOutbox).
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from chalicelib.core.constants import (
    APP_NAME,
    ENV_ALERT_TOPIC_ARN,
    ENV_BUCKET_NAME,
    ENV_MAX_CONCURRENCY,
    ENV_SENDER_EMAIL,
    ENV_STATE_MACHINE_ARN,
    ENV_TABLE_NAME,
    SERVICE_NAME,
)
from deploy_support.asl import placeholder_for, render_definition
from local.cost_explorer import CostData, LocalCostExplorer, install as install_cost_explorer
from local.lambda_bridge import LambdaBridge
from local.ses_outbox import SesOutbox

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
STAGE = "local"
STATE_MACHINE_NAME = f"{APP_NAME}-{STAGE}-cost-report"

LOCAL_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "MOTO_ACCOUNT_ID": ACCOUNT_ID,
    ENV_TABLE_NAME: f"{APP_NAME}-{STAGE}",
    ENV_BUCKET_NAME: f"{APP_NAME}-{STAGE}-reports",
    ENV_SENDER_EMAIL: f"reports@{APP_NAME}.example",
    ENV_MAX_CONCURRENCY: "10",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
    "POWERTOOLS_METRICS_DISABLED": "true",  # EMF goes to stdout; tests switch it on to read it
    "POWERTOOLS_SERVICE_NAME": SERVICE_NAME,
    "AWS_LAMBDA_FUNCTION_NAME": f"{APP_NAME}-{STAGE}",
}


def reuse_engine_lambda_clients() -> Callable[[], None]:
    """moto's engine builds a new boto3 client for every Lambda task (several ms each, most of the
    engine's per-task cost); reuse one per region for the life of this in-process AWS."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils

    original = lambda_eval_utils.boto_client_for
    cache: dict[tuple[str, str], Any] = {}
    lock = threading.Lock()

    def cached(region: str, service: str, state_credentials: Any = None) -> Any:
        if state_credentials:
            return original(region=region, service=service, state_credentials=state_credentials)
        with lock:
            if (region, service) not in cache:
                cache[(region, service)] = original(region=region, service=service)
            return cache[(region, service)]

    lambda_eval_utils.boto_client_for = cached

    def restore() -> None:
        lambda_eval_utils.boto_client_for = original

    return restore


def scale_retry_sleeps(scale: float) -> None:
    """moto's engine really sleeps between retries; scale those sleeps for local runs and tests."""
    import types

    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl

    real_time = __import__("time")
    retrier_decl.time = types.SimpleNamespace(sleep=lambda seconds: real_time.sleep(seconds * scale))  # type: ignore[attr-defined]


@dataclass
class LocalAWS:
    out_dir: Path
    costs: CostData
    clients: Iterable[dict[str, Any] | str] = ()
    ce_page_size: int = 1000
    estimated_from: Any = None
    retry_time_scale: float = 0.05
    max_concurrency: int = 10
    env_overrides: dict[str, str] = field(default_factory=dict)

    def __enter__(self) -> "LocalAWS":
        import boto3
        from moto import mock_aws

        touched = {*LOCAL_ENV, *self.env_overrides, ENV_STATE_MACHINE_ARN, ENV_ALERT_TOPIC_ARN}
        self._saved_env = {key: os.environ.get(key) for key in touched}
        os.environ.update({**LOCAL_ENV, ENV_MAX_CONCURRENCY: str(self.max_concurrency), **self.env_overrides})
        self._mock = mock_aws(config={"stepfunctions": {"execute_state_machine": True}})
        self._mock.start()
        boto3.setup_default_session()
        self.session = boto3.DEFAULT_SESSION
        _reset_project_caches()
        scale_retry_sleeps(self.retry_time_scale)

        from app import app

        self.app = app
        # Local time runs faster (retry sleeps are scaled), so the Lambda timeout that bounds an
        # in-progress idempotency record is scaled alike, never below 3 s (well above a local send,
        # even on a loaded machine).
        self.bridge = LambdaBridge(dict(app.handler_map), function_prefix=f"{APP_NAME}-{STAGE}-",
                                   timeout_seconds=max(3.0, 60 * self.retry_time_scale))
        self.cost_explorer = LocalCostExplorer(self.costs, page_size=self.ce_page_size, estimated_from=self.estimated_from)
        self.outbox = SesOutbox(self.out_dir)
        self._uninstall = [
            self.bridge.install(self.session),
            install_cost_explorer(self.session, self.cost_explorer),
            self.outbox.install(self.session),
            reuse_engine_lambda_clients(),
        ]
        self._create_resources()
        self._unnamed = 1
        for client in self.clients:
            self.put_client(client)
        return self

    def __exit__(self, *exc: Any) -> None:
        for uninstall in self._uninstall:
            uninstall()
        self._mock.stop()
        _reset_project_caches()
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

    # ---- resources ------------------------------------------------------------------------

    def _create_resources(self) -> None:
        settings = _settings()
        dynamodb = self.session.client("dynamodb")
        dynamodb.create_table(
            TableName=settings.table_name,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        self.session.client("s3").create_bucket(Bucket=settings.bucket_name)
        self.alert_topic_arn = self.session.client("sns").create_topic(Name=f"{APP_NAME}-{STAGE}-alerts")["TopicArn"]
        os.environ[ENV_ALERT_TOPIC_ARN] = self.alert_topic_arn
        functions = [name for name, handler in self.app.handler_map.items()]
        substitutions = {
            placeholder_for(name): f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{APP_NAME}-{STAGE}-{name}"
            for name in functions
        }
        self.sfn = self.session.client("stepfunctions")
        self.state_machine_arn = self.sfn.create_state_machine(
            name=STATE_MACHINE_NAME,
            definition=render_definition("cost_report", substitutions),
            roleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/{APP_NAME}-{STAGE}-states",
        )["stateMachineArn"]
        os.environ[ENV_STATE_MACHINE_ARN] = self.state_machine_arn
        _reset_project_caches()

    def put_client(self, client: dict[str, Any] | str) -> str:
        fallback = f"unknown-{self._unnamed}"
        client_id = store_client_config(client, fallback)
        if client_id == fallback:
            self._unnamed += 1
        return client_id

    def install_faults(self, faults: Any) -> Callable[[], None]:
        """Install wire-level fault injection (local.faults.WireFaults) for every project client.

        botocore clients copy the session's handlers when created, so the cached project clients
        are dropped first and re-created with the fault handlers in place."""
        uninstall = faults.install(self.session)
        _reset_project_caches()
        return uninstall

    # ---- executions ------------------------------------------------------------------------

    def start(self, run_input: dict[str, Any], name: str | None = None) -> str:
        # AWS names an unnamed execution with a UUID; moto would name it "None", so name it here.
        name = name or f"local-{run_input.get('report_type', 'run')}-{uuid.uuid4().hex[:12]}"
        return self.sfn.start_execution(
            stateMachineArn=self.state_machine_arn, name=name, input=json.dumps(run_input)
        )["executionArn"]

    def wait(self, execution_arn: str, timeout: float = 600, poll: float = 0.1, on_poll: Any = None) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            described = self.sfn.describe_execution(executionArn=execution_arn)
            if described["status"] != "RUNNING":
                return described
            if on_poll:
                on_poll()
            if time.monotonic() > deadline:
                raise TimeoutError(f"execution {execution_arn} still running after {timeout} s")
            time.sleep(poll)

    def run(self, run_input: dict[str, Any], name: str | None = None, timeout: float = 600) -> dict[str, Any]:
        return self.wait(self.start(run_input, name), timeout)

    def history(self, execution_arn: str) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"executionArn": execution_arn, "maxResults": 1000}
        while True:
            page = self.sfn.get_execution_history(**kwargs)
            events.extend(page["events"])
            if not page.get("nextToken"):
                return events
            kwargs["nextToken"] = page["nextToken"]

    def run_records(self, run_id: str) -> dict[str, dict[str, Any]]:
        from chalicelib.core.store import table

        return {item["client_id"]: item for item in table.iter_client_records(run_id)}

    def read_artefact(self, key: str) -> str:
        from chalicelib.core.store import artefacts

        return artefacts.get_text(key)


def store_client_config(client: dict[str, Any] | str, fallback_id: str) -> str:
    """Store a config as written, under its client_id when it has a usable one (else `fallback_id`):
    the run then reports what is wrong with it instead of the loader refusing the whole file."""
    from chalicelib.core.store import table

    parsed: Any = client
    if isinstance(client, str):
        try:
            parsed = json.loads(client)
        except ValueError:
            parsed = None
    client_id = parsed.get("client_id") if isinstance(parsed, dict) else None
    # A DynamoDB sort key holds at most 1024 bytes ("CLIENT#<id>" in the run records).
    if not isinstance(client_id, str) or not client_id.strip() or len(client_id.encode("utf-8", "replace")) > 1000:
        client_id = fallback_id
    table.put_client_config(client, client_id=client_id)
    return client_id


def _settings() -> Any:
    from chalicelib.core.settings import get_settings

    return get_settings()


def _reset_project_caches() -> None:
    from chalicelib.core.caches import reset_all

    reset_all()

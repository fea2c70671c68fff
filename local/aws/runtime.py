"""The in-process AWS both local modes run on: `python -m local run` (moto in this process,
LocalAWS below) and `python -m local serve` (moto's HTTP server, server.py).

LocalRuntime is what they share: one environment set-up (the stage `local` of infra/description.py,
deployed by infra/deployer.py, the same code as for AWS, and every function's variables, derived
from its grants, in this one process), one hook installation (the Lambda bridge, the Cost Explorer
emulator, the local Athena, the SES outbox, Organizations, the SQS poller, the notification captures,
the moto patches of moto_patches.py, the usage counters), one way to seed client configs
(client_configs.py) and billing exports (local/aws/exports), and the executions' helpers. The
resources themselves are made by infra/deployer.py: no second list here.

LocalAWS: `with LocalAWS(out_dir=..., costs=..., clients=...) as aws: aws.run({...})`; the functions
are not deployed, their invokes are answered by the Chalice handlers in this process (LambdaBridge).
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from local.aws.client_configs import store_clients
from local.aws.moto_patches import (
    atomic_dynamodb,
    atomic_s3,
    cached_backend_urls,
    cached_json_paths,
    cached_response_attribute_names,
    cached_response_method_names,
    cached_update_expressions,
    detach_moto_event_source_mappings,
    exact_number_arithmetic,
    fast_sqs_clock,
    item_scoped_transactions,
    lazy_moto_batch,
    partition_queries,
    reuse_engine_lambda_clients,
    scale_retry_sleeps,
)

STAGE = "local"
ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "MOTO_ACCOUNT_ID": ACCOUNT_ID,
}
ROOT = Path(__file__).resolve().parents[2]


_LOADER: Any = None


def fresh_default_session() -> Any:
    """A new boto3 default session (it reads the current environment: endpoint, credentials) that
    shares one botocore data loader with the previous ones: service models are parsed once per
    process instead of once per local AWS (most of a client's creation time)."""
    global _LOADER
    import boto3
    import botocore.session

    core = botocore.session.get_session()
    if _LOADER is None:
        _LOADER = core.get_component("data_loader")
    else:
        core.register_component("data_loader", _LOADER)
    boto3.setup_default_session(botocore_session=core)
    return boto3.DEFAULT_SESSION


def reset_project_caches() -> None:
    """Forget the Lambda code's cached clients and settings (a fresh AWS, new variables)."""
    from chalicelib.core.caches import reset_all

    reset_all()


class LocalRuntime:
    """What `run` and `serve` have in common; subclasses provide the AWS (in-process or a server)."""

    in_process = True

    def __init__(self, out_dir: Path, costs: Any, clients: Iterable[dict[str, Any] | str] = (),
                 retry_time_scale: float = 0.05, ce_page_size: int = 1000, estimated_from: Any = None,
                 max_concurrency: int | None = None, env_overrides: dict[str, str] | None = None,
                 project_dir: Path = ROOT, log: Callable[[str], None] = lambda line: None,
                 poll_queues: bool = True, organizations: dict[str, list[dict[str, str]]] | None = None,
                 handler_overrides: dict[str, Any] | None = None, exports: list[Any] | None = None):
        self.out_dir = Path(out_dir)
        self.costs = costs
        self.clients = list(clients)
        self.retry_time_scale = retry_time_scale
        self.ce_page_size = ce_page_size
        self.estimated_from = estimated_from
        self.max_concurrency = max_concurrency
        self.env_overrides = dict(env_overrides or {})
        self.project_dir = Path(project_dir).resolve()
        self.log = log
        self.poll_queues = poll_queues
        self.organizations = dict(organizations or {})  # payer account -> its accounts' names (ListAccounts)
        # Lambda handlers replaced by function name (bench.pipeline's engine floor runs no-op ones).
        self.handler_overrides = dict(handler_overrides or {})
        # Billing exports put in the local S3 (local/aws/exports): these, else those of the cost file
        # (a FOCUS or CUR 2.0 --costs file), else the samples' when the stage declares exports.
        self.exports = exports
        self.seeded_exports: list[dict[str, Any]] = []
        self.athena: Any = None
        self.client_ids: list[str] = []
        self._saved_env: dict[str, str | None] = {}
        self._uninstall: list[Callable[[], None]] = []
        self.poller: Any = None

    # ---- environment ----------------------------------------------------------------------------

    def set_env(self, values: dict[str, str]) -> None:
        for key, value in values.items():
            self._saved_env.setdefault(key, os.environ.get(key))
            os.environ[key] = value

    def restore_env(self) -> None:
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_env.clear()

    # ---- the steps both modes take -------------------------------------------------------------------

    def deploy(self, session: Any, offline: bool = True) -> None:
        """The stage `local`, deployed by infra/deployer.py; then this process takes the functions'
        environment (they all run here)."""
        from infra.deployer import Deployer
        from infra.stage import load_stage

        self.session = session
        self.stage = load_stage(STAGE, self.project_dir)
        deployer = Deployer(self.stage, session=session, offline=offline, out=self.log, in_process=self.in_process)
        self.deploy_report = deployer.deploy()
        self.deployer = deployer
        self.account, self.region = deployer.account, deployer.region
        self.state_machine_arn = deployer.state_machine_arn()
        env = deployer.environment()
        # Powertools idempotency keys carry the function name, as in Lambda: the deliver function's.
        env["AWS_LAMBDA_FUNCTION_NAME"] = self.stage.function_name("deliver_report")
        if self.max_concurrency is not None:
            env["MAX_CONCURRENCY"] = str(self.max_concurrency)
        # A FOCUS or CUR 2.0 cost file: every client reads its costs from the stage's export of that
        # family (clients that name a source keep it).
        file_export = next(iter(getattr(self.costs, "exports", None) or ()), None)
        if file_export is not None:
            from local.aws.exports import family

            same_family = [e.name for e in self.stage.settings.exports if family(e.format) == family(file_export.format)]
            if same_family:
                env["DEFAULT_COST_SOURCE"] = same_family[0]
        self.set_env({**env, **self.env_overrides})
        reset_project_caches()

    def install_athena(self, session: Any) -> None:
        """The local Athena (DuckDB over the local S3, local/aws/athena): installed before the deploy,
        which creates the stage's workgroups through it. Partition projection's NOW is the later of
        today and the day after the cost data's last day, so sample months are never "in the future"."""
        from datetime import UTC, datetime, time as day_time, timedelta

        from local.aws.athena.service import LocalAthena, install as install_athena

        last_day = getattr(self.costs, "last_day", None)
        floor = datetime.combine(last_day + timedelta(days=1), day_time(), UTC) if last_day else None
        self.athena = LocalAthena(now=lambda: max(datetime.now(UTC), floor) if floor else datetime.now(UTC))
        self._uninstall += [self.athena.close, install_athena(session, self.athena)]

    def seed_exports(self) -> None:
        """Put the billing exports in the local S3 (local/aws/exports.seed_exports: where, and why)."""
        from local.aws.exports import declared_exports, sample_exports, seed_exports

        declared = declared_exports(self.stage)
        own = self.exports if self.exports is not None else getattr(self.costs, "exports", None)
        if own is None and not declared:
            return
        self.seeded_exports = seed_exports(self.session.client("s3"), own if own is not None else sample_exports(),
                                           declared, log=self.log)

    @property
    def alert_topic_arn(self) -> str:
        return self.deployer.naming.arn(self.stage.description.alarm_topic)

    def install_hooks(self) -> None:
        """Registered on the default session, before any project client exists (clients copy the
        session's handlers when created): the engine's Lambda client and the handlers' clients use it."""
        import sys

        from local.aws.cost_explorer.service import LocalCostExplorer, install as install_cost_explorer
        from local.aws.lambda_bridge import LambdaBridge
        from local.aws.notifications import LocalNotifications
        from local.aws.organizations import install as install_organizations
        from local.aws.ses_outbox import SesOutbox
        from local.aws.sqs_poller import SqsPoller
        from local.metering.aws_calls import AwsCallCounter
        from local.metering.engine_counters import EngineEvents

        if str(self.project_dir) not in sys.path:
            sys.path.insert(0, str(self.project_dir))
        from app import app

        self.app = app
        # Local time runs faster (retry sleeps are scaled), so the Lambda timeout that bounds an
        # in-progress idempotency record is scaled alike, never below 3 s (well above a local send,
        # even on a loaded machine).
        self.bridge = LambdaBridge({**app.handler_map, **self.handler_overrides}, function_prefix=f"{self.stage.prefix}-",
                                   timeout_seconds=max(3.0, 60 * self.retry_time_scale))
        self.cost_explorer = LocalCostExplorer(self.costs, page_size=self.ce_page_size,
                                               estimated_from=self.estimated_from,
                                               account_names={str(m["Id"]): str(m["Name"])
                                                              for members in self.organizations.values()
                                                              for m in members if m.get("Id") and m.get("Name")})
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.outbox = SesOutbox(self.out_dir)
        # What the run is billed by (local/metering/usage.py): every AWS call by owner, the engine's events.
        self.aws_calls = AwsCallCounter()
        self.bridge.stage_marker = self.aws_calls
        self.engine_events = EngineEvents()
        self._uninstall += [
            self.aws_calls.install(self.session),
            self.engine_events.install(),
            self.bridge.install(self.session),
            install_cost_explorer(self.session, self.cost_explorer),
            install_organizations(self.session, self.organizations),
            self.outbox.install(self.session),
            reuse_engine_lambda_clients(),
            item_scoped_transactions(),  # a transaction copies the items it names, not their tables
            atomic_dynamodb(),  # concurrent "Lambdas" in one process: DynamoDB's atomicity, not moto's races
            atomic_s3(),  # and S3's: two writers of one key, the last one wins
            partition_queries(),  # a Query reads its partition, not a sort of the whole table
            fast_sqs_clock(),  # a receive costs O(batch), not O(queue) datetime steps per message
            exact_number_arithmetic(),  # ADD of "1E-10" (a sub-cent amount) as DynamoDB does it
            # What moto and the engine recomputed for every request, computed once (the same answers).
            cached_backend_urls(), cached_response_method_names(), cached_json_paths(), cached_update_expressions(),
            cached_response_attribute_names(),
        ]
        detach_moto_event_source_mappings()
        self.notify = LocalNotifications(self)  # webhooks to a loopback server, files per channel
        self._uninstall.append(self.notify.close)
        self.poller = SqsPoller.for_app(app, self.session, self.bridge, self.stage,
                                        time_scale=self.retry_time_scale)
        if self.poll_queues and self.poller.mappings:
            self._uninstall.append(self.poller.start())

    def seed_clients(self) -> None:
        """Store every config as written; one without a valid client_id under entry[<position>]."""
        self.client_ids = store_clients(self.clients)
        self.notify.seed_secrets(self.clients)

    def ledger_items(self) -> list[tuple[str, str]]:
        """(pk, sk) of every delivery ledger entry."""
        from chalicelib.core.constants import PK_DELIVERY_PREFIX
        from chalicelib.core.settings import get_settings

        items = self.session.resource("dynamodb").Table(get_settings().table_name).scan()["Items"]
        return sorted((i["pk"], i["sk"]) for i in items if i["pk"].startswith(PK_DELIVERY_PREFIX))

    def uninstall_hooks(self) -> None:
        # Every hook is undone even when one fails: a patch left installed would be wrapped again by
        # the next runtime in this process (and a wrapped transaction lock waits on itself).
        failures: list[BaseException] = []
        for uninstall in reversed(self._uninstall):
            try:
                uninstall()
            except Exception as exc:  # noqa: BLE001 - collected and raised below, after the others ran
                failures.append(exc)
        self._uninstall.clear()
        if failures:
            raise failures[0]

    def install_faults(self, faults: Any) -> Callable[[], None]:
        """Install wire-level fault injection (local.fixtures.faults.WireFaults) for every call our stages make
        (not the engine's own: Step Functions retries its ItemReader reads inside the service).

        botocore clients copy the session's handlers when created, so the cached project clients
        are dropped first and re-created with the fault handlers in place."""
        faults.only_when = self.aws_calls.in_stage
        uninstall = faults.install(self.session)
        reset_project_caches()
        return uninstall

    # ---- executions ------------------------------------------------------------------------------------

    @property
    def sfn(self) -> Any:
        if not hasattr(self, "_sfn"):
            self._sfn = self.session.client("stepfunctions")
        return self._sfn

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
                # Stopped before the in-process AWS is torn down: a branch still running would
                # otherwise go on calling the (now unmocked) real endpoints.
                try:
                    self.sfn.stop_execution(executionArn=execution_arn, error="LocalTimeout",
                                            cause=f"still running after {timeout} s")
                    stopped = "stopped"
                    for _ in range(100):  # moto aborts the branches asynchronously: wait for it (bounded)
                        if self.sfn.describe_execution(executionArn=execution_arn)["status"] != "RUNNING":
                            break
                        time.sleep(0.1)
                except Exception as exc:  # noqa: BLE001 - moto refuses to stop a worker still starting
                    stopped = f"could not be stopped: {type(exc).__name__}"
                raise TimeoutError(f"execution {execution_arn} still running after {timeout} s ({stopped})")
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
        from chalicelib.reports import store as table

        return {item["client_id"]: item for item in table.iter_client_records(run_id)}

    def read_artefact(self, key: str) -> str:
        from chalicelib.reports import store as artefacts

        return artefacts.get_text(key)

    def read_artefact_bytes(self, key: str) -> bytes:
        from chalicelib.reports import store as artefacts

        return artefacts.get_bytes(key)

    def artefact_names(self, prefix: str) -> list[str]:
        """Names of the objects under a key prefix, every page (the project's cached S3 client)."""
        from chalicelib.core import aws
        from chalicelib.core.settings import get_settings

        pages = aws.client("s3").get_paginator("list_objects_v2").paginate(Bucket=get_settings().bucket_name, Prefix=prefix)
        return [item["Key"][len(prefix):] for page in pages for item in page.get("Contents", [])]


class LocalAWS(LocalRuntime):
    """`with LocalAWS(out_dir=..., costs=..., clients=...) as aws: aws.run({...})`"""

    in_process = True

    def __enter__(self) -> LocalAWS:
        import boto3
        from moto import mock_aws

        self.set_env(CREDENTIALS)
        lazy_moto_batch()  # about 55 MB of EC2 tables the engine would load for nothing
        self._mock = mock_aws(config={"stepfunctions": {"execute_state_machine": True}})
        self._mock.start()
        # moto warns on every parse that it does not enforce ToleratedFailurePercentage (our children
        # catch their errors, so nothing here depends on it): keep that out of the run's output.
        logging.getLogger("moto.stepfunctions.parser.asl.parse.preprocessor").setLevel(logging.ERROR)
        # The engine logs at ERROR every exception it evaluates, a Choice's missing optional path
        # (HasCostData) included; what fails a state is in the execution's status and history.
        logging.getLogger("moto.stepfunctions.parser.asl.component.eval_component").setLevel(logging.CRITICAL)
        try:
            fresh_default_session()
            reset_project_caches()
            self._uninstall.append(scale_retry_sleeps(self.retry_time_scale))
            self.install_athena(boto3.DEFAULT_SESSION)
            self.deploy(boto3.DEFAULT_SESSION)
            self.install_hooks()
            self.seed_clients()
            self.seed_exports()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc: Any) -> None:
        self.uninstall_hooks()
        self._mock.stop()
        reset_project_caches()
        self.restore_env()

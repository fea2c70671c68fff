"""`python -m local serve`: a persistent AWS-compatible endpoint on 127.0.0.1 with the app deployed into it.

python -m local serve [--port 4566] [--clients FILE.json] [--costs FILE.csv] [--out DIR]

1. moto's HTTP server (ThreadedMotoServer) on 127.0.0.1, its Step Functions engine switched on
   (POST /moto-api/config), MOTO_PORT pointing the engine's own service calls back at it;
2. the stage `local` deployed into it by the same code as `python deploy.py --stage local`
   (deploy_support.Deployer, `chalice deploy` included; `--offline` packaging, no registry);
3. this process gets the environment the deployed functions are configured with (read back
   from the endpoint), and the in-process hooks: Lambda invokes made by the engine run the
   Chalice handlers here (LambdaBridge), Cost Explorer answers from the cost CSV
   (LocalCostExplorer), SES messages land as .eml files under DIR/<client_id>/ (SesOutbox);
4. the client configs are written to the deployed table.

Then anyone can drive it with the AWS CLI or boto3 (`--endpoint-url http://127.0.0.1:PORT`) until
Ctrl-C. Everything lives in memory and is gone when the server stops. Code changes need a restart
(the handlers are imported once). Scheduled triggers do not fire locally: start executions.

Tests use `LocalServer` directly (start()/stop() or a `with` block).
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sys
import time
import urllib.request
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = Path(__file__).resolve().parent / "samples"
STAGE = "local"
DEFAULT_PORT = 4566
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}


class LocalServer:
    """The endpoint, the deployed stage and the in-process hooks; start() then stop()."""

    def __init__(self, port: int = DEFAULT_PORT, clients: list[dict[str, Any] | str] | None = None,
                 costs: Any = None, out_dir: Path = Path("out"), project_dir: Path = ROOT,
                 retry_time_scale: float = 1.0, log: Callable[[str], None] = print):
        from local.cost_explorer import CostData

        self.requested_port = port
        self.clients = list(clients or [])
        self.costs = costs if costs is not None else CostData.from_rows([])
        self.out_dir = Path(out_dir)
        self.project_dir = Path(project_dir).resolve()
        self.retry_time_scale = retry_time_scale
        self.log = log
        self._uninstall: list[Callable[[], None]] = []
        self._saved_env: dict[str, str | None] = {}
        self.server: Any = None
        self.port = 0

    # ---- lifecycle --------------------------------------------------------------------------------

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "LocalServer":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def start(self) -> "LocalServer":
        from moto.server import ThreadedMotoServer

        if self.requested_port:
            _check_port_free(self.requested_port)
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
        self._set_env(CREDENTIALS)
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.requested_port, verbose=False)
        self.server.start()
        self.port = self.server.get_host_and_port()[1]
        try:
            # The engine's own calls (S3, SQS, nested executions) go to localhost:$MOTO_PORT.
            self._set_env({"AWS_ENDPOINT_URL": self.endpoint, "MOTO_PORT": str(self.port)})
            self._moto_config({"stepfunctions": {"execute_state_machine": True}})
            self._uninstall.append(_name_unnamed_executions())
            if self.retry_time_scale != 1.0:
                from local.runtime import scale_retry_sleeps

                scale_retry_sleeps(self.retry_time_scale)
            self._deploy()
            self._install_hooks()
            self._seed_clients()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for uninstall in reversed(self._uninstall):
            uninstall()
        self._uninstall.clear()
        if self.server is not None:
            try:
                self._moto_config({"stepfunctions": {"execute_state_machine": False}})
                urllib.request.urlopen(urllib.request.Request(f"{self.endpoint}/moto-api/reset", method="POST"), timeout=10)
            except OSError:
                pass
            self.server.stop()
            inner = getattr(self.server, "_server", None)
            if inner is not None:
                inner.server_close()  # release the port now
            self.server = None
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_env.clear()
        _reset_project_caches()
        import boto3

        boto3.DEFAULT_SESSION = None

    def wait(self) -> None:
        """Block until Ctrl-C (the CLI)."""
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            self.log("\nstopping")

    # ---- steps ------------------------------------------------------------------------------------

    def _set_env(self, values: dict[str, str]) -> None:
        for key, value in values.items():
            self._saved_env.setdefault(key, os.environ.get(key))
            os.environ[key] = value

    def _moto_config(self, config: dict[str, Any]) -> None:
        request = urllib.request.Request(f"{self.endpoint}/moto-api/config", data=json.dumps(config).encode(),
                                         headers={"Content-Type": "application/json"}, method="POST")
        urllib.request.urlopen(request, timeout=10).read()

    def _deploy(self) -> None:
        import boto3

        from deploy_support.deployer import Deployer
        from deploy_support.project import load_stage

        boto3.setup_default_session()  # a fresh default session: it reads the endpoint set above
        self.session = boto3.DEFAULT_SESSION
        self.stage = load_stage(STAGE, self.project_dir)
        deployer = Deployer(self.stage, session=self.session, offline=True, out=self.log)
        self.deploy_report = deployer.deploy()
        self.state_machine_arn = deployer.state_machine_arn()
        self.account, self.region = deployer.account, deployer.region

        # The handlers run here, so this process takes the environment the functions are deployed with.
        lam = self.session.client("lambda")
        runtime_env: dict[str, str] = {}
        for spec in self.stage.functions:
            configuration = lam.get_function_configuration(FunctionName=self.stage.function_name(spec.name))
            runtime_env.update(configuration.get("Environment", {}).get("Variables", {}))
        # Powertools idempotency keys carry the function name, as in Lambda: the deliver function's.
        runtime_env["AWS_LAMBDA_FUNCTION_NAME"] = self.stage.function_name("deliver_report")
        self._set_env(runtime_env)
        _reset_project_caches()

    def _install_hooks(self) -> None:
        from local.cost_explorer import LocalCostExplorer, install as install_cost_explorer
        from local.lambda_bridge import LambdaBridge
        from local.runtime import reuse_engine_lambda_clients
        from local.ses_outbox import SesOutbox

        if str(self.project_dir) not in sys.path:
            sys.path.insert(0, str(self.project_dir))
        from app import app

        last_day = self.costs.last_day or date.today()
        self.bridge = LambdaBridge(dict(app.handler_map), function_prefix=f"{self.stage.prefix}-",
                                   timeout_seconds=max(1.0, 60 * self.retry_time_scale))
        self.cost_explorer = LocalCostExplorer(self.costs, estimated_from=(last_day + timedelta(days=1)).replace(day=1))
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.outbox = SesOutbox(self.out_dir)
        # Registered on the default session: the engine's Lambda client and the handlers' clients use it
        # (clients copy the session's handlers when created: these are in place before any is).
        self._uninstall += [
            self.bridge.install(self.session),
            install_cost_explorer(self.session, self.cost_explorer),
            self.outbox.install(self.session),
            reuse_engine_lambda_clients(),
        ]

    def _seed_clients(self) -> None:
        from local.runtime import store_client_config

        self.client_ids: list[str] = []
        for client in self.clients:
            self.client_ids.append(store_client_config(client, f"unknown-{len(self.client_ids) + 1}"))

    # ---- what to tell the person ----------------------------------------------------------------------

    def banner(self) -> str:
        ep, arn = self.endpoint, self.state_machine_arn
        as_of = ((self.costs.last_day or date.today()) + timedelta(days=1)).isoformat()
        first = self.client_ids[0] if self.client_ids else "CLIENT_ID"
        aws = f"aws --endpoint-url {ep}"
        return f"""
Local AWS endpoint: {ep}   (stage '{STAGE}', account {self.account}, {self.region})
State machine:      {arn}
Clients seeded:     {len(self.client_ids)} ({', '.join(self.client_ids[:8])}{', ...' if len(self.client_ids) > 8 else ''})
Cost data:          {len(self.costs)} rows, last day {self.costs.last_day or '-'}
Emails:             {self.out_dir.resolve()}/<client_id>/*.eml

Any credentials work; e.g.
  export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION={self.region}

Run all clients (the name makes it unique; reusing a name is refused, as in AWS):
  {aws} stepfunctions start-execution --state-machine-arn {arn} \\
      --name weekly-{as_of} --input '{{"report_type": "weekly", "as_of": "{as_of}"}}'
Run one client, sending again even if already delivered:
  {aws} stepfunctions start-execution --state-machine-arn {arn} \\
      --input '{{"report_type": "monthly", "as_of": "{as_of}", "client_id": "{first}", "force": true}}'
Inspect:
  {aws} stepfunctions list-executions --state-machine-arn {arn}
  {aws} stepfunctions describe-execution --execution-arn EXECUTION_ARN
  {aws} stepfunctions get-execution-history --execution-arn EXECUTION_ARN
Rerun with the same input (the console's "New execution" from an execution):
  {aws} stepfunctions describe-execution --execution-arn EXECUTION_ARN --query input --output text > input.json
  {aws} stepfunctions start-execution --state-machine-arn {arn} --input file://input.json
Run records and the delivery ledger:
  {aws} dynamodb query --table-name {self.stage.table_name} --key-condition-expression 'pk = :pk' \\
      --expression-attribute-values '{{":pk": {{"S": "RUNS"}}}}'
Deploy again into this endpoint (the same command as for AWS):
  AWS_ENDPOINT_URL={ep} python deploy.py --stage {STAGE} --offline

Ctrl-C stops the server; its state is in memory only.
"""


def _name_unnamed_executions() -> Callable[[], None]:
    """moto 5.2.5's executing engine names an execution started without a name `None`, so a second
    unnamed start fails with ExecutionAlreadyExists. AWS generates a UUID: so does this shim."""
    import uuid

    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    original = StepFunctionsParserBackend.start_execution

    def start_execution(self: Any, state_machine_arn: str, name: Any = None, execution_input: Any = None,
                        trace_header: Any = None) -> Any:
        return original(self, state_machine_arn, name or str(uuid.uuid4()), execution_input, trace_header)

    StepFunctionsParserBackend.start_execution = start_execution  # type: ignore[method-assign]
    return lambda: setattr(StepFunctionsParserBackend, "start_execution", original)


def _check_port_free(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            raise OSError(f"port {port} on 127.0.0.1 is in use ({exc.strerror}): pick another with --port") from exc


def _reset_project_caches() -> None:
    from local.runtime import _reset_project_caches as reset

    reset()


def serve_command(port: int, clients_file: Path, costs_file: Path, out_dir: Path) -> int:
    """The `python -m local serve` command."""
    from local.cost_explorer import CostData

    try:
        clients = _load_clients(clients_file)
        costs = CostData.from_csv(costs_file)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    server = LocalServer(port=port, clients=clients, costs=costs, out_dir=out_dir, log=lambda line: print(line, flush=True))
    try:
        server.start()
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # start() has cleaned up already
        return 130
    try:
        print(server.banner(), flush=True)
        server.wait()
    finally:
        server.stop()
    return 0


def _load_clients(path: Path) -> list[dict[str, Any] | str]:
    """A JSON list of configs, each kept as written (as `local run` does)."""
    try:
        data = json.loads(Path(path).read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON: {exc}") from exc
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a JSON list of client configs")
    return [entry if isinstance(entry, dict) else json.dumps(entry) for entry in data]

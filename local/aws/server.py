"""The AWS of `python -m local serve` (local/cli/serve.py): a persistent AWS-compatible endpoint on
127.0.0.1 with the app deployed into it.

1. moto's HTTP server (ThreadedMotoServer) on 127.0.0.1, its Step Functions engine switched on
   (POST /moto-api/config), MOTO_PORT pointing the engine's own service calls back at it; the
   app's routes (the unsubscribe link) on the same port, through Chalice's local API Gateway
   (local/aws/api_gateway.py), and the emails' unsubscribe links pointing there;
2. the stage `local` deployed into it by the same code as `python deploy.py --stage local`
   (infra.deployer.Deployer, `chalice deploy` included; `--offline` packaging, no registry);
3. LocalRuntime's shared steps (runtime.py): this process takes the functions' environment (the
   description's, stage `local`), the in-process hooks (Lambda invokes made by the engine run the
   Chalice handlers here, Cost Explorer answers from the cost CSV, SES messages land as .eml files
   under DIR/<client_id>/, SQS handlers are fed by the local poller), the client configs are seeded;
4. the banner, then exactly one line `READY <endpoint-url> <cost-report-state-machine-arn>`.

Then anyone can drive it with the AWS CLI or boto3 (`--endpoint-url http://127.0.0.1:PORT`) until
Ctrl-C or SIGTERM (a clean stop, exit 0). Everything lives in memory and is gone when the server
stops. Code changes need a restart (the handlers are imported once). Scheduled triggers do not
fire locally: start executions.

Tests use `LocalServer` directly (start()/stop() or a `with` block).
"""

from __future__ import annotations

import json
import logging
import signal
import socket
import threading
import urllib.request
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from local.aws.moto_patches import import_swagger_apis, name_unnamed_executions, scale_retry_sleeps
from local.aws.runtime import CREDENTIALS, ROOT, STAGE, LocalRuntime, fresh_default_session, reset_project_caches

DEFAULT_PORT = 4566


class LocalServer(LocalRuntime):
    """The endpoint, the deployed stage and the in-process hooks; start() then stop()."""

    in_process = False

    def __init__(self, port: int = DEFAULT_PORT, clients: list[dict[str, Any] | str] | None = None,
                 costs: Any = None, out_dir: Path = Path("out"), project_dir: Path = ROOT,
                 retry_time_scale: float = 1.0, log: Callable[[str], None] = print):
        from local.aws.cost_explorer.data import CostData

        costs = costs if costs is not None else CostData.from_rows([])
        last_day = costs.last_day or date.today()
        super().__init__(out_dir=out_dir, costs=costs, clients=clients or [], retry_time_scale=retry_time_scale,
                         estimated_from=(last_day + timedelta(days=1)).replace(day=1), project_dir=project_dir,
                         log=log)
        self.requested_port = port
        self.server: Any = None
        self.port = 0
        self.gateway: Any = None  # Chalice's local API Gateway over the app, once the handlers are hooked
        self._stopping = threading.Event()

    # ---- lifecycle --------------------------------------------------------------------------------

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ready_line(self) -> str:
        """The one line `python -m local serve` prints once everything is up (scripts wait for it)."""
        return f"READY {self.endpoint} {self.state_machine_arn}"

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def start(self) -> LocalServer:
        import boto3

        from chalicelib.core.constants import ENV_UNSUBSCRIBE_BASE_URL
        from infra.description import DESCRIPTION
        from local.aws.api_gateway import RoutedMotoServer, chalice_gateway

        if self.requested_port:
            _check_port_free(self.requested_port)
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
        self.set_env(CREDENTIALS)
        # The app's routes (the unsubscribe link) are answered on the same port as the AWS endpoint.
        self.server = RoutedMotoServer(lambda: self.gateway, DESCRIPTION.api.routes if DESCRIPTION.api else (),
                                       ip_address="127.0.0.1", port=self.requested_port, verbose=False)
        self.server.start()
        self.port = self.server.get_host_and_port()[1]
        try:
            # The engine's own calls (S3, SQS, nested executions) go to localhost:$MOTO_PORT.
            self.set_env({"AWS_ENDPOINT_URL": self.endpoint, "MOTO_PORT": str(self.port)})
            # The emails' unsubscribe links point at this endpoint (the functions take it with their env).
            self.env_overrides[ENV_UNSUBSCRIBE_BASE_URL] = self.endpoint
            self._moto_config({"stepfunctions": {"execute_state_machine": True}})
            self._uninstall.append(name_unnamed_executions())
            self._uninstall.append(import_swagger_apis())  # chalice deploy makes the routes' API
            if self.retry_time_scale != 1.0:
                self._uninstall.append(scale_retry_sleeps(self.retry_time_scale))
            fresh_default_session()  # it reads the endpoint set above
            self.install_athena(boto3.DEFAULT_SESSION)
            self.deploy(boto3.DEFAULT_SESSION, offline=True)  # the real deploy.py path, chalice deploy included
            self.install_hooks()
            self.gateway = chalice_gateway(self.app, STAGE)
            self.seed_clients()
            self.seed_exports()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        self.gateway = None
        self.uninstall_hooks()
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
        self.restore_env()
        reset_project_caches()
        import boto3

        boto3.DEFAULT_SESSION = None

    def wait(self) -> None:
        """Block until Ctrl-C or SIGTERM (the CLI)."""
        def request_stop(signum: int, frame: Any) -> None:
            self._stopping.set()

        previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            while not self._stopping.wait(3600):
                pass
            self.log("stopping")
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _moto_config(self, config: dict[str, Any]) -> None:
        request = urllib.request.Request(f"{self.endpoint}/moto-api/config", data=json.dumps(config).encode(),
                                         headers={"Content-Type": "application/json"}, method="POST")
        urllib.request.urlopen(request, timeout=10).read()

    # ---- what to tell the person ----------------------------------------------------------------------

    def banner(self) -> str:
        from chalicelib.core.constants import UNSUBSCRIBE_ROUTE

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
Unsubscribe route:  {ep}{UNSUBSCRIBE_ROUTE}   (the List-Unsubscribe links in the emails point here)

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
  {aws} dynamodb query --table-name {self.stage.table_name()} --key-condition-expression 'pk = :pk' \\
      --expression-attribute-values '{{":pk": {{"S": "RUNS"}}}}'
Deploy again into this endpoint (the same command as for AWS):
  AWS_ENDPOINT_URL={ep} python deploy.py --stage {STAGE} --offline

Ctrl-C stops the server; its state is in memory only.
"""


def _check_port_free(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            raise OSError(f"port {port} on 127.0.0.1 is in use ({exc.strerror}): pick another with --port") from exc

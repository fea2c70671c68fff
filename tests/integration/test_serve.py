"""`python -m local serve`: executions started through the HTTP endpoint deliver reports as .eml files.

The endpoint is driven as a person would: a separate boto3 session with endpoint_url, nothing
shared with the serving side but the port. Everything stays on 127.0.0.1 (no registry either:
the deploy inside uses the offline package).
"""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path
from typing import Any

import boto3
import pytest

from infra.stage import copy_project
from tests.factories import AS_OF, CLIENTS
from tests.integration.serve_command import serve_command

WEEKLY = {"report_type": "weekly", "as_of": AS_OF.isoformat()}


def external_client(endpoint: str, service: str = "stepfunctions") -> Any:
    session = boto3.Session(aws_access_key_id="anything", aws_secret_access_key="anything", region_name="us-east-1")
    return session.client(service, endpoint_url=endpoint)


def wait(sfn: Any, execution_arn: str, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        described = sfn.describe_execution(executionArn=execution_arn)
        if described["status"] != "RUNNING":
            return described
        assert time.monotonic() < deadline, f"{execution_arn} still running"
        time.sleep(0.1)


def emails(out: Path) -> dict[str, int]:
    found: dict[str, int] = {}
    for path in out.rglob("*.eml"):
        found[path.parent.name] = found.get(path.parent.name, 0) + 1
    return found


def test_execution_through_the_endpoint_delivers_reports(server: Any) -> None:
    sfn = external_client(server.endpoint)
    assert server.endpoint.startswith("http://127.0.0.1:")
    machines = sfn.list_state_machines()["stateMachines"]
    assert sorted(m["name"] for m in machines) == ["cost-reporter-local-aggregate-summaries", "cost-reporter-local-budget-check",
                                                    "cost-reporter-local-chunked-job",
                                                    "cost-reporter-local-cost-report"]
    assert server.state_machine_arn.endswith(":cost-reporter-local-cost-report")
    arn = sfn.start_execution(stateMachineArn=server.state_machine_arn, name="weekly-first",
                              input=json.dumps(WEEKLY))["executionArn"]
    described = wait(sfn, arn)
    assert described["status"] == "SUCCEEDED", described
    summary = json.loads(described["output"])
    assert (summary["delivered"], summary["skipped"], summary["failed"]) == (3, 1, 0)
    assert emails(server.out_dir) == {"alpha": 1, "bravo": 1, "charlie": 1}
    message = next((server.out_dir / "alpha").glob("*.eml")).read_text()
    assert "finops@alpha.example" in message

    # what a person inspects: the execution list and its real event history
    listed = sfn.list_executions(stateMachineArn=server.state_machine_arn)["executions"]
    assert [e["name"] for e in listed] == ["weekly-first"]
    history = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
    scheduled = [e["lambdaFunctionScheduledEventDetails"]["resource"] for e in history if e["type"] == "LambdaFunctionScheduled"]
    assert any("cost-reporter-local-summarize_run" in resource for resource in scheduled)
    # the clients ran as the Distributed Map's child executions: its Map Run counts them
    map_run = next(e for e in history if e["type"] == "MapRunStarted")["mapRunStartedEventDetails"]["mapRunArn"]
    counts = sfn.describe_map_run(mapRunArn=map_run)["itemCounts"]
    assert (counts["total"], counts["succeeded"], counts["failed"]) == (3, 3, 0)

    # "rerun with the same input" (as from the console): nothing is sent twice
    rerun = sfn.start_execution(stateMachineArn=server.state_machine_arn, input=described["input"])["executionArn"]
    rerun_summary = json.loads(wait(sfn, rerun)["output"])
    assert rerun_summary["failed"] == 0 and rerun_summary["delivered"] == 0
    assert emails(server.out_dir) == {"alpha": 1, "bravo": 1, "charlie": 1}

    # a per-client run, forced: that client only, once more
    forced = sfn.start_execution(stateMachineArn=server.state_machine_arn,
                                 input=json.dumps({**WEEKLY, "client_id": "bravo", "force": True}))["executionArn"]
    assert json.loads(wait(sfn, forced)["output"])["delivered"] == 1
    assert emails(server.out_dir) == {"alpha": 1, "bravo": 2, "charlie": 1}

    # the run records are in the deployed table, readable through the endpoint too
    items = external_client(server.endpoint, "dynamodb").query(
        TableName="cost-reporter-local", KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": "RUN#weekly-first"}})["Items"]
    assert {i["sk"]["S"] for i in items} >= {"META", "CLIENT#alpha", "CLIENT#bravo", "CLIENT#charlie", "CLIENT#paused"}


def test_stop_releases_the_process_state(tmp_path: Path) -> None:
    from local.aws.cost_explorer.data import CostData
    from local.aws.server import LocalServer

    before = {k: os.environ.get(k) for k in ("AWS_ENDPOINT_URL", "MOTO_PORT", "TABLE_NAME", "STATE_MACHINE_ARN")}
    local = LocalServer(port=0, clients=[], costs=CostData.from_rows([]), out_dir=tmp_path / "out",
                        project_dir=copy_project(tmp_path / "project"), log=lambda line: None)
    with local:
        assert os.environ["AWS_ENDPOINT_URL"] == local.endpoint
        assert os.environ["TABLE_NAME"] == "cost-reporter-local"
    assert {k: os.environ.get(k) for k in before} == before
    with pytest.raises(ConnectionRefusedError):  # the port is closed
        socket.create_connection(("127.0.0.1", local.port), timeout=2)


def test_the_serve_command(tmp_path: Path) -> None:
    """`python -m local serve ...` as a person (or a script) runs it: one READY line once everything is up,
    an execution through the port, then SIGTERM stops it cleanly."""
    state_machine = "arn:aws:states:us-east-1:123456789012:stateMachine:cost-reporter-local-cost-report"
    with serve_command(tmp_path, CLIENTS, ready_within=120) as served:
        port, lines, out = served.port, served.lines, served.out
        # READY comes last, once: the endpoint answers, the stage is deployed, the clients are seeded
        assert lines[-1].split() == ["READY", f"http://127.0.0.1:{port}", state_machine]
        assert sum(line.startswith("READY") for line in lines) == 1
        banner = "".join(lines)
        assert f"Local AWS endpoint: http://127.0.0.1:{port}" in banner
        assert f"aws --endpoint-url http://127.0.0.1:{port} stepfunctions start-execution" in banner
        # The deploy log (each resource, chalice deploy's lines) waits behind --verbose; one line says so.
        assert "Creating lambda function" not in banner and "  created   DynamoDB table" not in banner
        assert any(line.startswith("deployed: ") and "--verbose" in line for line in lines)
        items = external_client(f"http://127.0.0.1:{port}", "dynamodb").query(
            TableName="cost-reporter-local", KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": "CLIENTS"}})["Items"]
        assert {item["sk"]["S"] for item in items} == {c["client_id"] for c in CLIENTS}
        sfn = external_client(f"http://127.0.0.1:{port}")
        arn = sfn.start_execution(stateMachineArn=state_machine, input=json.dumps(WEEKLY))["executionArn"]
        assert wait(sfn, arn)["status"] == "SUCCEEDED"
        assert emails(out) == {"alpha": 1, "bravo": 1, "charlie": 1}
    rest = served.rest
    assert served.process.returncode == 0, "".join(lines) + rest
    assert "stopping" in rest
    assert not any(line.startswith("READY") for line in rest.splitlines())
    with pytest.raises(ConnectionRefusedError):  # the port is released
        socket.create_connection(("127.0.0.1", port), timeout=2)

"""Run metrics against `python -m local serve`: the endpoint's SQS mapping (the local poller) applies
the events, the aggregation state machine runs scheduled, manual and backfill, and
`python -m local summaries` reads the results through AWS_ENDPOINT_URL as a person would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, timedelta
from typing import Any

from chalicelib.core.constants import ENV_AGGREGATION_STATE_MACHINE_ARN
from infra.stage import ROOT
from local.aws.lambda_bridge import FakeLambdaContext
from tests.integration.test_serve import WEEKLY, external_client, wait


def summaries(endpoint: str, *args: str) -> list[dict[str, Any]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != "TABLE_NAME"}
    env.update({"AWS_ENDPOINT_URL": endpoint, "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull})
    done = subprocess.run([sys.executable, "-m", "local", "summaries", "--json", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_scheduled_manual_and_backfill_aggregations_through_the_endpoint(server: Any) -> None:
    sfn = external_client(server.endpoint)
    report = wait(sfn, sfn.start_execution(stateMachineArn=server.state_machine_arn, name="weekly-metrics",
                                           input=json.dumps(WEEKLY))["executionArn"])
    assert report["status"] == "SUCCEEDED", report
    server.poller.drain(settle=True)  # the event source mapping: every metric event applied
    started = report["startDate"]
    day = (started.astimezone(UTC) if started.tzinfo else started).date()
    machine = os.environ[ENV_AGGREGATION_STATE_MACHINE_ARN]
    assert machine.endswith(":stateMachine:cost-reporter-local-aggregate-summaries")

    # scheduled: the schedule's handler fires at 02:00 the next day and starts the day's execution
    event = {"version": "0", "id": "e", "detail-type": "Scheduled Event", "source": "aws.events", "account": "123456789012",
             "time": f"{day + timedelta(days=1)}T02:00:00Z", "region": "us-east-1", "resources": [], "detail": {}}
    started_run = server.app.handler_map["aggregation_trigger"](event, FakeLambdaContext("aggregation_trigger"))
    assert wait(sfn, started_run["execution_arn"])["status"] == "SUCCEEDED"
    daily = summaries(server.endpoint, "--period", "daily")
    deployment = next(v for v in daily if v["tenant"] == "*")
    assert (deployment["period_start"], deployment["runs"], deployment["clients_delivered"],
            deployment["clients_skipped"], deployment["emails_sent"]) == (day.isoformat(), 1, 3, 1, 3)
    assert sorted(v["tenant"] for v in daily) == ["*", "alpha", "bravo", "charlie", "paused"]

    # manual: the same day again under another name overwrites (same keys, same figures)
    manual = sfn.start_execution(stateMachineArn=machine, name="manual-again",
                                 input=json.dumps({"run_date": (day + timedelta(days=1)).isoformat()}))["executionArn"]
    assert wait(sfn, manual)["status"] == "SUCCEEDED"
    again = summaries(server.endpoint, "--period", "daily", "--client-id", "*")
    assert [(v["runs"], v["clients_delivered"], v["computed_by"]) for v in again] == [(1, 3, "manual-again")]

    # backfill: every period touched by the day; a bad range fails naming the field
    backfill = sfn.start_execution(stateMachineArn=machine, name="backfill-day",
                                   input=json.dumps({"backfill": True, "start_date": day.isoformat(),
                                                     "end_date": day.isoformat()}))["executionArn"]
    assert wait(sfn, backfill)["status"] == "SUCCEEDED"
    alpha = summaries(server.endpoint, "--client-id", "alpha")
    assert {v["period_type"] for v in alpha} == {"daily", "weekly", "monthly", "yearly"}
    assert all(v["clients_delivered"] == 1 and v["runs"] == 1 for v in alpha)
    bad = sfn.start_execution(stateMachineArn=machine, name="backfill-bad",
                              input=json.dumps({"backfill": True, "start_date": "2026-05-02", "end_date": "2026-05-01"}))
    failed = wait(sfn, bad["executionArn"])
    assert failed["status"] == "FAILED" and failed["error"] == "DataValidationError" and "end_date" in failed["cause"]

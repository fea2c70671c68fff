"""Helpers for the metrics tests: a moto DynamoDB project table, and the events of synthetic runs."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from chalicelib.core.metric_events import ClientOutcome, RunEnd, client_outcome, run_end

TABLE = "cost-reporter-metrics-test"
ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
       "AWS_DEFAULT_REGION": "us-east-1", "TABLE_NAME": TABLE, "BUCKET_NAME": "cost-reporter-metrics-test"}


def reset_caches() -> None:
    from chalicelib.core.caches import reset_all

    reset_all()


@contextmanager
def project_table(extra_env: dict[str, str] | None = None) -> Iterator[Any]:
    """moto DynamoDB with the project table (pk/sk), the environment pointing at it."""
    import boto3
    from moto import mock_aws

    saved = {key: os.environ.get(key) for key in {*ENV, *(extra_env or {})}}
    os.environ.update({**ENV, **(extra_env or {})})
    from local.aws.moto_patches import exact_number_arithmetic

    with mock_aws():
        undo_arithmetic = exact_number_arithmetic()  # numbers added as DynamoDB adds them (any notation)
        boto3.setup_default_session()
        reset_caches()
        dynamodb = boto3.client("dynamodb")
        dynamodb.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                  {"AttributeName": "sk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        try:
            yield boto3.resource("dynamodb").Table(TABLE)
        finally:
            undo_arithmetic()
            reset_caches()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


def run_events(run_id: str, started_at: datetime, outcomes: list[dict[str, Any]], report_type: str = "weekly",
               run_seconds: float = 600) -> list[ClientOutcome | RunEnd]:
    """The events of one run, built from client records the way the report stages build them.

    outcomes: [{"client_id", "status": completed|skipped|failed, "category", "ce_requests",
                "spend_reported", "seconds": client duration (None: never started)}]"""
    events: list[ClientOutcome | RunEnd] = []
    for index, outcome in enumerate(outcomes):
        seconds = outcome.get("seconds")
        begun = started_at + timedelta(seconds=5 + index)
        record = {
            "client_id": outcome["client_id"], "status": outcome["status"], "category": outcome.get("category"),
            "ce_requests": outcome.get("ce_requests", 0), "spend_reported": outcome.get("spend_reported"),
            "started_at": begun.isoformat() if seconds is not None else None,
            "updated_at": (begun + timedelta(seconds=seconds or 0)).isoformat(),
        }
        events.append(client_outcome(run_id, started_at, record))
    had_failures = any(o["status"] == "failed" for o in outcomes)
    events.append(run_end(run_id, report_type, started_at, started_at + timedelta(seconds=run_seconds), had_failures))
    return events


DAY = datetime(2026, 11, 18, 9, 0, tzinfo=UTC)


def sample_runs() -> list[ClientOutcome | RunEnd]:
    """Three runs: two on Nov 18 (one with failures) and one started 23:59 on Nov 18 that ends on Nov 19."""
    first = run_events("run-a", DAY, [
        {"client_id": "alpha", "status": "completed", "ce_requests": 1, "spend_reported": Decimal("120.50"), "seconds": 1.5},
        {"client_id": "bravo", "status": "completed", "ce_requests": 2, "spend_reported": Decimal("80.25"), "seconds": 40},
        {"client_id": "charlie", "status": "failed", "category": "throttling", "ce_requests": 3, "seconds": 95},
        {"client_id": "paused", "status": "skipped", "seconds": None},
    ], run_seconds=130)
    second = run_events("run-b", DAY + timedelta(hours=1), [
        {"client_id": "alpha", "status": "skipped", "seconds": 0.2},
        {"client_id": "charlie", "status": "completed", "ce_requests": 1, "spend_reported": Decimal("10"), "seconds": 3},
    ], run_seconds=20)
    late = run_events("run-c", DAY.replace(hour=23, minute=59), [
        {"client_id": "alpha", "status": "failed", "category": "authorization", "seconds": 700},
    ], run_seconds=3600)
    return first + second + late

"""The Athena calls: start a query (idempotent per run and export), read its state, stream its result.

The result is read from the CSV Athena writes at the query's OutputLocation (one S3 read) rather than
through GetQueryResults (1,000 rows a call): a run's result can hold hundreds of thousands of rows.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass

from chalicelib.core import aws
from chalicelib.core.errors import DataValidationError, classify_aws_error
from chalicelib.costs.export.declarations import ExportDeclaration
from chalicelib.costs.export.query import ExportQuery

RUNNING_STATES = ("QUEUED", "RUNNING")


@dataclass(frozen=True)
class QueryState:
    execution_id: str
    state: str  # QUEUED | RUNNING | SUCCEEDED | FAILED | CANCELLED
    reason: str
    bytes_scanned: int
    output: str  # s3://... the result CSV

    @property
    def running(self) -> bool:
        return self.state in RUNNING_STATES


def start(export: ExportDeclaration, query: ExportQuery, token_seed: str) -> str:
    """Start the query; the same seed (run id and export) starts it once however often this is retried."""
    token = hashlib.sha256(f"{token_seed}\n{query.sql}\n{query.parameters}".encode()).hexdigest()[:64]
    try:
        reply = aws.client("athena").start_query_execution(
            QueryString=query.sql, ExecutionParameters=query.parameters, ClientRequestToken=token,
            QueryExecutionContext={"Database": export.database}, WorkGroup=export.workgroup,
            ResultConfiguration={"OutputLocation": export.results_uri})
    except Exception as exc:
        raise classify_aws_error(exc, f"start the query of export {export.name}") from exc
    return reply["QueryExecutionId"]


def state(execution_id: str) -> QueryState:
    try:
        execution = aws.client("athena").get_query_execution(QueryExecutionId=execution_id)["QueryExecution"]
    except Exception as exc:
        raise classify_aws_error(exc, f"read the state of query {execution_id}") from exc
    status = execution.get("Status", {})
    return QueryState(execution_id=execution_id, state=status.get("State", "FAILED"),
                      reason=str(status.get("StateChangeReason", "")),
                      bytes_scanned=int(execution.get("Statistics", {}).get("DataScannedInBytes", 0) or 0),
                      output=execution.get("ResultConfiguration", {}).get("OutputLocation", ""))


def result_rows(done: QueryState) -> Iterator[dict[str, str]]:
    """The rows of a SUCCEEDED query's result, by column name (every value a string; the SQL has no NULLs)."""
    if done.state != "SUCCEEDED":
        raise DataValidationError(f"query {done.execution_id} {done.state}: {done.reason}")
    bucket, _, key = done.output[len("s3://"):].partition("/")
    try:
        body = aws.client("s3").get_object(Bucket=bucket, Key=key)["Body"]
    except Exception as exc:
        raise classify_aws_error(exc, f"read the result of query {done.execution_id}") from exc
    yield from csv.DictReader(io.TextIOWrapper(body, encoding="utf-8", newline=""))



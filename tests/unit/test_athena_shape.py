"""Every answer of the local Athena has the shape of botocore's `athena` service model (the output
shapes of each operation: members, required members, types, lengths, patterns, enums), checked with
the same walker as the local Cost Explorer's (tests/unit/test_cost_explorer_shape.py)."""

from __future__ import annotations

from typing import Any

import botocore.session
import pytest

from tests.athena_support import DATA_BUCKET, RESULTS, AthenaEnv
from tests.unit.test_cost_explorer_shape import check_shape


def _assert_shape(operation: str, answer: dict[str, Any]) -> None:
    model = botocore.session.get_session().get_service_model("athena").operation_model(operation)
    problems = check_shape(answer, model.output_shape)
    assert not problems, "\n".join(problems[:20])


@pytest.fixture(scope="module")
def env():
    with AthenaEnv(queued_polls=1) as athena:
        athena.put_parquet("shape/p=1/a.parquet", "SELECT range AS n, 'x' || range AS s, range * 1.5 AS d, "
                                                  "DATE '2026-11-01' AS day, MAP {'k': 'v'} AS m FROM range(30)")
        athena.table("shape", [("n", "bigint"), ("s", "string"), ("d", "decimal(10,1)"), ("day", "date"),
                               ("m", "map<string,string>")], f"s3://{DATA_BUCKET}/shape/", [("p", "int")],
                     {"projection.enabled": "true", "projection.p.type": "integer", "projection.p.range": "1,3"})
        yield athena


def test_start_and_get_query_execution_through_every_state(env):
    execution_id = env.start("SELECT n, s, d, day, m, p FROM shape WHERE p = ?", ["1"])
    queued = env.athena.get_query_execution(QueryExecutionId=execution_id)
    assert queued["QueryExecution"]["Status"]["State"] == "QUEUED"
    _assert_shape("GetQueryExecution", queued)
    done = env.wait(execution_id)
    _assert_shape("GetQueryExecution", {"QueryExecution": done})
    assert done["Statistics"]["DataScannedInBytes"] > 0 and done["ResultConfiguration"]["OutputLocation"].startswith(RESULTS)
    _assert_shape("StartQueryExecution", {"QueryExecutionId": execution_id})


def test_get_query_results_pages_and_manifests(env):
    execution = env.query("SELECT n, s, d, day, m, p FROM shape WHERE p = 1 ORDER BY n")
    first = env.athena.get_query_results(QueryExecutionId=execution["QueryExecutionId"], MaxResults=10)
    _assert_shape("GetQueryResults", first)
    assert first["NextToken"]
    last = env.athena.get_query_results(QueryExecutionId=execution["QueryExecutionId"], NextToken=first["NextToken"])
    _assert_shape("GetQueryResults", last)
    unload = env.query("UNLOAD (SELECT n, s FROM shape) TO 's3://results-bucket/shape-unload/' WITH (format = 'JSON')")
    assert unload["Status"]["State"] == "SUCCEEDED", unload["Status"]
    _assert_shape("GetQueryExecution", {"QueryExecution": unload})
    _assert_shape("GetQueryResults", env.athena.get_query_results(QueryExecutionId=unload["QueryExecutionId"]))
    _assert_shape("GetQueryResults", env.athena.get_query_results(QueryExecutionId=unload["QueryExecutionId"],
                                                                  QueryResultType="DATA_MANIFEST"))


def test_failed_stopped_and_batched_executions(env):
    failed = env.query("SELECT missing FROM shape")
    _assert_shape("GetQueryExecution", {"QueryExecution": failed})
    stopped = env.start("SELECT 1")
    _assert_shape("StopQueryExecution", env.athena.stop_query_execution(QueryExecutionId=stopped))
    batch = env.athena.batch_get_query_execution(QueryExecutionIds=[failed["QueryExecutionId"], stopped, "unknown-id"])
    _assert_shape("BatchGetQueryExecution", batch)
    assert len(batch["QueryExecutions"]) == 2 and len(batch["UnprocessedQueryExecutionIds"]) == 1


def test_workgroups(env):
    _assert_shape("ListWorkGroups", env.athena.list_work_groups())
    _assert_shape("GetWorkGroup", env.athena.get_work_group(WorkGroup="primary"))
    _assert_shape("CreateWorkGroup", env.athena.create_work_group(Name="shape-group", Description="d",
                                                                  Configuration={"BytesScannedCutoffPerQuery": 10_000_000}))
    _assert_shape("UpdateWorkGroup", env.athena.update_work_group(WorkGroup="shape-group", State="DISABLED"))
    _assert_shape("GetWorkGroup", env.athena.get_work_group(WorkGroup="shape-group"))
    _assert_shape("DeleteWorkGroup", env.athena.delete_work_group(WorkGroup="shape-group"))

"""An in-process AWS with the local Athena for tests: moto (S3, Glue) plus local/aws/athena's hooks.

    with AthenaEnv() as env:
        env.parquet_table("focus", {...rows...}, partitions={"billing_period": ["2026-10", "2026-11"]})
        execution = env.query("SELECT ... WHERE billing_period = ?", ["'2026-11'"])
        env.rows(execution)   # the result as Athena returns it, header row first
"""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

DATABASE = "cost_reporter_local"
WORKGROUP = "cost-reporter-local"
RESULTS = "s3://results-bucket/athena-results/"
DATA_BUCKET = "data-bucket"
TERMINAL = ("SUCCEEDED", "FAILED", "CANCELLED")

PARQUET_SERDE = {"InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
                 "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
                 "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"}}


class AthenaEnv:
    def __init__(self, **athena_options: Any):
        self.athena_options = athena_options
        self.scratch = Path(tempfile.mkdtemp(prefix="athena-test-"))

    def __enter__(self) -> AthenaEnv:
        import boto3
        from moto import mock_aws

        from local.aws.athena.service import LocalAthena, install

        self._saved = {k: os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION")}
        os.environ.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"})
        self._mock = mock_aws()
        self._mock.start()
        boto3.setup_default_session(region_name="us-east-1")
        self.local = LocalAthena(**self.athena_options)
        self._uninstall = install(boto3.DEFAULT_SESSION, self.local)
        self.s3 = boto3.client("s3")
        self.glue = boto3.client("glue")
        self.athena = boto3.client("athena")
        for bucket in ("results-bucket", DATA_BUCKET):
            self.s3.create_bucket(Bucket=bucket)
        self.glue.create_database(DatabaseInput={"Name": DATABASE})
        self.athena.create_work_group(Name=WORKGROUP, Configuration={"ResultConfiguration": {"OutputLocation": RESULTS}})
        return self

    def __exit__(self, *exc: Any) -> None:
        import shutil

        self._uninstall()
        self.local.close()
        self._mock.stop()
        for key, value in self._saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        shutil.rmtree(self.scratch, ignore_errors=True)

    # ---- data ----------------------------------------------------------------------------------------

    def put_parquet(self, key: str, select: str) -> int:
        """A Parquet file written by DuckDB from `select`, put at s3://data-bucket/<key>; its size."""
        import duckdb

        path = self.scratch / f"{uuid.uuid4().hex}.parquet"
        duckdb.connect().execute(f"COPY ({select}) TO '{path}' (FORMAT PARQUET, COMPRESSION SNAPPY)")
        body = path.read_bytes()
        self.s3.put_object(Bucket=DATA_BUCKET, Key=key, Body=body)
        return len(body)

    def table(self, name: str, columns: list[tuple[str, str]], location: str, partition_keys: list[tuple[str, str]] = (),
              parameters: dict[str, str] | None = None, storage: dict[str, Any] | None = None) -> None:
        self.glue.create_table(DatabaseName=DATABASE, TableInput={
            "Name": name, "TableType": "EXTERNAL_TABLE", "Parameters": parameters or {},
            "PartitionKeys": [{"Name": n, "Type": t} for n, t in partition_keys],
            "StorageDescriptor": {"Columns": [{"Name": n, "Type": t} for n, t in columns], "Location": location,
                                  **(storage or PARQUET_SERDE)}})

    # ---- queries -------------------------------------------------------------------------------------------

    def start(self, sql: str, parameters: list[str] | None = None, workgroup: str = WORKGROUP, **extra: Any) -> str:
        request: dict[str, Any] = {"QueryString": sql, "WorkGroup": workgroup,
                                   "QueryExecutionContext": {"Database": DATABASE}, **extra}
        if parameters is not None:
            request["ExecutionParameters"] = parameters
        return self.athena.start_query_execution(**request)["QueryExecutionId"]

    def wait(self, execution_id: str, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            execution = self.athena.get_query_execution(QueryExecutionId=execution_id)["QueryExecution"]
            if execution["Status"]["State"] in TERMINAL:
                return execution
            if time.monotonic() > deadline:
                raise TimeoutError(f"query {execution_id} still {execution['Status']['State']} after {timeout} s")
            time.sleep(0.01)

    def query(self, sql: str, parameters: list[str] | None = None, **extra: Any) -> dict[str, Any]:
        return self.wait(self.start(sql, parameters, **extra))

    def rows(self, execution: dict[str, Any], page_size: int = 1000) -> list[list[str | None]]:
        """Every row of the result, header row first, NULL as None, read page by page."""
        rows: list[list[str | None]] = []
        request: dict[str, Any] = {"QueryExecutionId": execution["QueryExecutionId"], "MaxResults": page_size}
        for _ in range(10_000):
            page = self.athena.get_query_results(**request)
            rows += [[d.get("VarCharValue") for d in row["Data"]] for row in page["ResultSet"]["Rows"]]
            if not page.get("NextToken"):
                return rows
            request["NextToken"] = page["NextToken"]
        raise AssertionError("more than 10,000 pages")

    def object_text(self, uri: str) -> str:
        bucket, key = uri[len("s3://"):].split("/", 1)
        return self.s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()

"""LocalAthena: Athena's query API answered by the local engine, installed as botocore hooks.

    athena = LocalAthena()
    uninstall = install(boto3.DEFAULT_SESSION, athena)   # before creating the athena client
    client = boto3.client("athena")
    qid = client.start_query_execution(QueryString="SELECT ...", WorkGroup="wg",
                                       ExecutionParameters=["'2026-11'"])["QueryExecutionId"]
    client.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]["State"]

Operations answered (shapes from botocore's `athena` model; tests/test_athena_shape.py walks them):
StartQueryExecution, GetQueryExecution, GetQueryResults, StopQueryExecution, BatchGetQueryExecution.
Workgroups and the catalog are moto's (CreateWorkGroup/GetWorkGroup, Glue databases and tables).

- Executions are asynchronous, as in Athena: StartQueryExecution returns at once; the query waits
  QUEUED for a worker, is RUNNING while DuckDB runs it, then SUCCEEDED, FAILED or CANCELLED.
  `queued_polls=N` keeps each new query QUEUED until it has been polled N times (to exercise a
  caller's wait loop); `run_inline=True` runs it inside StartQueryExecution (deterministic tests).
- The result location: the workgroup's OutputLocation when the workgroup enforces its configuration
  (EnforceWorkGroupConfiguration, true by default), else the request's, else the workgroup's; none at
  all is an InvalidRequestException, worded as Athena's.
- ClientRequestToken: the same token with the same request returns the same execution; with a
  different request, an InvalidRequestException (botocore fills a token in when the caller gives none).
- The workgroup's BytesScannedCutoffPerQuery cancels a query that would scan more ("Bytes scanned
  limit was exceeded"), as Athena's per-query data usage control does.
- Counters (`usage()`): queries started, succeeded, failed, cancelled; bytes scanned; and the bytes
  Athena bills (each query that scanned data rounded up to a megabyte, 10 MB at least; failed
  queries are not billed, cancelled ones are).
- Faults: `fail_next(n, code, message)` refuses the next n StartQueryExecution calls
  (TooManyRequestsException by default, as Athena throttles), `fail_next_query(reason)` makes the
  next query end FAILED with that reason.
"""

from __future__ import annotations

import json
import os
import queue
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from local.aws.athena import results as athena_results
from local.aws.athena.catalog import Storage, split_s3_uri
from local.aws.athena.engine import Engine, FileCache
from local.aws.athena.errors import (
    CATEGORY_SYSTEM,
    TYPE_INTERNAL,
    AthenaApiError,
    QueryFailure,
    invalid_request,
)
from local.aws.athena.sql import UNLOAD_STATEMENT
from local.aws.botocore_answers import answer, events_of, new_request_id

MEGABYTE = 1024 * 1024
MINIMUM_BILLED_BYTES = 10 * MEGABYTE
ENGINE_VERSION = {"SelectedEngineVersion": "AUTO", "EffectiveEngineVersion": "Athena engine version 3"}
TERMINAL = ("SUCCEEDED", "FAILED", "CANCELLED")


def billed_bytes(scanned: int) -> int:
    """What Athena bills for a query that scanned `scanned` bytes: rounded up to a megabyte, 10 MB minimum."""
    return max(MINIMUM_BILLED_BYTES, -(-scanned // MEGABYTE) * MEGABYTE)


@dataclass
class Execution:
    id: str
    query: str
    database: str
    catalog: str
    workgroup: str
    output_location: str  # the result location (a prefix)
    parameters: list[str]
    region: str
    token: str | None
    request_fingerprint: str
    cutoff: int | None
    submitted: float = field(default_factory=time.time)
    state: str = "QUEUED"
    reason: str | None = None
    error: dict[str, Any] | None = None
    started: float | None = None
    completed: float | None = None
    data_scanned: int = 0
    kind: str = "SELECT"
    update_count: int = 0
    manifest: str | None = None
    polls: int = 0
    stop: threading.Event = field(default_factory=threading.Event)

    @property
    def result_key(self) -> str:
        return f"{self.output_location}{self.id}.csv"


class LocalAthena:
    def __init__(
        self,
        workers: int = 2,
        run_inline: bool = False,
        queued_polls: int = 0,
        now: Callable[[], datetime] | None = None,
        cache_dir: Path | None = None,
    ):
        self.run_inline = run_inline
        self.queued_polls = queued_polls
        self.now = now or (lambda: datetime.now(UTC))  # partition projection's NOW
        self._own_cache = cache_dir is None
        self.cache_dir = Path(cache_dir or tempfile.mkdtemp(prefix="local-athena-"))
        self.cache = FileCache(self.cache_dir)
        self._storages: dict[str, Storage] = {}
        self._workgroups: dict[str, dict[str, dict[str, Any]]] = {}  # region -> name -> workgroup
        self._executions: dict[str, Execution] = {}
        self._tokens: dict[str, str] = {}
        self._lock = threading.RLock()
        self._faults: list[AthenaApiError] = []
        self._query_faults: list[str] = []
        self._counts = {"started": 0, "succeeded": 0, "failed": 0, "cancelled": 0, "bytes_scanned": 0, "billed_bytes": 0}
        self._queue: queue.Queue[Execution | None] = queue.Queue()
        self._workers = [threading.Thread(target=self._work, name=f"local-athena-{i}", daemon=True) for i in range(workers)]
        self._started = False

    # ---- lifecycle ---------------------------------------------------------------------------------------

    def close(self) -> None:
        if self._started:
            for _ in self._workers:
                self._queue.put(None)
            for worker in self._workers:
                worker.join(timeout=30)
        if self._own_cache:
            import shutil

            shutil.rmtree(self.cache_dir, ignore_errors=True)

    def _storage(self, region: str) -> Storage:
        with self._lock:
            if region not in self._storages:
                self._storages[region] = Storage(region)
            return self._storages[region]

    # ---- counters and faults ---------------------------------------------------------------------------------

    def usage(self) -> dict[str, int]:
        """Queries by outcome, bytes scanned and bytes billed since the start (or reset_counters)."""
        with self._lock:
            return {
                "queries": self._counts["started"],
                "queries_succeeded": self._counts["succeeded"],
                "queries_failed": self._counts["failed"],
                "queries_cancelled": self._counts["cancelled"],
                "bytes_scanned": self._counts["bytes_scanned"],
                "billed_bytes": self._counts["billed_bytes"],
            }

    @property
    def queries(self) -> int:
        return self.usage()["queries"]

    @property
    def bytes_scanned(self) -> int:
        return self.usage()["bytes_scanned"]

    def reset_counters(self) -> None:
        with self._lock:
            for key in self._counts:
                self._counts[key] = 0

    def executions(self) -> list[dict[str, Any]]:
        """Every execution so far, as GetQueryExecution describes it (oldest first)."""
        with self._lock:
            ordered = sorted(self._executions.values(), key=lambda e: e.submitted)
        return [self._describe(e) for e in ordered]

    def fail_next(
        self, n: int, code: str = "TooManyRequestsException", message: str = "Rate exceeded", status: int = 400
    ) -> None:
        with self._lock:
            self._faults += [AthenaApiError(code, message, status) for _ in range(n)]

    def fail_next_query(self, reason: str = "GENERIC_INTERNAL_ERROR: injected failure") -> None:
        with self._lock:
            self._query_faults.append(reason)

    # ---- workgroups (moto 5.2.5 answers Athena's JSON protocol only; botocore now speaks rest-json) ---------

    def _region_workgroups(self, region: str) -> dict[str, dict[str, Any]]:
        with self._lock:
            if region not in self._workgroups:
                self._workgroups[region] = {}
                self._add_workgroup(region, "primary", {}, "", [])
            return self._workgroups[region]

    def _add_workgroup(
        self, region: str, name: str, configuration: dict[str, Any], description: str, tags: list[dict[str, str]]
    ) -> None:
        configuration = json.loads(json.dumps(configuration))
        configuration.setdefault("EnforceWorkGroupConfiguration", True)
        configuration.setdefault("PublishCloudWatchMetricsEnabled", True)
        configuration.setdefault("RequesterPaysEnabled", False)
        engine = configuration.setdefault("EngineVersion", {})
        engine.setdefault("SelectedEngineVersion", "AUTO")
        engine["EffectiveEngineVersion"] = ENGINE_VERSION["EffectiveEngineVersion"]
        self._workgroups[region][name] = {
            "Name": name,
            "State": "ENABLED",
            "Configuration": configuration,
            "Description": description,
            "CreationTime": datetime.now(UTC),
            "Tags": list(tags),
        }

    def work_group(self, region: str, name: str) -> dict[str, Any] | None:
        with self._lock:
            found = self._region_workgroups(region).get(name)
            return json.loads(json.dumps(found, default=str)) if found else None

    def create_work_group(self, region: str, **params: Any) -> dict[str, Any]:
        name = params["Name"]
        with self._lock:
            if name in self._region_workgroups(region):
                raise invalid_request("WorkGroup is already created")
            self._add_workgroup(
                region, name, params.get("Configuration") or {}, params.get("Description") or "", params.get("Tags") or []
            )
        return {}

    def get_work_group(self, region: str, **params: Any) -> dict[str, Any]:
        with self._lock:
            found = self._region_workgroups(region).get(params.get("WorkGroup"))
            if found is None:
                raise invalid_request(f"WorkGroup {params.get('WorkGroup')} is not found.")
            return {
                "WorkGroup": {k: v for k, v in json.loads(json.dumps(found, default=str)).items() if k != "Tags"}
                | {"CreationTime": found["CreationTime"]}
            }

    def list_work_groups(self, region: str, **params: Any) -> dict[str, Any]:
        with self._lock:
            groups = sorted(self._region_workgroups(region).values(), key=lambda g: g["Name"])
            summaries = [
                {
                    "Name": g["Name"],
                    "State": g["State"],
                    "Description": g["Description"],
                    "CreationTime": g["CreationTime"],
                    "EngineVersion": dict(g["Configuration"]["EngineVersion"]),
                }
                for g in groups
            ]
        return {"WorkGroups": summaries}

    def update_work_group(self, region: str, **params: Any) -> dict[str, Any]:
        with self._lock:
            found = self._region_workgroups(region).get(params.get("WorkGroup"))
            if found is None:
                raise invalid_request(f"WorkGroup {params.get('WorkGroup')} is not found.")
            if "Description" in params:
                found["Description"] = params["Description"]
            if "State" in params:
                found["State"] = params["State"]
            updates = dict(params.get("ConfigurationUpdates") or {})
            configuration = found["Configuration"]
            if updates.pop("RemoveBytesScannedCutoffPerQuery", False):
                configuration.pop("BytesScannedCutoffPerQuery", None)
            result = updates.pop("ResultConfigurationUpdates", None)
            if result is not None:
                current = configuration.setdefault("ResultConfiguration", {})
                if result.pop("RemoveOutputLocation", False):
                    current.pop("OutputLocation", None)
                current.update({k: v for k, v in result.items() if not k.startswith("Remove")})
            configuration.update({k: v for k, v in updates.items() if not k.startswith("Remove")})
        return {}

    def delete_work_group(self, region: str, **params: Any) -> dict[str, Any]:
        with self._lock:
            name = params.get("WorkGroup")
            if name == "primary":
                raise invalid_request("Cannot delete the primary workgroup")
            self._region_workgroups(region).pop(name, None)
        return {}

    # ---- the API ---------------------------------------------------------------------------------------------

    def start_query_execution(self, region: str, **params: Any) -> dict[str, Any]:
        with self._lock:
            fault = self._faults.pop(0) if self._faults else None
        if fault is not None:
            raise fault
        query = params.get("QueryString") or ""
        if not query.strip():
            raise invalid_request("QueryString must not be empty")
        workgroup_name = params.get("WorkGroup") or "primary"
        workgroup = self.work_group(region, workgroup_name)
        if workgroup is None:
            raise invalid_request(f"WorkGroup {workgroup_name} is not found.")
        if workgroup.get("State", "ENABLED") != "ENABLED":
            raise invalid_request(f"WorkGroup {workgroup_name} is disabled.")
        configuration = workgroup.get("Configuration") or {}
        requested = (params.get("ResultConfiguration") or {}).get("OutputLocation")
        configured = (configuration.get("ResultConfiguration") or {}).get("OutputLocation")
        enforce = configuration.get("EnforceWorkGroupConfiguration", True)
        location = configured if enforce and configured else requested or configured
        if not location:
            raise invalid_request(
                "No output location provided. An output location is required either through the "
                "Workgroup result configuration setting or as an API input."
            )
        split_s3_uri(location)  # a malformed location is refused now, not when the result is written
        context = params.get("QueryExecutionContext") or {}
        parameters = list(params.get("ExecutionParameters") or [])
        fingerprint = json.dumps(
            {"q": query, "c": context, "w": workgroup_name, "p": parameters, "r": params.get("ResultConfiguration")},
            sort_keys=True,
        )
        token = params.get("ClientRequestToken")
        with self._lock:
            if token and token in self._tokens:
                existing = self._executions[self._tokens[token]]
                if existing.request_fingerprint != fingerprint:
                    raise invalid_request("Idempotent parameters do not match")
                return {"QueryExecutionId": existing.id}
            cutoff = configuration.get("BytesScannedCutoffPerQuery")
            execution = Execution(
                id=str(uuid.uuid4()),
                query=query,
                database=(context.get("Database") or "default").lower(),
                catalog=context.get("Catalog") or "AwsDataCatalog",
                workgroup=workgroup_name,
                output_location=location if location.endswith("/") else location + "/",
                parameters=parameters,
                region=region,
                token=token,
                request_fingerprint=fingerprint,
                cutoff=int(cutoff) if cutoff is not None else None,
            )
            if UNLOAD_STATEMENT.match(query):
                execution.kind = "UNLOAD"
                execution.manifest = f"{execution.output_location}{execution.id}-manifest.csv"
            self._executions[execution.id] = execution
            if token:
                self._tokens[token] = execution.id
            self._counts["started"] += 1
            if self._query_faults:
                execution.reason = self._query_faults.pop(0)
        if self.run_inline:
            self._execute(execution)
        else:
            self._ensure_workers()
            self._queue.put(execution)
        return {"QueryExecutionId": execution.id}

    def get_query_execution(self, region: str, **params: Any) -> dict[str, Any]:
        execution = self._find(params.get("QueryExecutionId"))
        with self._lock:
            execution.polls += 1
        return {"QueryExecution": self._describe(execution)}

    def batch_get_query_execution(self, region: str, **params: Any) -> dict[str, Any]:
        found, missing = [], []
        for execution_id in params.get("QueryExecutionIds") or []:
            with self._lock:
                execution = self._executions.get(execution_id)
            if execution is None:
                missing.append(
                    {
                        "QueryExecutionId": execution_id,
                        "ErrorCode": "INVALID_INPUT",
                        "ErrorMessage": f"QueryExecution {execution_id} was not found",
                    }
                )
            else:
                found.append(self._describe(execution))
        return {"QueryExecutions": found, "UnprocessedQueryExecutionIds": missing}

    def stop_query_execution(self, region: str, **params: Any) -> dict[str, Any]:
        execution = self._find(params.get("QueryExecutionId"))
        execution.stop.set()
        with self._lock:
            if execution.state in ("QUEUED", "RUNNING"):
                self._finish(execution, "CANCELLED", "Query cancelled by user", scanned=execution.data_scanned)
        return {}

    def get_query_results(self, region: str, **params: Any) -> dict[str, Any]:
        execution = self._find(params.get("QueryExecutionId"))
        with self._lock:
            state, reason = execution.state, execution.reason
        if state in ("QUEUED", "RUNNING"):
            raise invalid_request(f"Query has not yet finished. Current state: {state}")
        if state != "SUCCEEDED":
            raise invalid_request(f"Query did not finish successfully. Final query state: {state}\n{reason or ''}".strip())
        storage = self._storage(execution.region)
        kind = params.get("QueryResultType") or "DATA_ROWS"
        if kind == "DATA_MANIFEST":
            if execution.manifest is None:
                raise invalid_request("The query type does not produce a data manifest: use DATA_ROWS")
            bucket, key = split_s3_uri(execution.manifest)
            text = self._read(storage, bucket, key)
            rows: list[list[str | None]] = [[line] for line in text.splitlines() if line]
            columns = [
                {
                    "CatalogName": "hive",
                    "SchemaName": "",
                    "TableName": "",
                    "Name": "path",
                    "Label": "path",
                    "Type": "varchar",
                    "Precision": 2147483647,
                    "Scale": 0,
                    "Nullable": "UNKNOWN",
                    "CaseSensitive": True,
                }
            ]
        elif execution.kind == "UNLOAD":
            rows, columns = [], []
        else:
            bucket, key = split_s3_uri(execution.result_key)
            rows = athena_results.parse_csv(self._read(storage, bucket, key))
            columns = json.loads(self._read(storage, bucket, key + ".metadata"))["ColumnInfo"]
        shaped, token = athena_results.page(rows, execution.id, params.get("NextToken"), params.get("MaxResults"))
        answer: dict[str, Any] = {
            "UpdateCount": execution.update_count,
            "ResultSet": {"Rows": shaped, "ResultSetMetadata": {"ColumnInfo": columns}},
        }
        if token:
            answer["NextToken"] = token
        return answer

    # ---- executions -------------------------------------------------------------------------------------------

    def _find(self, execution_id: Any) -> Execution:
        with self._lock:
            execution = self._executions.get(str(execution_id))
        if execution is None:
            raise invalid_request(f"QueryExecution {execution_id} was not found", athena_code="INVALID_INPUT")
        return execution

    @staticmethod
    def _read(storage: Storage, bucket: str, key: str) -> str:
        from botocore.exceptions import ClientError

        try:
            return storage.get(bucket, key).decode("utf-8")
        except ClientError:
            raise invalid_request(
                f"Unable to read the query results at s3://{bucket}/{key}: the object does not "
                "exist (results deleted from the result location cannot be read)"
            ) from None

    def _ensure_workers(self) -> None:
        with self._lock:
            if not self._started:
                self._started = True
                for worker in self._workers:
                    worker.start()

    def _work(self) -> None:
        while True:
            execution = self._queue.get()
            if execution is None:
                return
            try:
                while self.queued_polls and not execution.stop.is_set():
                    with self._lock:
                        if execution.polls >= self.queued_polls:
                            break
                    time.sleep(0.005)
                self._execute(execution)
            except Exception:  # noqa: BLE001 - a worker never dies; _execute records every failure
                pass

    def _execute(self, execution: Execution) -> None:
        with self._lock:
            if execution.state != "QUEUED":
                return  # stopped while queued
            execution.state = "RUNNING"
            execution.started = time.time()
            injected = execution.reason
        storage = self._storage(execution.region)
        engine = Engine(storage, self.cache)
        try:
            if injected:
                raise QueryFailure(None, injected, category=CATEGORY_SYSTEM, error_type=TYPE_INTERNAL)
            outcome = engine.run(
                execution.query,
                execution.parameters,
                execution.database,
                self.now(),
                cutoff=execution.cutoff,
                cancelled=execution.stop,
            )
            bucket, _ = split_s3_uri(execution.output_location)
            if execution.kind == "UNLOAD" and execution.manifest:
                _, key = split_s3_uri(execution.manifest)
                storage.put(bucket, key, athena_results.manifest_text(outcome.unloaded_files).encode(), "text/csv")
                with self._lock:
                    execution.update_count = outcome.unloaded_rows
            else:
                labels = [c["Name"] for c in outcome.columns]
                _, key = split_s3_uri(execution.result_key)
                storage.put(bucket, key, athena_results.csv_text(labels, outcome.rows).encode("utf-8"), "text/csv")
                storage.put(
                    bucket, key + ".metadata", athena_results.metadata_text(outcome.columns).encode(), "application/octet-stream"
                )
            with self._lock:
                if execution.state == "RUNNING":
                    self._finish(execution, "SUCCEEDED", None, scanned=outcome.data_scanned)
        except QueryFailure as failure:
            with self._lock:
                if execution.state == "RUNNING":
                    self._finish(
                        execution,
                        "CANCELLED" if failure.cancelled else "FAILED",
                        failure.reason,
                        scanned=failure.data_scanned,
                        failure=failure,
                    )
        except Exception as error:  # noqa: BLE001 - the emulator's own failure, reported as Athena's internal error
            with self._lock:
                if execution.state == "RUNNING":
                    failure = QueryFailure(
                        "GENERIC_INTERNAL_ERROR",
                        f"{type(error).__name__}: {error}",
                        category=CATEGORY_SYSTEM,
                        error_type=TYPE_INTERNAL,
                    )
                    self._finish(execution, "FAILED", failure.reason, failure=failure)

    def _finish(
        self, execution: Execution, state: str, reason: str | None, scanned: int = 0, failure: QueryFailure | None = None
    ) -> None:
        """Under the lock: the final state, its reason, and the counters."""
        execution.state = state
        execution.reason = reason
        execution.completed = time.time()
        execution.data_scanned = scanned
        if failure is not None and state == "FAILED":
            execution.error = {
                "ErrorCategory": failure.category,
                "ErrorType": failure.error_type,
                "Retryable": failure.retryable,
                "ErrorMessage": failure.reason,
            }
        self._counts[{"SUCCEEDED": "succeeded", "FAILED": "failed", "CANCELLED": "cancelled"}[state]] += 1
        self._counts["bytes_scanned"] += scanned
        if state != "FAILED" and scanned:
            self._counts["billed_bytes"] += billed_bytes(scanned)

    def _describe(self, execution: Execution) -> dict[str, Any]:
        with self._lock:
            state = execution.state
            status: dict[str, Any] = {"State": state, "SubmissionDateTime": datetime.fromtimestamp(execution.submitted, UTC)}
            if execution.reason and state in ("FAILED", "CANCELLED"):
                status["StateChangeReason"] = execution.reason
            if execution.completed is not None and state in TERMINAL:
                status["CompletionDateTime"] = datetime.fromtimestamp(execution.completed, UTC)
            if execution.error and state == "FAILED":
                status["AthenaError"] = dict(execution.error)
            now = time.time()
            started = execution.started or now
            ended = execution.completed or now
            queue_ms = int(((execution.started or now) - execution.submitted) * 1000)
            engine_ms = int(max(0.0, ended - started) * 1000) if execution.started else 0
            statistics: dict[str, Any] = {
                "EngineExecutionTimeInMillis": engine_ms,
                "DataScannedInBytes": execution.data_scanned if state in TERMINAL else 0,
                "TotalExecutionTimeInMillis": int((ended - execution.submitted) * 1000),
                "QueryQueueTimeInMillis": queue_ms,
                "ServicePreProcessingTimeInMillis": 0,
                "QueryPlanningTimeInMillis": 0,
                "ServiceProcessingTimeInMillis": 0,
                "ResultReuseInformation": {"ReusedPreviousResult": False},
            }
            if execution.manifest:
                statistics["DataManifestLocation"] = execution.manifest
            output = execution.manifest if execution.kind == "UNLOAD" and execution.manifest else execution.result_key
            described: dict[str, Any] = {
                "QueryExecutionId": execution.id,
                "Query": execution.query,
                "StatementType": "DML",
                "SubstatementType": execution.kind,
                "ResultConfiguration": {"OutputLocation": output},
                "ResultReuseConfiguration": {"ResultReuseByAgeConfiguration": {"Enabled": False}},
                "QueryExecutionContext": {"Database": execution.database, "Catalog": execution.catalog.lower()},
                "Status": status,
                "Statistics": statistics,
                "WorkGroup": execution.workgroup,
                "EngineVersion": dict(ENGINE_VERSION),
            }
            if execution.parameters:
                described["ExecutionParameters"] = list(execution.parameters)
            return described


# ---------------------------------------------------------------------------------------------------------------
# The botocore hook
# ---------------------------------------------------------------------------------------------------------------

OPERATIONS = {
    "StartQueryExecution": "start_query_execution",
    "GetQueryExecution": "get_query_execution",
    "GetQueryResults": "get_query_results",
    "StopQueryExecution": "stop_query_execution",
    "BatchGetQueryExecution": "batch_get_query_execution",
    "CreateWorkGroup": "create_work_group",
    "GetWorkGroup": "get_work_group",
    "ListWorkGroups": "list_work_groups",
    "UpdateWorkGroup": "update_work_group",
    "DeleteWorkGroup": "delete_work_group",
}
_PARAMS_KEY = "local_athena_params"


def install(session: Any, athena: LocalAthena) -> Callable[[], None]:
    """Answer Athena's query operations from `athena` for clients created from `session` from now on
    (a boto3 Session, a botocore Session or a client; None is boto3's default session). Returns uninstall()."""
    events = events_of(session)
    state = {"active": True}

    def capture(params: dict[str, Any], context: dict[str, Any] | None = None, **_: Any) -> None:
        # The API parameters as the caller gave them (idempotency token filled in): Athena is rest-json,
        # so by before-call some members live in the URL path and query string, not the body.
        if state["active"] and context is not None:
            context[_PARAMS_KEY] = json.loads(json.dumps(params, default=str))

    def handler(params: dict[str, Any], model: Any = None, **_: Any) -> tuple[Any, dict] | None:
        context = params.get("context") or {}
        if not state["active"] or _PARAMS_KEY not in context:
            return None
        region = context.get("client_region") or os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
        url = params.get("url") or f"https://athena.{region}.amazonaws.com/"
        request_id = new_request_id()
        headers = {"x-amzn-requestid": request_id, "content-type": "application/json"}
        try:
            parsed = getattr(athena, OPERATIONS[model.name])(region, **context.pop(_PARAMS_KEY))
            status = 200
        except AthenaApiError as error:
            status = error.status
            parsed = {"Error": {"Code": error.code, "Message": error.message}, "Message": error.message}
            if error.athena_code:
                parsed["AthenaErrorCode"] = error.athena_code
        return answer(url, request_id, headers, status, parsed)

    for operation in OPERATIONS:
        events.register(f"before-parameter-build.athena.{operation}", capture)
        events.register(f"before-call.athena.{operation}", handler)

    def uninstall() -> None:
        state["active"] = False
        for operation in OPERATIONS:
            events.unregister(f"before-parameter-build.athena.{operation}", capture)
            events.unregister(f"before-call.athena.{operation}", handler)

    return uninstall

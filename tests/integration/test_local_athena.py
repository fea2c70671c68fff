"""The local Athena answers the product's Athena calls as Athena does: real SQL executed over the
tables' files in the local S3, parameters bound, results written and paged as Athena writes them,
data scanned as Athena bills it, failures worded as Athena's."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime

import botocore.exceptions
import duckdb
import pytest

from tests.athena_support import DATA_BUCKET, DATABASE, RESULTS, WORKGROUP, AthenaEnv

PROJECTION = {
    "projection.enabled": "true",
    "projection.billing_period.type": "date",
    "projection.billing_period.format": "yyyy-MM",
    "projection.billing_period.range": "2026-09,NOW",
    "projection.billing_period.interval": "1",
    "projection.billing_period.interval.unit": "MONTHS",
    "storage.location.template": f"s3://{DATA_BUCKET}/exports/focus/data/BILLING_PERIOD=${{billing_period}}/",
}
# Ten data columns, as their Parquet files name them (FOCUS's CamelCase) and as Glue declares them.
COLUMNS = [("subaccountid", "string"), ("servicename", "string"), ("billedcost", "double"),
           ("effectivecost", "double"), ("listcost", "double"), ("chargecategory", "string"),
           ("chargeperiodstart", "timestamp"), ("x_usagetype", "string"), ("regionid", "string"),
           ("tags", "map<string,string>")]


def _period_select(period: str, rows: int = 3000) -> str:
    return f"""SELECT '1111111111' || (range % 4) AS "SubAccountId",
        ['Amazon S3', 'AWS Lambda', 'Amazon EC2'][1 + range % 3] AS "ServiceName",
        round(range * 0.0137 + 1, 10)::DOUBLE AS "BilledCost", round(range * 0.0131, 10)::DOUBLE AS "EffectiveCost",
        round(range * 0.0142, 10)::DOUBLE AS "ListCost", CASE WHEN range % 50 = 0 THEN 'Tax' ELSE 'Usage' END AS "ChargeCategory",
        TIMESTAMP '{period}-01 00:00:00' + to_hours(range % 600) AS "ChargePeriodStart",
        'BoxUsage:m5.' || (range % 7) || 'xlarge' AS "x_UsageType",
        CASE WHEN range % 5 = 0 THEN NULL ELSE 'us-east-1' END AS "RegionId",
        MAP {{'Environment': CASE WHEN range % 2 = 0 THEN 'Prod' ELSE 'Dev' END}} AS "Tags"
        FROM range({rows})"""


@pytest.fixture(scope="module")
def env():
    with AthenaEnv(now=lambda: datetime(2026, 11, 22, tzinfo=UTC)) as athena:
        sizes = {}
        for period in ("2026-10", "2026-11"):
            key = f"exports/focus/data/BILLING_PERIOD={period}/20261122T050744Z-exec/focus-00001.snappy.parquet"
            sizes[period] = athena.put_parquet(key, _period_select(period))
        # Athena skips files whose names start with _ or . (a marker that is not Parquet would fail the query)
        athena.s3.put_object(Bucket=DATA_BUCKET, Key="exports/focus/data/BILLING_PERIOD=2026-11/_SUCCESS", Body=b"")
        athena.table("focus", COLUMNS, f"s3://{DATA_BUCKET}/exports/focus/data/", [("billing_period", "string")], PROJECTION)
        athena.sizes = sizes
        yield athena


def _column_bytes(env: AthenaEnv, periods: list[str], columns: set[str]) -> int:
    """The compressed bytes of these columns' chunks in the periods' files, read from the Parquet footers."""
    total = 0
    for period in periods:
        key = f"exports/focus/data/BILLING_PERIOD={period}/20261122T050744Z-exec/focus-00001.snappy.parquet"
        path = env.scratch / f"check-{period}.parquet"
        path.write_bytes(env.s3.get_object(Bucket=DATA_BUCKET, Key=key)["Body"].read())
        total += duckdb.connect().execute(
            "SELECT sum(total_compressed_size) FROM parquet_metadata(?) WHERE lower(split_part(path_in_schema, ', ', 1)) "
            "IN (SELECT unnest(?))", [str(path), sorted(columns)]).fetchone()[0]
    return int(total)


# ---- SELECT over a partition-projected Parquet table, parameters bound ---------------------------------------


def test_select_with_bound_parameters_over_a_projected_parquet_table(env):
    execution = env.query(
        "SELECT subaccountid, count(*) AS line_items, sum(billedcost) AS billed FROM focus "
        "WHERE billing_period = ? AND chargecategory = ? AND chargeperiodstart >= ? GROUP BY subaccountid ORDER BY subaccountid",
        ["'2026-11'", "'Usage'", "TIMESTAMP '2026-11-10 00:00:00'"])
    assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"]
    rows = env.rows(execution)
    assert rows[0] == ["subaccountid", "line_items", "billed"]  # the header row comes first, as in Athena
    expected = duckdb.connect().execute(
        f"SELECT \"SubAccountId\", count(*), sum(\"BilledCost\") FROM ({_period_select('2026-11')}) "
        "WHERE \"ChargeCategory\" = 'Usage' "
        "AND \"ChargePeriodStart\" >= TIMESTAMP '2026-11-10' GROUP BY 1 ORDER BY 1").fetchall()
    assert [(r[0], int(r[1])) for r in rows[1:]] == [(a, n) for a, n, _ in expected]
    assert [float(r[2]) for r in rows[1:]] == pytest.approx([s for *_, s in expected], abs=1e-9)
    assert execution["ExecutionParameters"] == ["'2026-11'", "'Usage'", "TIMESTAMP '2026-11-10 00:00:00'"]
    info = env.athena.get_query_results(QueryExecutionId=execution["QueryExecutionId"])["ResultSet"]["ResultSetMetadata"]
    assert [(c["Name"], c["Type"]) for c in info["ColumnInfo"]] == [("subaccountid", "varchar"), ("line_items", "bigint"),
                                                                     ("billed", "double")]


def test_results_are_written_to_the_output_location_as_athena_writes_them(env):
    execution = env.query("SELECT servicename, regionid, tags['Environment'] AS env, 'say \"hi\"' AS quoted, "
                          "CAST(NULL AS varchar) AS nothing, '' AS empty FROM focus WHERE billing_period = ? "
                          "AND regionid IS NULL ORDER BY billedcost LIMIT 2", ["'2026-10'"])
    assert execution["ResultConfiguration"]["OutputLocation"] == f"{RESULTS}{execution['QueryExecutionId']}.csv"
    text = env.object_text(execution["ResultConfiguration"]["OutputLocation"])
    lines = text.splitlines()
    assert lines[0] == '"servicename","regionid","env","quoted","nothing","empty"'
    # every value quoted, a quote doubled; NULL is nothing between the commas, an empty string is ""
    assert lines[1] == '"Amazon S3",,"Prod","say ""hi""",,""'
    metadata = json.loads(env.object_text(execution["ResultConfiguration"]["OutputLocation"] + ".metadata"))
    assert [c["Name"] for c in metadata["ColumnInfo"]] == ["servicename", "regionid", "env", "quoted", "nothing", "empty"]
    rows = env.rows(execution)
    assert rows[1] == ["Amazon S3", None, "Prod", 'say "hi"', None, ""]


def test_types_and_values_read_as_athena_writes_them(env):
    execution = env.query("SELECT 7 / 2 AS int_division, CAST(0.1 AS double) + CAST(0.2 AS double) AS d, 1e7 AS big, "
                          "CAST('12.5' AS decimal(38, 10)) AS dec, DATE '2026-11-01' AS day, "
                          "TIMESTAMP '2026-11-01 05:00:00' AS ts, true AS flag, ARRAY['a', 'b'] AS arr, "
                          "count(*) FROM focus WHERE billing_period = '2026-11' AND false")
    header, values = env.rows(execution)
    assert header[-1] == "_col8"  # an unnamed expression is _col<position>, as Trino names it
    assert values == ["3", "0.30000000000000004", "1.0E7", "12.5000000000", "2026-11-01", "2026-11-01 05:00:00.000",
                      "true", "[a, b]", "0"]
    types = [c["Type"] for c in env.athena.get_query_results(QueryExecutionId=execution["QueryExecutionId"])
             ["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]]
    assert types == ["integer", "double", "double", "decimal", "date", "timestamp", "boolean", "array", "bigint"]


# ---- a gzipped CSV table ------------------------------------------------------------------------------------------


def test_gzipped_csv_table_read_by_position_with_its_header_skipped(env):
    text = ("date,account,amount,note\n"
            "2026-11-01 00:00:00,111111111111,10.25,\"a, quoted note\"\n"
            "2026-11-02 00:00:00,222222222222,,plain\n"
            "2026-11-02 00:00:00,111111111111,4.75,\n")
    body = gzip.compress(text.encode())
    env.s3.put_object(Bucket=DATA_BUCKET, Key="csv/charges/part-0001.csv.gz", Body=body)
    env.table("charges", [("day", "timestamp"), ("account_id", "string"), ("amount", "double"), ("note", "string")],
              f"s3://{DATA_BUCKET}/csv/charges/", parameters={"skip.header.line.count": "1"},
              storage={"InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
                       "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.serde2.OpenCSVSerde",
                                     "Parameters": {"separatorChar": ",", "quoteChar": "\""}}})
    execution = env.query("SELECT account_id, sum(amount) AS total, count(amount) AS priced, max(note) AS note FROM charges "
                          "WHERE day >= ? GROUP BY account_id ORDER BY account_id", ["TIMESTAMP '2026-11-01 00:00:00'"])
    assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"]
    assert env.rows(execution)[1:] == [["111111111111", "15.0", "2", "a, quoted note"], ["222222222222", None, "0", "plain"]]
    # a text file is billed whole, compressed as stored
    assert execution["Statistics"]["DataScannedInBytes"] == len(body)


# ---- paging ----------------------------------------------------------------------------------------------------------


def test_results_page_with_the_header_counted_in_the_first_page(env):
    execution = env.query("SELECT billedcost FROM focus WHERE billing_period = '2026-10' ORDER BY billedcost LIMIT 2500")
    first = env.athena.get_query_results(QueryExecutionId=execution["QueryExecutionId"], MaxResults=1000)
    assert len(first["ResultSet"]["Rows"]) == 1000 and first["ResultSet"]["Rows"][0]["Data"][0]["VarCharValue"] == "billedcost"
    rows = env.rows(execution, page_size=777)
    assert len(rows) == 2501 and rows[0] == ["billedcost"] and rows.count(["billedcost"]) == 1
    assert [float(r[0]) for r in rows[1:]] == sorted(float(r[0]) for r in rows[1:])
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        env.athena.get_query_results(QueryExecutionId=execution["QueryExecutionId"], NextToken="bm90LWEtdG9rZW4=")
    assert refused.value.response["Error"]["Code"] == "InvalidRequestException"


# ---- data scanned, as Athena bills it -------------------------------------------------------------------------------


def test_fewer_columns_scan_fewer_bytes_and_match_the_parquet_metadata(env):
    two = env.query("SELECT subaccountid, sum(billedcost) FROM focus WHERE billing_period = ? GROUP BY 1", ["'2026-11'"])
    ten = env.query("SELECT * FROM focus WHERE billing_period = ?", ["'2026-11'"])
    scanned_two = two["Statistics"]["DataScannedInBytes"]
    scanned_ten = ten["Statistics"]["DataScannedInBytes"]
    assert scanned_two == _column_bytes(env, ["2026-11"], {"subaccountid", "billedcost"})
    assert scanned_ten == _column_bytes(env, ["2026-11"], {name for name, _ in COLUMNS})
    assert 0 < scanned_two < scanned_ten


def test_partitions_outside_the_predicate_are_neither_read_nor_billed(env):
    one = env.query("SELECT sum(billedcost) FROM focus WHERE billing_period = '2026-10'")
    both = env.query("SELECT sum(billedcost) FROM focus WHERE billing_period IN (?, ?)", ["'2026-10'", "'2026-11'"])
    every = env.query("SELECT sum(billedcost) FROM focus")
    assert one["Statistics"]["DataScannedInBytes"] == _column_bytes(env, ["2026-10"], {"billedcost"})
    assert both["Statistics"]["DataScannedInBytes"] == _column_bytes(env, ["2026-10", "2026-11"], {"billedcost"})
    assert every["Statistics"]["DataScannedInBytes"] == both["Statistics"]["DataScannedInBytes"]
    assert float(env.rows(both)[1][0]) == pytest.approx(float(env.rows(every)[1][0]))
    # "$path" prunes files the same way: only the October file is read
    by_path = env.query('SELECT count(*), min("$path") FROM focus WHERE "$path" LIKE ?', ["'%BILLING_PERIOD=2026-10/%'"])
    count, path = env.rows(by_path)[1]
    assert count == "3000" and path.startswith(f"s3://{DATA_BUCKET}/exports/focus/data/BILLING_PERIOD=2026-10/")
    assert by_path["Statistics"]["DataScannedInBytes"] == 0  # no data column read


def test_a_query_over_the_workgroups_cutoff_is_cancelled_as_athena_cancels_it(env):
    # 10 MB is the smallest cutoff Athena accepts: a column of random text that compresses to more than that
    env.put_parquet("big/random.parquet", "SELECT md5(random()::VARCHAR) || md5(random()::VARCHAR) AS noise, range AS n "
                                          "FROM range(400000)")
    env.table("big", [("noise", "string"), ("n", "bigint")], f"s3://{DATA_BUCKET}/big/")
    env.athena.create_work_group(Name="capped", Configuration={"ResultConfiguration": {"OutputLocation": RESULTS},
                                                               "BytesScannedCutoffPerQuery": 10_000_000})
    uncapped = env.query("SELECT count(DISTINCT noise) FROM big")
    assert uncapped["Statistics"]["DataScannedInBytes"] > 10_000_000
    assert env.query("SELECT max(n) FROM big", workgroup="capped")["Status"]["State"] == "SUCCEEDED"
    capped = env.query("SELECT count(DISTINCT noise) FROM big", workgroup="capped")
    assert capped["Status"]["State"] == "CANCELLED"
    assert capped["Status"]["StateChangeReason"] == "Bytes scanned limit was exceeded"


# ---- UNLOAD -----------------------------------------------------------------------------------------------------------


def test_unload_writes_partitioned_files_and_its_manifest(env):
    target = "s3://results-bucket/unloaded/run-1/"
    execution = env.query(f"UNLOAD (SELECT subaccountid, servicename, billedcost, billing_period FROM focus "
                          f"WHERE billing_period IN (?, ?)) TO '{target}' "
                          "WITH (format = 'PARQUET', compression = 'SNAPPY', partitioned_by = ARRAY['billing_period'])",
                          ["'2026-10'", "'2026-11'"])
    assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"]
    assert execution["SubstatementType"] == "UNLOAD"
    manifest = execution["Statistics"]["DataManifestLocation"]
    assert manifest == f"{RESULTS}{execution['QueryExecutionId']}-manifest.csv"
    files = env.object_text(manifest).split()
    assert {f.rsplit("/", 2)[1] for f in files} == {"billing_period=2026-10", "billing_period=2026-11"}
    assert all(f.startswith(target) for f in files)
    listed = env.athena.get_query_results(QueryExecutionId=execution["QueryExecutionId"], QueryResultType="DATA_MANIFEST")
    assert [row["Data"][0]["VarCharValue"] for row in listed["ResultSet"]["Rows"]] == files
    assert env.athena.get_query_results(QueryExecutionId=execution["QueryExecutionId"])["UpdateCount"] == 6000
    # what was written reads back: the data files, without the partition column (it is in the path)
    local = env.scratch / "unloaded.parquet"
    total = 0.0
    for uri in files:
        local.write_bytes(env.s3.get_object(Bucket="results-bucket", Key=uri.split("/", 3)[3])["Body"].read())
        names = [r[0] for r in duckdb.connect().execute(f"DESCRIBE SELECT * FROM read_parquet('{local}')").fetchall()]
        assert names == ["subaccountid", "servicename", "billedcost"]
        total += duckdb.connect().execute(f"SELECT sum(billedcost) FROM read_parquet('{local}')").fetchone()[0]
    expected = float(env.rows(env.query("SELECT sum(billedcost) FROM focus"))[1][0])
    assert total == pytest.approx(expected)


def test_unload_refuses_what_athena_refuses(env):
    occupied = env.query("UNLOAD (SELECT subaccountid FROM focus) TO 's3://results-bucket/athena-results/' "
                         "WITH (format = 'PARQUET')")
    assert occupied["Status"]["State"] == "FAILED"
    assert occupied["Status"]["StateChangeReason"].startswith("HIVE_PATH_ALREADY_EXISTS: Target directory for table")
    not_last = env.query("UNLOAD (SELECT billing_period, subaccountid FROM focus) TO 's3://results-bucket/u2/' "
                         "WITH (format = 'PARQUET', partitioned_by = ARRAY['billing_period'])")
    assert not_last["Status"]["State"] == "FAILED"
    assert "Partition keys must be the last columns" in not_last["Status"]["StateChangeReason"]
    too_many = env.query("UNLOAD (SELECT billedcost, CAST(chargeperiodstart AS date) AS day FROM focus "
                         "WHERE billing_period = '2026-10') TO 's3://results-bucket/u3/' "
                         "WITH (format = 'TEXTFILE', partitioned_by = ARRAY['day'])")
    assert too_many["Status"]["State"] == "SUCCEEDED"  # 25 days: within the limit
    hours = env.query("UNLOAD (SELECT billedcost, chargeperiodstart AS hour FROM focus) TO 's3://results-bucket/u4/' "
                      "WITH (format = 'JSON', partitioned_by = ARRAY['hour'])")
    assert hours["Status"]["State"] == "FAILED"
    assert hours["Status"]["StateChangeReason"] == ("HIVE_TOO_MANY_OPEN_PARTITIONS: Exceeded limit of 100 open writers "
                                                    "for partitions/buckets")
    assert not env.s3.list_objects_v2(Bucket="results-bucket", Prefix="u4/").get("Contents")


# ---- failures, worded as Athena's --------------------------------------------------------------------------------------


@pytest.mark.parametrize("sql, parameters, reason", [
    ("SELECT * FROM nowhere", None,
     "TABLE_NOT_FOUND: line 1:15: Table 'awsdatacatalog.cost_reporter_local.nowhere' does not exist"),
    ("SELECT nope FROM focus", None, ("COLUMN_NOT_FOUND: line 1:8: Column 'nope' cannot be resolved or requester is not "
                                     "authorized to access requested resources")),
    ("SELECT 1 FROM focus WHERE billing_period = ?", None, ("INVALID_PARAMETER_USAGE: line 1:1: Incorrect number of parameters: "
                                                        "expected 1 but found 0")),
    ("SELECT 1", ["'x'"], "INVALID_PARAMETER_USAGE: line 1:1: Incorrect number of parameters: expected 0 but found 1"),
    ("SELECT chargeperiodstart FROM focus WHERE chargeperiodstart >= ?", ["'2026-11-01'"],
     "TYPE_MISMATCH: Cannot apply operator: timestamp(3) >= varchar"),
    ("SELECT 1; DROP TABLE focus", None, "Only one sql statement is allowed. Got: SELECT 1; DROP TABLE focus"),
    ("CREATE TABLE t (a int)", None, None),
])
def test_failures_end_failed_with_athenas_reason(env, sql, parameters, reason):
    execution = env.query(sql, parameters)
    assert execution["Status"]["State"] == "FAILED"
    if reason:
        assert execution["Status"]["StateChangeReason"] == reason
    error = execution["Status"]["AthenaError"]
    assert error["ErrorCategory"] == 2 and error["Retryable"] is False
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        env.athena.get_query_results(QueryExecutionId=execution["QueryExecutionId"])
    assert refused.value.response["Error"]["Code"] == "InvalidRequestException"


def test_a_syntax_error_names_its_position(env):
    execution = env.query("SELECT subaccountid\nFROM focus WHERE WHERE")
    assert execution["Status"]["StateChangeReason"].startswith("SYNTAX_ERROR: line 2:")


def test_api_refusals_are_invalid_request_exceptions(env):
    with pytest.raises(botocore.exceptions.ClientError) as unknown_group:
        env.start("SELECT 1", workgroup="nope")
    assert unknown_group.value.response["Error"] == {"Code": "InvalidRequestException", "Message": "WorkGroup nope is not found."}
    env.athena.create_work_group(Name="no-results")
    with pytest.raises(botocore.exceptions.ClientError) as no_location:
        env.start("SELECT 1", workgroup="no-results")
    assert "No output location provided" in no_location.value.response["Error"]["Message"]
    with pytest.raises(botocore.exceptions.ClientError) as unknown_id:
        env.athena.get_query_execution(QueryExecutionId="00000000-0000-0000-0000-000000000000")
    assert unknown_id.value.response["Error"]["Code"] == "InvalidRequestException"


# ---- parameters are bound, never written into the SQL -----------------------------------------------------------------


HOSTILE = ["'; DROP TABLE focus; --", "O'Brien \"quoted\"", "ünïcødé 💸 \\ back", "%_ wildcard"]


def test_hostile_parameter_values_are_bound_not_injected(env):
    rows = " UNION ALL ".join(f"SELECT {i} AS id, $${value}$$ AS name" for i, value in enumerate(HOSTILE))
    env.put_parquet("hostile/names.parquet", rows)
    env.table("names", [("id", "int"), ("name", "string")], f"s3://{DATA_BUCKET}/hostile/")
    for index, value in enumerate(HOSTILE):
        literal = "'" + value.replace("'", "''") + "'"  # a string literal, as Athena reads an ExecutionParameter
        execution = env.query("SELECT id, name FROM names WHERE name = ?", [literal])
        assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"]
        assert env.rows(execution)[1:] == [[str(index), value]]
    # the same value written without its quotes is not SQL to run: the query fails, the table is intact
    raw = env.query("SELECT id FROM names WHERE name = ?", [HOSTILE[0]])
    assert raw["Status"]["State"] == "FAILED" and raw["Status"]["StateChangeReason"].startswith("SYNTAX_ERROR")
    assert env.rows(env.query("SELECT count(*) FROM names"))[1] == [str(len(HOSTILE))]
    assert env.rows(env.query("SELECT count(*) FROM focus WHERE billing_period = '2026-11'"))[1] == ["3000"]


def test_a_parameter_that_is_not_a_literal_is_refused(env):
    execution = env.query("SELECT 1 FROM focus WHERE subaccountid = ?", ["(SELECT max(subaccountid) FROM focus)"])
    assert execution["Status"]["State"] == "FAILED"
    assert execution["Status"]["StateChangeReason"].startswith(
        "INVALID_PARAMETER_USAGE: ExecutionParameters[0] must be a literal")


# ---- the execution's life ---------------------------------------------------------------------------------------------


def test_states_go_queued_running_succeeded_and_stop_cancels(env):
    env.local.queued_polls = 3  # a query waits to be picked up until it has been polled three times
    try:
        execution_id = env.start("SELECT 1 AS a")
        seen = [env.athena.get_query_execution(QueryExecutionId=execution_id)["QueryExecution"]["Status"]["State"]
                for _ in range(3)]
        assert seen == ["QUEUED", "QUEUED", "QUEUED"]
        with pytest.raises(botocore.exceptions.ClientError):
            env.athena.get_query_results(QueryExecutionId=execution_id)
        final = env.wait(execution_id)
        assert final["Status"]["State"] == "SUCCEEDED"
        assert final["Status"]["CompletionDateTime"] >= final["Status"]["SubmissionDateTime"]
        cancelled_before = env.local.usage()["queries_cancelled"]
        stopped = env.start("SELECT 1 AS a")
        env.athena.stop_query_execution(QueryExecutionId=stopped)
        assert env.wait(stopped)["Status"]["State"] == "CANCELLED"
    finally:
        env.local.queued_polls = 0
    batch = env.athena.batch_get_query_execution(QueryExecutionIds=[execution_id, stopped, "missing-id"])
    assert [e["Status"]["State"] for e in batch["QueryExecutions"]] == ["SUCCEEDED", "CANCELLED"]
    assert batch["UnprocessedQueryExecutionIds"][0]["QueryExecutionId"] == "missing-id"
    assert env.local.usage()["queries_cancelled"] == cancelled_before + 1


def test_client_request_token_makes_start_idempotent(env):
    token = "a" * 32
    first = env.start("SELECT 1", ClientRequestToken=token)
    assert env.start("SELECT 1", ClientRequestToken=token) == first
    assert env.wait(first)["Status"]["State"] == "SUCCEEDED"
    with pytest.raises(botocore.exceptions.ClientError) as mismatch:
        env.start("SELECT 2", ClientRequestToken=token)
    assert mismatch.value.response["Error"]["Code"] == "InvalidRequestException"


def test_injected_faults_throttle_and_fail(env):
    env.local.fail_next(1)
    with pytest.raises(botocore.exceptions.ClientError) as throttled:
        env.start("SELECT 1")  # refused: no query starts
    assert throttled.value.response["Error"]["Code"] == "TooManyRequestsException"
    env.local.fail_next_query("GENERIC_INTERNAL_ERROR: injected")
    failed = env.query("SELECT 1")
    assert failed["Status"]["State"] == "FAILED" and failed["Status"]["AthenaError"]["Retryable"] is True


def test_counters_count_queries_and_bytes_as_billed(env):
    env.local.reset_counters()
    scanned = env.query("SELECT billedcost FROM focus WHERE billing_period = '2026-11'")["Statistics"]["DataScannedInBytes"]
    env.query("SELECT * FROM nowhere")
    usage = env.local.usage()
    assert usage["queries"] == 2 and usage["queries_succeeded"] == 1 and usage["queries_failed"] == 1
    assert usage["bytes_scanned"] == scanned > 0
    assert usage["billed_bytes"] == 10 * 1024 * 1024  # rounded up to the 10 MB minimum; the failed query is not billed


def test_workgroups_are_answered_even_though_moto_cannot(env):
    # moto 5.2.5 answers Athena's old JSON protocol; botocore now speaks rest-json to Athena
    names = [g["Name"] for g in env.athena.list_work_groups()["WorkGroups"]]
    assert {"primary", WORKGROUP} <= set(names)
    group = env.athena.get_work_group(WorkGroup=WORKGROUP)["WorkGroup"]
    assert group["Configuration"]["ResultConfiguration"]["OutputLocation"] == RESULTS
    assert group["Configuration"]["EnforceWorkGroupConfiguration"] is True
    assert DATABASE == "cost_reporter_local"

"""A FOCUS export in the local S3 for the product's export source: lines written as Parquet into
snapshot folders laid out as AWS Data Exports writes them, the manifests, the Glue tables (the export's
with partition projection on the billing period, the run-accounts table injected on the run id), and
the export declared to the functions' settings."""

from __future__ import annotations

import json
import uuid
from typing import Any

from tests.athena_support import DATA_BUCKET, DATABASE, PARQUET_SERDE, RESULTS, WORKGROUP, AthenaEnv

STAGE_BUCKET = "results-bucket"  # the stage bucket: runs/<run>/export-accounts/ and athena-results/
EXPORT_URI = f"s3://{DATA_BUCKET}/exports/payer/focus-export/"
# (name, Glue type, DuckDB type) of the columns the product reads, as FOCUS names them
FOCUS_COLUMNS = [
    ("ProviderName", "string", "VARCHAR"), ("SubAccountId", "string", "VARCHAR"), ("ServiceName", "string", "VARCHAR"),
    ("ChargeCategory", "string", "VARCHAR"), ("ChargeClass", "string", "VARCHAR"), ("ChargeFrequency", "string", "VARCHAR"),
    ("x_ServiceCode", "string", "VARCHAR"), ("CommitmentDiscountType", "string", "VARCHAR"),
    ("x_UsageType", "string", "VARCHAR"), ("SkuId", "string", "VARCHAR"), ("RegionId", "string", "VARCHAR"),
    ("BillingCurrency", "string", "VARCHAR"), ("ChargePeriodStart", "timestamp", "TIMESTAMP"),
    ("BilledCost", "double", "DOUBLE"), ("EffectiveCost", "double", "DOUBLE"),
]


def declaration(**overrides: Any) -> dict[str, Any]:
    return {"name": "focus", "format": "focus-1.2", "s3_uri": EXPORT_URI, "database": DATABASE, "table": "focus",
            "accounts_table": "run_accounts", "workgroup": WORKGROUP, "results_uri": RESULTS, **overrides}


def line(account: str, day: str, amount: float, *, hour: int = 0, service: str = "Amazon S3", category: str = "Usage",
         charge_class: str | None = None, frequency: str | None = "Usage-Based", service_code: str | None = "AmazonS3",
         commitment: str | None = None, usage_type: str | None = "TimedStorage-ByteHrs", region: str | None = "us-east-1",
         currency: str = "USD", provider: str = "AWS", effective: float | None = None) -> dict[str, Any]:
    return {"ProviderName": provider, "SubAccountId": account, "ServiceName": service, "ChargeCategory": category,
            "ChargeClass": charge_class, "ChargeFrequency": frequency, "x_ServiceCode": service_code,
            "CommitmentDiscountType": commitment, "x_UsageType": usage_type, "SkuId": None, "RegionId": region,
            "BillingCurrency": currency, "ChargePeriodStart": f"{day} {hour:02d}:00:00", "BilledCost": amount,
            "EffectiveCost": amount if effective is None else effective}


def put_snapshot(env: AthenaEnv, period: str, folder: str, lines: list[dict[str, Any]], manifest: bool = True) -> str:
    """One snapshot of a billing period (a Parquet file in its folder); its manifest when `manifest`."""
    import duckdb

    path = env.scratch / f"{uuid.uuid4().hex}.parquet"
    con = duckdb.connect()
    con.execute("CREATE TABLE t (" + ", ".join(f'"{n}" {d}' for n, _, d in FOCUS_COLUMNS) + ")")
    con.executemany("INSERT INTO t VALUES (" + ", ".join("?" for _ in FOCUS_COLUMNS) + ")",
                    [[x[n] for n, _, _ in FOCUS_COLUMNS] for x in lines])
    con.execute(f"COPY t TO '{path}' (FORMAT PARQUET, COMPRESSION SNAPPY)")
    prefix = EXPORT_URI[len(f"s3://{DATA_BUCKET}/"):]
    key = f"{prefix}data/BILLING_PERIOD={period}/{folder}/focus-export-00001.snappy.parquet"
    env.s3.put_object(Bucket=DATA_BUCKET, Key=key, Body=path.read_bytes())
    if manifest:
        body = {"executionId": folder.split("-", 1)[1], "billingPeriod": {"start": f"{period}-01T00:00:00.000Z"},
                "dataFiles": [f"s3://{DATA_BUCKET}/{key}"]}
        env.s3.put_object(Bucket=DATA_BUCKET, Key=f"{prefix}metadata/BILLING_PERIOD={period}/focus-export-Manifest.json",
                          Body=json.dumps(body).encode())
    return key


def create_tables(env: AthenaEnv) -> None:
    create_export_table(env)
    create_accounts_table(env)


def create_export_table(env: AthenaEnv) -> None:
    env.table("focus", [(n.lower(), t) for n, t, _ in FOCUS_COLUMNS], f"{EXPORT_URI}data/", [("billing_period", "string")], {
        "projection.enabled": "true", "projection.billing_period.type": "date",
        "projection.billing_period.format": "yyyy-MM", "projection.billing_period.range": "2026-01,NOW",
        "projection.billing_period.interval": "1", "projection.billing_period.interval.unit": "MONTHS",
        "storage.location.template": f"{EXPORT_URI}data/BILLING_PERIOD=${{billing_period}}/"})


def create_accounts_table(env: AthenaEnv) -> None:
    """The run-accounts table as infra/description.py declares it: CSV, partition projection injected on run_id."""
    env.table("run_accounts", [("account_id", "string"), ("client_id", "string")], f"s3://{STAGE_BUCKET}/runs/",
              [("run_id", "string")],
              {"projection.enabled": "true", "projection.run_id.type": "injected",
               "storage.location.template": f"s3://{STAGE_BUCKET}/runs/${{run_id}}/export-accounts/"},
              storage={"InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
                       "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.serde2.OpenCSVSerde",
                                     "Parameters": {"separatorChar": ",", "quoteChar": "\""}}})


__all__ = ["PARQUET_SERDE", "STAGE_BUCKET", "create_accounts_table", "create_export_table", "create_tables", "declaration",
           "line", "put_snapshot"]

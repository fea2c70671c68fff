"""Billing exports read through Athena: the Glue database, one table per export (partition projection
on the billing period: no crawler, no partitions to add), the run-accounts table (projection injected
on the run id: a run's query reads only its own accounts, no DDL per run) and the Athena workgroup
(results location enforced, a bytes-scanned cutoff per query). Nothing when the stage declares no export.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from chalicelib.core import constants as c
from infra.export_columns import columns_of, glue_columns
from infra.kinds.base import Context, code, current, same, tags_cfn
from infra.model import camel
from infra.naming import Naming
from infra.stage import Stage

# Athena stops a query past this many bytes scanned: one run's query reads a few months of one
# payer's export (a 10,000-account FOCUS export is a few GB a month in Parquet).
BYTES_SCANNED_CUTOFF = 200 * 1024**3
PARQUET = {"InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
           "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
           "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"}}
CSV = {"InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
       "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
       "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.serde2.OpenCSVSerde",
                     "Parameters": {"separatorChar": ",", "quoteChar": "\""}}}


def export_table(stage: Stage, export: dict[str, Any]) -> dict[str, Any]:
    """The Glue TableInput over an export as AWS Data Exports writes it (Parquet, BILLING_PERIOD=YYYY-MM)."""
    settings = next(e for e in stage.settings.exports if e.name == export["name"])
    data = f"{export['s3_uri']}data/"
    return {
        "Name": export["table"], "TableType": "EXTERNAL_TABLE",
        "Parameters": {"classification": "parquet", "projection.enabled": "true",
                       "projection.billing_period.type": "date", "projection.billing_period.format": "yyyy-MM",
                       "projection.billing_period.range": f"{settings.first_billing_period},NOW",
                       "projection.billing_period.interval": "1", "projection.billing_period.interval.unit": "MONTHS",
                       "storage.location.template": f"{data}BILLING_PERIOD=${{billing_period}}/"},
        "PartitionKeys": [{"Name": "billing_period", "Type": "string"}],
        "StorageDescriptor": {"Columns": glue_columns(columns_of(export["format"], export["aws_columns"])),
                              "Location": data, **PARQUET},
    }


def accounts_table(stage: Stage) -> dict[str, Any]:
    """runs/<run>/export-accounts/accounts.csv as a table: one quoted (account id, client id) a line."""
    runs = f"s3://{stage.bucket_name()}/{c.RUNS_PREFIX}"
    return {
        "Name": c.RUN_ACCOUNTS_TABLE, "TableType": "EXTERNAL_TABLE",
        "Parameters": {"classification": "csv", "projection.enabled": "true", "projection.run_id.type": "injected",
                       "storage.location.template": f"{runs}${{run_id}}/{c.EXPORT_ACCOUNTS_FOLDER}/"},
        "PartitionKeys": [{"Name": "run_id", "Type": "string"}],
        "StorageDescriptor": {"Columns": [{"Name": "account_id", "Type": "string"}, {"Name": "client_id", "Type": "string"}],
                              "Location": runs, **CSV},
    }


def workgroup_configuration(results_uri: str) -> dict[str, Any]:
    return {"ResultConfiguration": {"OutputLocation": results_uri,
                                    "EncryptionConfiguration": {"EncryptionOption": "SSE_S3"}},
            "EnforceWorkGroupConfiguration": True, "PublishCloudWatchMetricsEnabled": True,
            "BytesScannedCutoffPerQuery": BYTES_SCANNED_CUTOFF}


def _tables(stage: Stage) -> dict[str, list[dict[str, Any]]]:
    """Database -> its tables (the exports' and, in each, the run-accounts table)."""
    tables: dict[str, list[dict[str, Any]]] = {}
    for export in stage.cost_exports():
        found = tables.setdefault(export["database"], [accounts_table(stage)])
        found.append(export_table(stage, export))
    return tables


def ensure(ctx: Context) -> None:
    stage = ctx.stage
    exports = stage.cost_exports()
    if not exports:
        return
    glue, athena = ctx.client("glue"), ctx.client("athena")
    for database, tables in _tables(stage).items():
        created = current(lambda db=database: glue.get_database(Name=db), ("EntityNotFoundException",)) is None
        if created:
            glue.create_database(DatabaseInput={"Name": database, "Description": f"billing exports of {stage.prefix}"})
        ctx.report.record(f"Glue database {database}", created, [])
        for table in tables:
            found = current(lambda db=database, t=table: glue.get_table(DatabaseName=db, Name=t["Name"])["Table"],
                            ("EntityNotFoundException",))
            if found is None:
                glue.create_table(DatabaseName=database, TableInput=table)
                ctx.report.record(f"Glue table {database}.{table['Name']}", True, [])
            elif not same(table["Parameters"], found.get("Parameters")) or \
                    not same(table["StorageDescriptor"]["Columns"], found.get("StorageDescriptor", {}).get("Columns")) or \
                    found.get("StorageDescriptor", {}).get("Location") != table["StorageDescriptor"]["Location"]:
                glue.update_table(DatabaseName=database, TableInput=table)
                ctx.report.record(f"Glue table {database}.{table['Name']}", False, ["definition"])
            else:
                ctx.report.record(f"Glue table {database}.{table['Name']}", False, [])
    for workgroup, results in sorted({(e["workgroup"], e["results_uri"]) for e in exports}):
        wanted = workgroup_configuration(results)
        try:
            found = athena.get_work_group(WorkGroup=workgroup)["WorkGroup"]
        except ClientError as exc:
            if code(exc) not in ("InvalidRequestException", "ResourceNotFoundException"):
                raise
            athena.create_work_group(Name=workgroup, Configuration=wanted, Tags=ctx.tag_list(),
                                     Description=f"billing-export queries of {stage.prefix}")
            ctx.report.record(f"Athena workgroup {workgroup}", True, [])
            continue
        changed = not same(wanted, found.get("Configuration", {}))
        if changed:
            athena.update_work_group(WorkGroup=workgroup, ConfigurationUpdates={
                "ResultConfigurationUpdates": wanted["ResultConfiguration"],
                "EnforceWorkGroupConfiguration": True, "PublishCloudWatchMetricsEnabled": True,
                "BytesScannedCutoffPerQuery": BYTES_SCANNED_CUTOFF})
        ctx.report.record(f"Athena workgroup {workgroup}", False, ["configuration"] if changed else [])


def delete(ctx: Context) -> None:
    glue, athena = ctx.client("glue"), ctx.client("athena")
    for database, tables in _tables(ctx.stage).items():
        for table in tables:
            ctx.delete(f"Glue table {database}.{table['Name']}",
                       lambda db=database, t=table: glue.delete_table(DatabaseName=db, Name=t["Name"]), None,
                       ("EntityNotFoundException",))
        ctx.delete(f"Glue database {database}", lambda db=database: glue.delete_database(Name=db), None,
                   ("EntityNotFoundException",))
    for workgroup in sorted({e["workgroup"] for e in ctx.stage.cost_exports()}):
        ctx.delete(f"Athena workgroup {workgroup}",
                   lambda w=workgroup: athena.delete_work_group(WorkGroup=w, RecursiveDeleteOption=True), None,
                   ("InvalidRequestException",))


def cloudformation(stages: list[Stage], n: Naming) -> tuple[dict[str, Any], dict[str, Any]]:
    """(conditions, resources): each stage's export resources, created only when the stack is that stage."""
    conditions: dict[str, Any] = {}
    resources: dict[str, Any] = {}
    for stage in stages:
        exports = stage.cost_exports()
        if not exports:
            continue
        condition = f"IsStage{camel(stage.name)}"
        conditions[condition] = {"Fn::Equals": [{"Ref": "Stage"}, stage.name]}
        for database, tables in _tables(stage).items():
            db_id = f"ExportDatabase{camel(stage.name)}{camel(database)}"
            resources[db_id] = {"Type": "AWS::Glue::Database", "Condition": condition, "Properties": {
                "CatalogId": {"Ref": "AWS::AccountId"}, "DatabaseInput": {"Name": database}}}
            for table in tables:
                resources[f"ExportTable{camel(stage.name)}{camel(table['Name'])}"] = {
                    "Type": "AWS::Glue::Table", "Condition": condition, "Properties": {
                        "CatalogId": {"Ref": "AWS::AccountId"}, "DatabaseName": {"Ref": db_id}, "TableInput": table}}
        for workgroup, results in sorted({(e["workgroup"], e["results_uri"]) for e in exports}):
            resources[f"ExportWorkGroup{camel(stage.name)}{camel(workgroup.replace('-', '_').replace('.', '_'))}"] = {
                "Type": "AWS::Athena::WorkGroup", "Condition": condition, "Properties": {
                    "Name": workgroup, "RecursiveDeleteOption": True, "State": "ENABLED",
                    "WorkGroupConfiguration": workgroup_configuration(results), "Tags": tags_cfn(stage)}}
    return conditions, resources

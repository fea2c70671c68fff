"""Billing exports laid out as AWS Data Exports delivers them, written with DuckDB (dev only).

    <prefix>/<export-name>/data/BILLING_PERIOD=YYYY-MM/<snapshot>/<export-name>-00001.snappy.parquet
    <prefix>/<export-name>/metadata/BILLING_PERIOD=YYYY-MM/<export-name>-Manifest.json

A snapshot folder is `<YYYYMMDDTHHMMSSZ>-<executionId>`: one per refresh of an export that keeps
every version ("Create new data export file"); older snapshots stay beside the latest, each a full
copy of the billing period as it was then. The manifest of a billing period is rewritten at each
refresh: it names the latest execution and lists its data files (full S3 URIs), so readers take the
latest snapshot from it. Where each fact comes from: local/samples/README.md.

Manifest (the fields AWS documents, with the sample's values):
    {"executionId": "...", "exportArn": "arn:aws:bcm-data-exports:us-east-1:<payer>:export/<name>-<id>",
     "billingPeriod": {"start": "2026-11-01T00:00:00.000Z", "end": "2026-12-01T00:00:00.000Z"},
     "columns": [{"name": "BilledCost", "type": "double"}, ...],
     "dataFiles": ["s3://<bucket>/<prefix>/<name>/data/BILLING_PERIOD=2026-11/<snapshot>/<name>-00001.snappy.parquet"],
     "additionalOutputFiles": []}
"""

from __future__ import annotations

import json
import re
import tempfile
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from local.aws.exports.columns import (
    AWS_FOCUS_1_2,
    CUR_2_0,
    DOUBLE,
    TIMESTAMP,
    parquet_type,
)

FOCUS, CUR = "focus-1.2", "cur-2.0"
DEFAULT_BUCKET = "payer-exports"
PARQUET_ROWS_PER_FILE = 60_000  # a billing period larger than this is delivered in numbered chunks

_SCALED = ('amount', 'list_cost', 'contracted_cost', 'effective_cost')  # what an estimate scales


@dataclass(frozen=True)
class Snapshot:
    """One refresh of one billing period: its folder name and which lines it holds."""

    billing_period: date
    refreshed: datetime
    execution_id: str
    until: date | None = None  # only lines before this day (a refresh taken mid-period)
    scale: str | None = None  # usage amounts as they were estimated then (decimal factor), None: as final

    @property
    def folder(self) -> str:
        return f"{self.refreshed:%Y%m%dT%H%M%SZ}-{self.execution_id}"


@dataclass
class LocalExport:
    """An export on local disk, ready to be put in the local S3 at an export location."""

    name: str  # the AWS export name: the last folder of its S3 location and the files' prefix
    format: str  # FOCUS ("focus-1.2") or CUR ("cur-2.0"); "focus-1.0" for a FOCUS 1.0 file given with --costs
    source: Path  # the folder holding data/ and metadata/
    bucket: str = DEFAULT_BUCKET
    prefix: str = ""  # S3 key prefix before the export name ("focus/")
    periods: list[str] = field(default_factory=list)  # "YYYY-MM" of every billing period it holds

    @property
    def s3_uri(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}{self.name}/"

    def files(self) -> list[Path]:
        return sorted(p for p in self.source.rglob("*") if p.is_file())

    def upload(self, s3: Any, s3_uri: str | None = None) -> list[str]:
        """Put every file under `s3_uri` (default: the export's own location), renaming the files and
        rewriting the manifests' URIs when that location's export name differs. Creates the bucket."""
        target = s3_uri or self.s3_uri
        match = re.fullmatch(r"s3://([^/]+)/(.*?)([^/]+)/?", target)
        if not match:
            raise ValueError(f"An export location must read s3://bucket/[prefix/]export-name/, got {target!r}")
        bucket, prefix, name = match.group(1), match.group(2), match.group(3)
        try:
            s3.head_bucket(Bucket=bucket)
        except Exception:  # noqa: BLE001 - absent: create it
            s3.create_bucket(Bucket=bucket)
        keys = []
        for path in self.files():
            relative = path.relative_to(self.source).as_posix().replace(f"{self.name}-", f"{name}-")
            key = f"{prefix}{name}/{relative}"
            body = path.read_bytes()
            if path.name.endswith("-Manifest.json"):
                body = (
                    body.decode()
                    .replace(self.s3_uri, f"s3://{bucket}/{prefix}{name}/")
                    .replace(f"/{self.name}-", f"/{name}-")
                    .encode()
                )
            s3.put_object(Bucket=bucket, Key=key, Body=body)
            keys.append(f"s3://{bucket}/{key}")
        return keys


def _execution_id(*parts: Any) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(str(p) for p in parts)))


def snapshots_for(periods: Iterable[date], last_day: date, export: str) -> list[Snapshot]:
    """The sample's refreshes: one per closed billing period (its final delivery, on the 3rd of the next
    month) and, for the open month, an older refresh (taken on the 15th: partial, with the estimated
    figures of then) beside the latest (the morning after `last_day`)."""
    ordered = sorted(set(periods))
    snapshots = []
    for period in ordered:
        following = (period.replace(day=28) + timedelta(days=4)).replace(day=1)
        if period == ordered[-1]:
            snapshots.append(
                Snapshot(
                    period,
                    datetime(period.year, period.month, 15, 5, 30, 12),
                    _execution_id(export, period, "mid"),
                    until=period.replace(day=15),
                    scale="0.985",
                )
            )
            latest = datetime(last_day.year, last_day.month, last_day.day, 5, 7, 44) + timedelta(days=1)
        else:
            latest = datetime(following.year, following.month, 3, 5, 19, 7)
        snapshots.append(Snapshot(period, latest, _execution_id(export, period, "final")))
    return snapshots


# ---- the two tables, from canonical lines (charges.canonical_lines) ------------------------------------------

_LINE_TYPES = {
    "day": "DATE",
    "start": "DATE",
    "end": "DATE",
    "billing_period": "DATE",
    "billing_period_end": "DATE",
    "hourly": "BOOLEAN",
    "tags": "MAP(VARCHAR, VARCHAR)",
    "discounts": "MAP(VARCHAR, VARCHAR)",
}
_AMOUNTS = ("amount", "list_cost", "contracted_cost", "effective_cost", "quantity")


def _split(column: str) -> str:
    """A line's amount for its row: the whole amount, or for an hourly line its hour's share (23 equal
    shares rounded to 10 decimals and the remainder in the last hour, so the hours add up exactly)."""
    value = f"CAST(l.{column} AS DECIMAL(38, 10))"
    share = f"CAST(round({value} / 24, 10) AS DECIMAL(38, 10))"
    return f"CASE WHEN h.h IS NULL THEN {value} WHEN h.h < 23 THEN {share} ELSE {value} - 23 * {share} END"


def _ts(expression: str) -> str:
    return f"CAST({expression} AS TIMESTAMP_MS)"


_HOUR_START = ("CASE WHEN h.h IS NULL THEN CAST(l.start AS TIMESTAMP) "
               "ELSE CAST(l.start AS TIMESTAMP) + to_hours(CAST(h.h AS BIGINT)) END")
_HOUR_END = ('CASE WHEN h.h IS NULL THEN CAST(l."end" AS TIMESTAMP) '
             "ELSE CAST(l.start AS TIMESTAMP) + to_hours(CAST(h.h AS BIGINT) + 1) END")


def _focus_select() -> str:
    start = _HOUR_START
    end = _HOUR_END
    values = {
        "AvailabilityZone": "l.availability_zone",
        "BilledCost": "CAST(s.amount AS DOUBLE)",
        "BillingAccountId": "l.payer",
        "BillingAccountName": "l.payer_name",
        "BillingAccountType": "'Billing Account'",
        "BillingCurrency": "l.currency",
        "BillingPeriodEnd": _ts("l.billing_period_end"),
        "BillingPeriodStart": _ts("l.billing_period"),
        "CapacityReservationId": "NULL",
        "CapacityReservationStatus": "NULL",
        "ChargeCategory": "l.category",
        "ChargeClass": "l.charge_class",
        "ChargeDescription": "l.description",
        "ChargeFrequency": "l.frequency",
        "ChargePeriodEnd": _ts(end),
        "ChargePeriodStart": _ts(start),
        "CommitmentDiscountCategory": "l.commitment_category",
        "CommitmentDiscountId": "l.commitment_id",
        "CommitmentDiscountName": "l.commitment_name",
        "CommitmentDiscountQuantity": "NULL",
        "CommitmentDiscountStatus": "NULL",
        "CommitmentDiscountType": "l.commitment_type",
        "CommitmentDiscountUnit": "NULL",
        "ConsumedQuantity": "CASE WHEN l.category = 'Usage' THEN CAST(s.quantity AS DOUBLE) END",
        "ConsumedUnit": "CASE WHEN l.category = 'Usage' THEN l.unit END",
        "ContractedCost": "CAST(s.contracted_cost AS DOUBLE)",
        "ContractedUnitPrice": "CAST(l.contracted_unit_price AS DOUBLE)",
        "EffectiveCost": "CAST(s.effective_cost AS DOUBLE)",
        "InvoiceId": "l.invoice_id",
        "InvoiceIssuerName": f"'{'Amazon Web Services, Inc.'}'",
        "ListCost": "CAST(s.list_cost AS DOUBLE)",
        "ListUnitPrice": "CAST(l.list_unit_price AS DOUBLE)",
        "PricingCategory": "l.pricing_category",
        "PricingCurrency": "l.currency",
        "PricingCurrencyContractedUnitPrice": "CAST(l.contracted_unit_price AS DOUBLE)",
        "PricingCurrencyEffectiveCost": "CAST(s.effective_cost AS DOUBLE)",
        "PricingCurrencyListUnitPrice": "CAST(l.list_unit_price AS DOUBLE)",
        "PricingQuantity": "CAST(s.quantity AS DOUBLE)",
        "PricingUnit": "l.unit",
        "ProviderName": "'AWS'",
        "PublisherName": "l.publisher",
        "RegionId": "l.region",
        "RegionName": "l.region_name",
        "ResourceId": "l.resource_id",
        "ResourceName": "NULL",
        "ResourceType": "l.resource_type",
        "ServiceCategory": "l.service_category",
        "ServiceName": "l.service",
        "ServiceSubcategory": "l.service_subcategory",
        "SkuId": "l.sku_id",
        "SkuMeter": "l.sku_meter",
        "SkuPriceDetails": "NULL",
        "SkuPriceId": "l.sku_price_id",
        "SubAccountId": "l.account",
        "SubAccountName": "l.account_name",
        "SubAccountType": "'AWS Account'",
        "Tags": "l.tags",
        "x_CostCategories": "MAP {}",
        "x_Discounts": "CASE WHEN l.discounts IS NULL THEN NULL ELSE map_from_entries([{'key': e.key, "
        "'value': CAST(e.value AS DOUBLE) "
        "/ CASE WHEN h.h IS NULL THEN 1 ELSE 24 END} for e in map_entries(l.discounts)]) END",
        "x_Operation": "l.operation",
        "x_ServiceCode": "l.service_code",
        "x_UsageType": "l.usage_type",
    }
    assert set(values) == set(AWS_FOCUS_1_2), set(AWS_FOCUS_1_2) ^ set(values)
    return ", ".join(f'CAST({values[name]} AS {parquet_type(kind)}) AS "{name}"' for name, kind in AWS_FOCUS_1_2.items())


def _cur_select() -> str:
    start = _HOUR_START
    end = _HOUR_END
    rate = "CASE WHEN l.contracted_unit_price IS NOT NULL THEN l.contracted_unit_price END"
    values = {
        "bill_bill_type": "CASE WHEN l.record_type IN ('RIFee', 'SavingsPlanRecurringFee', 'SavingsPlanUpfrontFee') "
        "THEN 'Purchase' ELSE 'Anniversary' END",
        "bill_billing_entity": "CASE WHEN l.cur_type = 'Fee' AND l.publisher <> 'Amazon Web Services, Inc.' "
        "THEN 'AWS Marketplace' ELSE 'AWS' END",
        "bill_billing_period_end_date": _ts("l.billing_period_end"),
        "bill_billing_period_start_date": _ts("l.billing_period"),
        "bill_invoice_id": "l.invoice_id",
        "bill_invoicing_entity": "'Amazon Web Services, Inc.'",
        "bill_payer_account_id": "l.payer",
        "bill_payer_account_name": "l.payer_name",
        "cost_category": "MAP {}",
        "discount": "CASE WHEN l.discounts IS NULL THEN MAP {} ELSE map_from_entries([{'key': e.key, 'value': "
        "CAST(e.value AS DOUBLE) / CASE WHEN h.h IS NULL THEN 1 ELSE 24 END} for e in map_entries(l.discounts)]) END",
        "discount_bundled_discount": "0.0",
        "discount_total_discount": "CAST(s.amount AS DOUBLE) - CAST(s.list_cost AS DOUBLE)",
        "identity_line_item_id": "substr(sha256(l.account || l.service || l.record_type || CAST(l.day AS VARCHAR) || "
        "coalesce(l.usage_type, '') || coalesce(l.region, '') || coalesce(CAST(h.h AS VARCHAR), '')), 1, 26)",
        "identity_time_interval": f"strftime({start}, '%Y-%m-%dT%H:%M:%SZ') || '/' || strftime({end}, '%Y-%m-%dT%H:%M:%SZ')",
        "line_item_availability_zone": "l.availability_zone",
        "line_item_blended_cost": "CAST(s.amount AS DOUBLE)",
        "line_item_blended_rate": rate,
        "line_item_currency_code": "l.currency",
        "line_item_legal_entity": "'Amazon Web Services, Inc.'",
        "line_item_line_item_description": "l.description",
        "line_item_line_item_type": "l.cur_type",
        "line_item_net_unblended_cost": "CAST(s.amount AS DOUBLE)",
        "line_item_net_unblended_rate": rate,
        "line_item_normalization_factor": "CASE WHEN l.instance_type IS NOT NULL THEN 8.0 END",
        "line_item_normalized_usage_amount": "CASE WHEN l.instance_type IS NOT NULL THEN CAST(s.quantity AS DOUBLE) * 8 END",
        "line_item_operation": "l.operation",
        "line_item_product_code": "coalesce(l.service_code, 'Tax')",
        "line_item_resource_id": "l.resource_id",
        "line_item_tax_type": "CASE WHEN l.record_type = 'Tax' THEN 'Sales Tax' END",
        "line_item_unblended_cost": "CAST(s.amount AS DOUBLE)",
        "line_item_unblended_rate": rate,
        "line_item_usage_account_id": "l.account",
        "line_item_usage_account_name": "l.account_name",
        "line_item_usage_amount": "coalesce(CAST(s.quantity AS DOUBLE), 0.0)",
        "line_item_usage_end_date": _ts(end),
        "line_item_usage_start_date": _ts(start),
        "line_item_usage_type": "l.usage_type",
        "pricing_currency": "l.currency",
        "pricing_public_on_demand_cost": "CAST(s.list_cost AS DOUBLE)",
        "pricing_public_on_demand_rate": "l.list_unit_price",
        "pricing_purchase_option": "CASE WHEN l.record_type = 'SavingsPlanUpfrontFee' THEN 'All Upfront' "
        "WHEN l.commitment_id IS NOT NULL THEN 'No Upfront' END",
        "pricing_term": "CASE WHEN l.record_type = 'Usage' THEN 'OnDemand' WHEN l.commitment_id IS NOT NULL THEN 'Reserved' END",
        "pricing_unit": "l.unit",
        "product": "map_from_entries(list_filter([{'key': 'product_name', 'value': l.service}, "
        "{'key': 'region', 'value': l.region}, {'key': 'instance_type', 'value': l.instance_type}], "
        "lambda e: e.value IS NOT NULL))",
        "product_instance_type": "l.instance_type",
        "product_location": "l.region_name",
        "product_product_family": "l.product_family",
        "product_region_code": "l.region",
        "product_servicecode": "l.service_code",
        "reservation_effective_cost": "CASE WHEN l.record_type = 'RIFee' THEN CAST(s.amount AS DOUBLE) ELSE 0.0 END",
        "reservation_reservation_a_r_n": "CASE WHEN l.record_type = 'RIFee' THEN l.commitment_id END",
        "resource_tags": "map_from_entries([{'key': 'user_' || lower(e.key), 'value': e.value} for e in map_entries(l.tags)])",
        "savings_plan_savings_plan_a_r_n": "CASE WHEN l.commitment_type = 'Savings Plan' THEN l.commitment_id END",
        "savings_plan_savings_plan_effective_cost": "0.0",
    }
    assert set(values) == set(CUR_2_0), set(CUR_2_0) ^ set(values)
    return ", ".join(f'CAST({values[name]} AS {parquet_type(kind)}) AS "{name}"' for name, kind in CUR_2_0.items())


def _manifest_type(glue_type: str) -> str:
    return "map" if glue_type.startswith("map") else {DOUBLE: "double", TIMESTAMP: "timestamp"}.get(glue_type, "string")


def write_export(
    lines: list[dict[str, Any]],
    directory: Path,
    name: str,
    kind: str,
    snapshots: list[Snapshot],
    bucket: str = DEFAULT_BUCKET,
    prefix: str = "",
    hourly: bool = True,
) -> LocalExport:
    """Write `lines` as the export `name` (FOCUS or CUR) under `directory`/<name>/, one folder per
    snapshot, a manifest per billing period naming its latest snapshot. Returns the LocalExport.

    `hourly`: lines marked hourly are split into 24 hourly rows (an export with HOURLY granularity);
    False writes them as daily rows (a CUR 2.0 export's DAILY granularity)."""
    import duckdb

    root = directory / name
    columns = AWS_FOCUS_1_2 if kind == FOCUS else CUR_2_0
    select = _focus_select() if kind == FOCUS else _cur_select()
    s3_root = f"s3://{bucket}/{prefix}{name}/"
    con = duckdb.connect(config={"threads": 1})  # one thread: the same bytes on every run
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch) / "lines.json"
        with source.open("w", encoding="utf-8") as handle:
            for line in lines:
                handle.write(json.dumps(line, separators=(",", ":"), sort_keys=True) + "\n")
        types = {key: _LINE_TYPES.get(key, "VARCHAR") for key in lines[0]}
        con.execute(
            f"CREATE TABLE lines AS SELECT * FROM read_json('{source}', format = 'newline_delimited', "
            f"columns = {json.dumps(types)})"
        )
        latest: dict[date, Snapshot] = {}
        for snapshot in sorted(snapshots, key=lambda s: s.refreshed):
            latest[snapshot.billing_period] = snapshot
        for snapshot in snapshots:
            period = f"{snapshot.billing_period:%Y-%m}"
            folder = root / "data" / f"BILLING_PERIOD={period}" / snapshot.folder
            folder.mkdir(parents=True, exist_ok=True)
            scale = f"* {snapshot.scale}" if snapshot.scale else ""
            scaled = ", ".join(
                f"CAST(CAST({c} AS DECIMAL(38, 10)) {scale if c in _SCALED else ''} AS DECIMAL(38, 10)) AS {c}"
                for c in _AMOUNTS
            )
            condition = f"l.billing_period = DATE '{snapshot.billing_period}'"
            if snapshot.until:
                condition += f" AND l.day < DATE '{snapshot.until}'"
            con.execute(f"""CREATE OR REPLACE TEMP TABLE rows AS
                SELECT {select} FROM (SELECT * EXCLUDE ({", ".join(_AMOUNTS)}), {scaled} FROM lines) AS l
                LEFT JOIN range(24) AS h(h) ON l.hourly AND {str(hourly).lower()}
                CROSS JOIN LATERAL (SELECT {", ".join(f"{_split(c)} AS {c}" for c in _AMOUNTS)}) AS s
                WHERE {condition}
                ORDER BY l.day, l.account, l.service, l.record_type, l.usage_type, l.region, h.h""")
            total = con.execute("SELECT count(*) FROM rows").fetchone()[0]
            chunks = max(1, -(-total // PARQUET_ROWS_PER_FILE))
            files = []
            for chunk in range(chunks):
                path = folder / f"{name}-{chunk + 1:05d}.snappy.parquet"
                con.execute(
                    f"COPY (SELECT * FROM rows LIMIT {PARQUET_ROWS_PER_FILE} OFFSET {chunk * PARQUET_ROWS_PER_FILE}) "
                    f"TO '{path}' (FORMAT PARQUET, COMPRESSION SNAPPY, ROW_GROUP_SIZE 20000)"
                )
                files.append(f"{s3_root}data/BILLING_PERIOD={period}/{snapshot.folder}/{path.name}")
            if latest[snapshot.billing_period] is snapshot:
                following = (snapshot.billing_period.replace(day=28) + timedelta(days=4)).replace(day=1)
                manifest = {
                    "executionId": snapshot.execution_id,
                    "exportArn": f"arn:aws:bcm-data-exports:us-east-1:998877665544:export/{name}-{_execution_id(name, 'export')}",
                    "billingPeriod": {
                        "start": f"{snapshot.billing_period:%Y-%m-%d}T00:00:00.000Z",
                        "end": f"{following:%Y-%m-%d}T00:00:00.000Z",
                    },
                    "columns": [{"name": column, "type": _manifest_type(kind_)} for column, kind_ in columns.items()],
                    "dataFiles": files,
                    "additionalOutputFiles": [],
                }
                metadata = root / "metadata" / f"BILLING_PERIOD={period}"
                metadata.mkdir(parents=True, exist_ok=True)
                (metadata / f"{name}-Manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    con.close()
    return LocalExport(
        name=name,
        format=kind,
        source=root,
        bucket=bucket,
        prefix=prefix,
        periods=sorted({f"{s.billing_period:%Y-%m}" for s in snapshots}),
    )

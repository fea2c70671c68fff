"""`python -m local run --costs FILE`: a cost file of any of three formats, recognised by its columns.

- Cost Explorer CSV (`date,account_id,service,amount[,record_type,...]`, local/aws/cost_explorer/data.py):
  the local Cost Explorer answers from it, as before.
- FOCUS 1.x (1.0 or 1.2, any provider): CSV, gzipped CSV or Parquet holding at least
  FOCUS_REQUIRED (columns.py): BilledCost, BillingCurrency, BillingPeriodStart, ChargeCategory,
  ChargePeriodStart, ChargePeriodEnd, ProviderName, ServiceName, SubAccountId.
- CUR 2.0: CSV, gzipped CSV or Parquet holding at least CUR_REQUIRED: bill_billing_period_start_date,
  line_item_currency_code, line_item_line_item_type, line_item_product_code, line_item_unblended_cost,
  line_item_usage_account_id, line_item_usage_start_date.

A file that has a format's signature columns but lacks some required ones is refused naming them.
A FOCUS or CUR file is laid out as an AWS Data Exports export (Parquet, one folder per billing
period, one snapshot, a manifest: layout.py) for the local S3, and its AWS rows (12-digit accounts)
feed the local Cost Explorer, summed per UTC day, account, service, record type (charges.py's
mapping), region, usage type and tags, so a client on Cost Explorer sees the same data.

    costs = read_costs(Path("focus.parquet"))     # a CostData; .exports lists the export to seed
"""

from __future__ import annotations

import atexit
import errno
import gzip
import json
import re
import shutil
import tempfile
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from local.aws.cost_explorer.data import REQUIRED_COLUMNS as CE_REQUIRED, CostData, CostRow
from local.aws.exports.charges import record_type_of_cur, record_type_of_focus
from local.aws.exports.columns import (
    AWS_FOCUS_1_2,
    CUR_2_0,
    CUR_REQUIRED,
    CUR_SIGNATURE,
    DOUBLE,
    FOCUS_REQUIRED,
    FOCUS_SIGNATURE,
    STRING,
    TIMESTAMP,
    parquet_type,
)
from local.aws.exports.layout import CUR, FOCUS, LocalExport, _execution_id

DEFAULT_FOCUS_EXPORT = "cost-reporter-focus"
DEFAULT_CUR_EXPORT = "cost-reporter-cur2"
_ACCOUNT = re.compile(r"^\d{12}$")
_PLACES = Decimal("1e-10")


class ExportCostData(CostData):
    """The Cost Explorer rows of an export file, with the export laid out for the local S3."""

    def __init__(self, rows: Any, exports: list[LocalExport], source_format: str):
        super().__init__(rows)
        self.exports = exports
        self.source_format = source_format


def _kind(path: Path) -> str:
    head = path.open("rb").read(4)
    if head == b"PAR1":
        return "parquet"
    if head[:2] == b"\x1f\x8b":
        return "csv.gz"
    return "csv"


def _header(path: Path, kind: str) -> list[str]:
    import duckdb

    if kind == "parquet":
        return [row[0] for row in duckdb.connect().execute(f"DESCRIBE SELECT * FROM read_parquet('{_q(path)}')").fetchall()]
    opener = gzip.open if kind == "csv.gz" else open
    with opener(path, "rt", encoding="utf-8-sig", newline="") as handle:
        import csv

        return [h.strip() for h in next(csv.reader(handle), [])]


def _q(path: Path) -> str:
    return str(path).replace("'", "''")


def _missing(header: list[str], required: tuple[str, ...]) -> list[str]:
    present = {h.lower() for h in header}
    return [c for c in required if c.lower() not in present]


def read_costs(path: Path) -> CostData:
    """The cost file as the local AWS reads it; ValueError naming the file and what is wrong."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(errno.ENOENT, "no such file", str(path))  # the caller names the option and path
    kind = _kind(path)
    header = _header(path, kind)
    lower = {h.lower() for h in header}
    if kind == "csv" and {c.lower() for c in CE_REQUIRED} <= lower:
        return CostData.from_csv(path)
    if lower & {c.lower() for c in FOCUS_SIGNATURE}:
        missing = _missing(header, FOCUS_REQUIRED)
        if missing:
            raise ValueError(f"{path}: a FOCUS file needs the columns {', '.join(FOCUS_REQUIRED)}; missing: {', '.join(missing)}")
        return _read_export(path, kind, header, FOCUS)
    if lower & {c.lower() for c in CUR_SIGNATURE}:
        missing = _missing(header, CUR_REQUIRED)
        if missing:
            raise ValueError(f"{path}: a CUR 2.0 file needs the columns {', '.join(CUR_REQUIRED)}; missing: {', '.join(missing)}")
        return _read_export(path, kind, header, CUR)
    raise ValueError(
        f"{path}: not a cost file this tool reads. Expected a Cost Explorer CSV ({', '.join(CE_REQUIRED)}), "
        f"a FOCUS 1.x file ({', '.join(FOCUS_REQUIRED)}) or a CUR 2.0 file ({', '.join(CUR_REQUIRED)}); "
        f"its columns: {', '.join(header[:12]) or 'none'}{' ...' if len(header) > 12 else ''}"
    )


# ---- typed rows ------------------------------------------------------------------------------------------


def _typed(con: Any, path: Path, kind: str, header: list[str], known: dict[str, str]) -> None:
    """Table `src` with the file's columns, known ones under their canonical names and types."""
    if kind == "parquet":
        con.execute(f"CREATE TABLE raw AS SELECT * FROM read_parquet('{_q(path)}')")
    else:
        con.execute(
            f"CREATE TABLE raw AS SELECT * FROM read_csv('{_q(path)}', header = true, all_varchar = true, "
            "auto_detect = true, compression = 'auto')"
        )
    described = {row[0]: row[1] for row in con.execute("DESCRIBE raw").fetchall()}
    canonical = {name.lower(): name for name in known}
    selects, checks = [], []
    for column, actual in described.items():
        name = canonical.get(column.lower(), column)
        target = known.get(name)
        source = f'"{column}"'
        if target is None or actual.upper() != "VARCHAR":
            expression = source if target is None else f"CAST({source} AS {parquet_type(target)})"
        else:
            blank = f"(trim({source}) = '' OR upper(trim({source})) = 'NULL')"
            if target == STRING:
                expression = source
            elif target == DOUBLE:
                expression = f"CASE WHEN {blank} THEN NULL ELSE TRY_CAST(trim({source}) AS DOUBLE) END"
            elif target == TIMESTAMP:
                expression = (
                    f"CASE WHEN {blank} THEN NULL ELSE TRY_CAST(replace(replace(trim({source}), 'T', ' '), 'Z', '') "
                    "AS TIMESTAMP) END"
                )
            else:  # a map written as JSON text ({"env": "prod"})
                expression = f"CASE WHEN {blank} THEN NULL ELSE TRY(CAST(CAST({source} AS JSON) AS {parquet_type(target)})) END"
            if target != STRING:
                checks.append((name, source, blank, expression))
        selects.append(f'{expression} AS "{name}"')
    for name, source, blank, expression in checks:
        bad = con.execute(
            f"SELECT line, value FROM (SELECT row_number() OVER () + 1 AS line, {source} AS value, "
            f"{blank} AS blank, {expression} AS parsed FROM raw) WHERE NOT blank AND parsed IS NULL "
            "ORDER BY line LIMIT 1"
        ).fetchone()
        if bad:
            raise ValueError(
                f"{path}, line {bad[0]}, column {name!r}: cannot be read as "
                f"{'a number' if known[name] == DOUBLE else 'a timestamp' if known[name] == TIMESTAMP else 'a JSON object'} "
                f"(got {bad[1]!r})"
            )
    con.execute(f"CREATE TABLE src AS SELECT {', '.join(selects)} FROM raw")


# ---- the export layout ---------------------------------------------------------------------------------------


def _read_export(path: Path, kind: str, header: list[str], family: str) -> ExportCostData:
    import duckdb

    con = duckdb.connect(config={"threads": 2})
    con.execute("SET TimeZone = 'UTC'")
    known = AWS_FOCUS_1_2 if family == FOCUS else CUR_2_0
    _typed(con, path, kind, header, known)
    period_column = "BillingPeriodStart" if family == FOCUS else "bill_billing_period_start_date"
    cost_column = "BilledCost" if family == FOCUS else "line_item_unblended_cost"
    nulls = con.execute(
        f'SELECT count(*) FILTER (WHERE "{period_column}" IS NULL), count(*) FILTER (WHERE "{cost_column}" IS NULL) FROM src'
    ).fetchone()
    if nulls[0] or nulls[1]:
        column = period_column if nulls[0] else cost_column
        raise ValueError(f"{path}: column {column!r} is empty on {nulls[0] or nulls[1]} rows (every row needs it)")
    # FOCUS 1.2 added (among others) InvoiceId and ServiceSubcategory: a file without them is FOCUS 1.0.
    version = (
        family
        if family == CUR
        else ("focus-1.2" if {c.lower() for c in header} >= {"invoiceid", "servicesubcategory"} else "focus-1.0")
    )
    name = DEFAULT_FOCUS_EXPORT if family == FOCUS else DEFAULT_CUR_EXPORT
    root = Path(tempfile.mkdtemp(prefix="local-export-")) / name
    atexit.register(shutil.rmtree, root.parent, True)
    prefix = "focus/" if family == FOCUS else "cur2/"
    export = LocalExport(name=name, format=version, source=root, prefix=prefix)
    refreshed = datetime.now(UTC).replace(microsecond=0, tzinfo=None)
    periods = [
        row[0] for row in con.execute(f"SELECT DISTINCT strftime(\"{period_column}\", '%Y-%m') FROM src ORDER BY 1").fetchall()
    ]
    described = con.execute("DESCRIBE src").fetchall()
    for period in periods:
        execution = _execution_id(path.resolve(), period, refreshed.isoformat())
        snapshot = f"{refreshed:%Y%m%dT%H%M%SZ}-{execution}"
        folder = root / "data" / f"BILLING_PERIOD={period}" / snapshot
        folder.mkdir(parents=True)
        file = folder / f"{name}-00001.snappy.parquet"
        con.execute(
            f"COPY (SELECT * FROM src WHERE strftime(\"{period_column}\", '%Y-%m') = '{period}') TO '{_q(file)}' "
            "(FORMAT PARQUET, COMPRESSION SNAPPY)"
        )
        start = datetime.strptime(period, "%Y-%m")
        end = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
        manifest = {
            "executionId": execution,
            "exportArn": f"arn:aws:bcm-data-exports:us-east-1:000000000000:export/{name}-{_execution_id(path.resolve())}",
            "billingPeriod": {"start": f"{start:%Y-%m-%d}T00:00:00.000Z", "end": f"{end:%Y-%m-%d}T00:00:00.000Z"},
            "columns": [{"name": column, "type": _manifest_type(kind_)} for column, kind_, *_ in described],
            "dataFiles": [f"{export.s3_uri}data/BILLING_PERIOD={period}/{snapshot}/{file.name}"],
            "additionalOutputFiles": [],
        }
        metadata = root / "metadata" / f"BILLING_PERIOD={period}"
        metadata.mkdir(parents=True)
        (metadata / f"{name}-Manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    export.periods = periods
    rows = _focus_cost_rows(con) if family == FOCUS else _cur_cost_rows(con)
    con.close()
    return ExportCostData(rows, [export], version)


def _manifest_type(duck_type: str) -> str:
    text = duck_type.upper()
    if text.startswith("MAP"):
        return "map"
    if text.startswith("TIMESTAMP"):
        return "timestamp"
    if text in ("DOUBLE", "FLOAT") or text.startswith("DECIMAL"):
        return "double"
    return "string"


# ---- Cost Explorer rows ----------------------------------------------------------------------------------------


def _optional(con: Any, name: str, fallback: str = "NULL") -> str:
    columns = {row[0] for row in con.execute("DESCRIBE src").fetchall()}
    return f'"{name}"' if name in columns else fallback


def _rows(con: Any, select: str, record_types: dict[tuple, str], key_columns: list[str]) -> list[CostRow]:
    sums: dict[tuple, Decimal] = defaultdict(Decimal)
    for day, account, service, currency, region, usage_type, tags, amount, *keys in con.execute(select).fetchall():
        record_type = record_types[tuple(keys)]
        tag_pairs = tuple(sorted((k, v) for k, v in json.loads(tags or "{}").items() if k and isinstance(v, str)))
        key = (
            day,
            account,
            service or "Unknown",
            record_type,
            currency or "USD",
            region or "global",
            usage_type or "NoUsageType",
            tag_pairs,
        )
        sums[key] += Decimal(str(amount))
    return [
        CostRow(
            day,
            account,
            service,
            amount.quantize(_PLACES).normalize() if amount else Decimal(0),
            record_type,
            currency,
            region,
            usage_type,
            Decimal(0),
            "N/A",
            tags,
        )
        for (day, account, service, record_type, currency, region, usage_type, tags), amount in sorted(sums.items())
    ]


def _focus_cost_rows(con: Any) -> list[CostRow]:
    keys = [
        _optional(con, "ChargeCategory"),
        _optional(con, "ChargeClass"),
        _optional(con, "ChargeFrequency"),
        _optional(con, "x_ServiceCode"),
        _optional(con, "CommitmentDiscountType"),
    ]
    record_types = {
        combo: record_type_of_focus(*combo) for combo in con.execute(f"SELECT DISTINCT {', '.join(keys)} FROM src").fetchall()
    }
    tags = _optional(con, "Tags")
    select = (
        f'SELECT CAST("ChargePeriodStart" AS DATE), "SubAccountId", "ServiceName", "BillingCurrency", '
        f"{_optional(con, 'RegionId')}, {_optional(con, 'x_UsageType')}, "
        f"CASE WHEN {tags} IS NULL THEN NULL ELSE to_json({tags})::VARCHAR END, "
        f'sum(CAST("BilledCost" AS DECIMAL(38, 10))), {", ".join(keys)} FROM src '
        "WHERE regexp_matches(\"SubAccountId\", '^[0-9]{12}$') AND upper(\"ProviderName\") IN ('AWS', 'AMAZON WEB SERVICES') "
        "GROUP BY ALL"
    )
    return _rows(con, select, record_types, keys)


def _cur_cost_rows(con: Any) -> list[CostRow]:
    keys = ['"line_item_line_item_type"', '"line_item_product_code"']
    record_types = {
        combo: record_type_of_cur(*combo) for combo in con.execute(f"SELECT DISTINCT {', '.join(keys)} FROM src").fetchall()
    }
    product = _optional(con, "product")
    service = (
        f"coalesce(element_at({product}, 'product_name')[1], \"line_item_product_code\")"
        if product != "NULL"
        else '"line_item_product_code"'
    )
    tags = _optional(con, "resource_tags")
    tag_json = (
        (
            f"CASE WHEN {tags} IS NULL THEN NULL ELSE to_json(map_from_entries([{{'key': regexp_replace(e.key, '^user_', ''), "
            f"'value': e.value}} for e in map_entries({tags})]))::VARCHAR END"
        )
        if tags != "NULL"
        else "NULL"
    )
    select = (
        f'SELECT CAST("line_item_usage_start_date" AS DATE), "line_item_usage_account_id", {service}, '
        f'"line_item_currency_code", {_optional(con, "product_region_code")}, {_optional(con, "line_item_usage_type")}, '
        f'{tag_json}, sum(CAST("line_item_unblended_cost" AS DECIMAL(38, 10))), {", ".join(keys)} FROM src '
        "WHERE regexp_matches(\"line_item_usage_account_id\", '^[0-9]{12}$') GROUP BY ALL"
    )
    return _rows(con, select, record_types, keys)

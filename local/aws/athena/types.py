"""Types and values as Athena has them.

- Glue column types (Hive's: `string`, `double`, `decimal(38,10)`, `timestamp`, `map<string,string>`,
  `array<struct<a:int>>`, ...) to the DuckDB type a table's view casts each column to.
- A DuckDB result column to Athena's ColumnInfo (Trino's type names: varchar, bigint, double, decimal,
  timestamp, array, map, row, ...) with the Precision and Scale Athena reports.
- A value to the text Athena writes in its result CSV and returns as VarCharValue: Trino's rendering
  (doubles as Java writes them, "1.0E-5"; timestamps with milliseconds, "2026-11-01 00:00:00.000";
  maps "{k=v}", arrays "[a, b]", rows "{x=1, y=a}"). NULL has no text (None).
"""

from __future__ import annotations

import math
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from local.aws.athena.errors import QueryFailure

_SCALARS = {
    "string": "VARCHAR",
    "varchar": "VARCHAR",
    "char": "VARCHAR",
    "double": "DOUBLE",
    "float": "FLOAT",
    "real": "FLOAT",
    "int": "INTEGER",
    "integer": "INTEGER",
    "bigint": "BIGINT",
    "smallint": "SMALLINT",
    "tinyint": "TINYINT",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "binary": "BLOB",
}


def _split_top(text: str, separator: str = ",") -> list[str]:
    parts, depth, current = [], 0, []
    for char in text:
        if char in "<(":
            depth += 1
        elif char in ">)":
            depth -= 1
        if char == separator and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    parts.append("".join(current).strip())
    return [p for p in parts if p]


def duckdb_type(hive: str, column: str = "") -> str:
    """The DuckDB type of a Glue column type; QueryFailure for a type Athena would not read."""
    text = hive.strip()
    lower = text.lower()
    try:
        if lower.startswith("array<") and lower.endswith(">"):
            return f"{duckdb_type(text[6:-1], column)}[]"
        if lower.startswith("map<") and lower.endswith(">"):
            key, value = _split_top(text[4:-1])
            return f"MAP({duckdb_type(key, column)}, {duckdb_type(value, column)})"
        if lower.startswith("struct<") and lower.endswith(">"):
            fields = []
            for member in _split_top(text[7:-1]):
                name, _, member_type = member.partition(":")
                fields.append(f'"{name.strip()}" {duckdb_type(member_type, column)}')
            return f"STRUCT({', '.join(fields)})"
        if lower.startswith("decimal"):
            if "(" in lower:
                precision, scale = (int(x) for x in lower[lower.index("(") + 1 : lower.rindex(")")].split(","))
                return f"DECIMAL({precision}, {scale})"
            return "DECIMAL(10, 0)"  # Hive's default decimal
        base = lower.split("(", 1)[0].strip()
        if base in _SCALARS:
            return _SCALARS[base]
    except ValueError:
        pass
    raise QueryFailure("HIVE_INVALID_METADATA", f"Column {column!r} has a type Athena cannot read: {hive!r}")


def athena_column(name: str, duck_type: Any) -> dict[str, Any]:
    """ColumnInfo for a DuckDB result column (Athena's names and precisions)."""
    text = str(duck_type).upper()
    info: dict[str, Any] = {"CatalogName": "hive", "SchemaName": "", "TableName": "", "Name": name, "Label": name}
    precision, scale, case_sensitive = 0, 0, False
    if text.startswith("DECIMAL"):
        kind = "decimal"
        precision, scale = (int(x) for x in text[text.index("(") + 1 : text.rindex(")")].split(","))
    elif text.endswith("[]") or text.startswith(("LIST", "ARRAY")):
        kind = "array"
    elif text.startswith("MAP"):
        kind = "map"
    elif text.startswith("STRUCT"):
        kind = "row"
    elif text in ("VARCHAR", "TEXT", "STRING", '"NULL"', "NULL"):
        kind, precision, case_sensitive = "varchar", 2147483647, True
    elif text in ("BIGINT", "HUGEINT", "UBIGINT", "UHUGEINT"):
        kind, precision = "bigint", 19
    elif text in ("INTEGER", "UINTEGER"):
        kind, precision = "integer", 10
    elif text in ("SMALLINT", "USMALLINT"):
        kind, precision = "smallint", 5
    elif text in ("TINYINT", "UTINYINT"):
        kind, precision = "tinyint", 3
    elif text == "DOUBLE":
        kind, precision = "double", 17
    elif text == "FLOAT":
        kind, precision = "real", 17
    elif text == "BOOLEAN":
        kind = "boolean"
    elif text == "DATE":
        kind = "date"
    elif text in ("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ"):
        kind, precision = "timestamp with time zone", 3
    elif text.startswith("TIMESTAMP"):
        kind, precision = "timestamp", 3
    elif text.startswith("TIME"):
        kind, precision = "time", 3
    elif text == "BLOB":
        kind = "varbinary"
    elif text == "INTERVAL":
        kind = "interval day to second"
    elif text == "UUID":
        kind = "uuid"
    elif text == "JSON":
        kind = "json"
    else:
        kind = text.lower()
    info.update({"Type": kind, "Precision": precision, "Scale": scale, "Nullable": "UNKNOWN", "CaseSensitive": case_sensitive})
    return info


def java_double(value: float) -> str:
    """A double as Java's Double.toString writes it (Trino's rendering): plain between 1e-3 and 1e7,
    "1.2345E7" / "1.0E-5" outside; always a fractional digit."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    magnitude = abs(value)
    if 1e-3 <= magnitude < 1e7:
        text = repr(value)
        if "e" in text or "E" in text:  # repr uses exponents below 1e-4: write it out
            text = format(Decimal(text), "f")
        return text if "." in text else text + ".0"
    mantissa = Decimal(repr(value)).normalize()  # the shortest digits that read back as the same double
    sign, digit_tuple, exp = mantissa.as_tuple()
    digits = "".join(map(str, digit_tuple))
    power = len(digits) - 1 + exp
    head, tail = digits[0], digits[1:] or "0"
    return f"{'-' if sign else ''}{head}.{tail}E{power}"


def _inner(value: Any) -> str:
    """A value inside an array, map or row (no quotes; NULL reads "null")."""
    if value is None:
        return "null"
    return render(value)


def render(value: Any) -> str | None:
    """The text Athena writes for a value (None for NULL)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return java_double(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        text = value.strftime("%Y-%m-%d %H:%M:%S") + f".{value.microsecond // 1000:03d}"
        if value.tzinfo is not None:
            text += f" {value.tzname() or 'UTC'}"
        return text
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M:%S") + f".{value.microsecond // 1000:03d}"
    if isinstance(value, (bytes, bytearray)):
        return " ".join(f"{b:02x}" for b in value)
    if isinstance(value, list):
        return "[" + ", ".join(_inner(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_inner(k)}={_inner(v)}" for k, v in value.items()) + "}"
    return str(value)

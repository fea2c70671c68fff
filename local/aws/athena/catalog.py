"""A table as Athena reads it: its definition from the Glue catalog and its files in S3.

The definition comes from Glue's GetTable (moto's Glue, as deployed): StorageDescriptor.Location,
Columns, PartitionKeys, SerdeInfo/InputFormat (Parquet; CSV by OpenCSVSerde or LazySimpleSerDe,
gzip-compressed or not; JSON), and the table Parameters, among them partition projection:

    projection.enabled = true
    projection.<column>.type = date | enum | integer | injected
    projection.<column>.range = 2024-01,NOW         (date: format values or NOW[+-]N<UNIT>; integer: a,b)
    projection.<column>.format = yyyy-MM            (date: Java DateTimeFormatter letters yyyy MM dd HH mm ss)
    projection.<column>.interval = 1                (date, integer)
    projection.<column>.interval.unit = MONTHS      (date; default: the format's finest field)
    projection.<column>.values = a,b,c              (enum)
    projection.<column>.digits = 2                  (integer: zero-padded)
    storage.location.template = s3://bucket/prefix/BILLING_PERIOD=${billing_period}/

Without projection, a partitioned table's partitions are the ones registered in Glue (GetPartitions).
A table's (or partition's) files are every object under its location, subfolders included, except
names starting with "_" or "." (as Athena skips them).

The emulator reads Glue and S3 through a boto3 session of its own: its calls answer the emulator,
not the product, so they are neither metered nor hooked.
"""

from __future__ import annotations

import calendar
import itertools
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from local.aws.athena.errors import QueryFailure, table_not_found

PARQUET, CSV, TEXT, JSON = "parquet", "csv", "text", "json"
MAX_PROJECTED_PARTITIONS = 1_000_000


@dataclass(frozen=True)
class DataFile:
    bucket: str
    key: str
    size: int
    etag: str
    partition: tuple[tuple[str, str], ...] = ()  # (partition column, value as text)

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


def split_s3_uri(uri: str) -> tuple[str, str]:
    match = re.fullmatch(r"s3a?n?://([^/]+)/?(.*)", uri.strip())
    if not match:
        raise QueryFailure("HIVE_METASTORE_ERROR", f"Not an S3 location: {uri!r}")
    return match.group(1), match.group(2)


class Storage:
    """Glue, S3 and Athena workgroups of the local AWS, through a session of the emulator's own."""

    def __init__(self, region: str):
        self.region = region
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def client(self, service: str) -> Any:
        with self._lock:
            if service not in self._clients:
                import boto3
                import botocore.session

                core = botocore.session.get_session()
                default = boto3.DEFAULT_SESSION
                if default is not None:  # share the parsed service models (a client is built in ms, not s)
                    core.register_component("data_loader", default._session.get_component("data_loader"))
                self._clients[service] = boto3.session.Session(botocore_session=core, region_name=self.region).client(service)
            return self._clients[service]

    def list(self, bucket: str, prefix: str) -> list[tuple[str, int, str]]:
        """(key, size, etag) of every object under the prefix."""
        found: list[tuple[str, int, str]] = []
        paginator = self.client("s3").get_paginator("list_objects_v2")
        try:
            for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
                found += [(o["Key"], int(o["Size"]), str(o.get("ETag", ""))) for o in page.get("Contents", [])]
        except self.client("s3").exceptions.NoSuchBucket:
            raise QueryFailure("HIVE_FILESYSTEM_ERROR", f"The bucket {bucket} does not exist") from None
        return found

    def get(self, bucket: str, key: str) -> bytes:
        return self.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()

    def put(self, bucket: str, key: str, body: bytes, content_type: str = "binary/octet-stream") -> None:
        self.client("s3").put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type)

    def head(self, bucket: str, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client("s3").head_object(Bucket=bucket, Key=key)
            return True
        except ClientError:
            return False

    def glue_table(self, database: str, name: str) -> dict[str, Any] | None:
        glue = self.client("glue")
        try:
            return glue.get_table(DatabaseName=database, Name=name)["Table"]
        except glue.exceptions.EntityNotFoundException:
            return None

    def glue_partitions(self, database: str, name: str) -> list[dict[str, Any]]:
        partitions: list[dict[str, Any]] = []
        for page in self.client("glue").get_paginator("get_partitions").paginate(DatabaseName=database, TableName=name):
            partitions += page.get("Partitions", [])
        return partitions


# ---- partition projection -----------------------------------------------------------------------------

_UNITS = {
    "YEARS": "years",
    "MONTHS": "months",
    "WEEKS": "weeks",
    "DAYS": "days",
    "HOURS": "hours",
    "MINUTES": "minutes",
    "SECONDS": "seconds",
}
_JAVA_FIELDS = [
    ("yyyy", "%Y", "YEARS"),
    ("MM", "%m", "MONTHS"),
    ("dd", "%d", "DAYS"),
    ("HH", "%H", "HOURS"),
    ("mm", "%M", "MINUTES"),
    ("ss", "%S", "SECONDS"),
]


def _strftime_pattern(java: str) -> tuple[str, str]:
    """(strftime pattern, finest unit) of a Java date format of the letters Athena's docs use."""
    out, finest, i = [], "DAYS", 0
    order = [unit for _, _, unit in _JAVA_FIELDS]
    seen: list[str] = []
    while i < len(java):
        for letters, directive, unit in _JAVA_FIELDS:
            if java.startswith(letters, i):
                out.append(directive)
                seen.append(unit)
                i += len(letters)
                break
        else:
            if java[i] == "'":
                end = java.index("'", i + 1)
                out.append(java[i + 1 : end].replace("%", "%%"))
                i = end + 1
            elif java[i].isalpha():
                raise QueryFailure("HIVE_INVALID_METADATA", f"Unsupported date format letter {java[i]!r} in {java!r}")
            else:
                out.append(java[i].replace("%", "%%"))
                i += 1
    if seen:
        finest = max(seen, key=order.index)
    return "".join(out), finest


def _shift(moment: datetime, amount: int, unit: str) -> datetime:
    if unit in ("YEARS", "MONTHS"):
        months = moment.month - 1 + amount * (12 if unit == "YEARS" else 1)
        year, month = moment.year + months // 12, months % 12 + 1
        return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))
    return moment + timedelta(**{_UNITS[unit]: amount})


@dataclass
class Projection:
    column: str
    kind: str
    params: dict[str, str]

    def values(self, now: datetime) -> list[str]:
        if self.kind == "enum":
            values = [v.strip() for v in self.params.get("values", "").split(",") if v.strip()]
            if not values:
                raise self._bad("values")
            return values
        if self.kind == "integer":
            low, high = (int(x) for x in self._range())
            step = int(self.params.get("interval", "1"))
            digits = int(self.params.get("digits", "0") or 0)
            return [str(v).zfill(digits) for v in range(low, high + 1, max(step, 1))]
        if self.kind == "date":
            pattern, finest = _strftime_pattern(self.params.get("format") or self._missing("format"))
            unit = (self.params.get("interval.unit") or finest).upper()
            if unit not in _UNITS:
                raise self._bad("interval.unit")
            step = int(self.params.get("interval", "1"))
            start, end = (self._moment(x, pattern, now) for x in self._range())
            values, moment = [], start
            while moment <= end:
                values.append(moment.strftime(pattern))
                if len(values) > MAX_PROJECTED_PARTITIONS:
                    raise QueryFailure(
                        "HIVE_EXCEEDED_PARTITION_LIMIT",
                        f"Partition projection of {self.column} yields more than {MAX_PROJECTED_PARTITIONS} partitions",
                    )
                moment = _shift(moment, step, unit)
            return values
        raise QueryFailure("HIVE_INVALID_METADATA", f"Unsupported projection type {self.kind!r} for column {self.column}")

    def _range(self) -> list[str]:
        parts = [p.strip() for p in (self.params.get("range") or self._missing("range")).split(",")]
        if len(parts) != 2:
            raise self._bad("range")
        return parts

    def _moment(self, text: str, pattern: str, now: datetime) -> datetime:
        relative = re.fullmatch(r"NOW(?:\s*([+-])\s*(\d+)\s*([A-Z]+))?", text.strip().upper())
        if relative:
            moment = now
            if relative.group(1):
                unit = relative.group(3) if relative.group(3).endswith("S") else relative.group(3) + "S"
                if unit not in _UNITS:
                    raise self._bad("range")
                moment = _shift(now, int(relative.group(2)) * (1 if relative.group(1) == "+" else -1), unit)
            return moment.replace(tzinfo=None)
        try:
            return datetime.strptime(text, pattern)
        except ValueError:
            raise self._bad("range") from None

    def _missing(self, name: str) -> str:
        raise QueryFailure(
            "HIVE_INVALID_METADATA", f"Partition projection for column {self.column} needs projection.{self.column}.{name}"
        )

    def _bad(self, name: str) -> QueryFailure:
        return QueryFailure("HIVE_INVALID_METADATA", f"Invalid projection.{self.column}.{name}: {self.params.get(name)!r}")


# ---- the table ---------------------------------------------------------------------------------------


@dataclass
class Table:
    database: str
    name: str
    location: str
    columns: list[tuple[str, str]]  # (lower-case name, Glue type)
    partition_keys: list[tuple[str, str]]
    format: str
    serde: dict[str, str] = field(default_factory=dict)
    parameters: dict[str, str] = field(default_factory=dict)

    @property
    def qualified(self) -> str:
        return f"awsdatacatalog.{self.database}.{self.name}"

    @property
    def partition_names(self) -> list[str]:
        return [name for name, _ in self.partition_keys]

    @property
    def projected(self) -> bool:
        return self.parameters.get("projection.enabled", "").lower() == "true"

    def projections(self) -> dict[str, Projection]:
        found = {}
        for name in self.partition_names:
            kind = self.parameters.get(f"projection.{name}.type")
            if not kind:
                raise QueryFailure(
                    "HIVE_INVALID_METADATA",
                    f"Partition projection is enabled for {self.qualified} but projection.{name}.type is missing",
                )
            prefix = f"projection.{name}."
            found[name] = Projection(
                name, kind.lower(), {k[len(prefix) :]: v for k, v in self.parameters.items() if k.startswith(prefix)}
            )
        return found

    @property
    def header_lines(self) -> int:
        return int(self.parameters.get("skip.header.line.count") or self.serde.get("skip.header.line.count") or 0)

    def partition_location(self, values: dict[str, str]) -> str:
        template = self.parameters.get("storage.location.template")
        if template:
            location = template
            for name, value in values.items():
                location = location.replace("${" + name + "}", value)
            return location
        return self.location.rstrip("/") + "/" + "/".join(f"{n}={values[n]}" for n in self.partition_names)


def load_table(storage: Storage, database: str, name: str, line: int | None = None, col: int | None = None) -> Table:
    definition = storage.glue_table(database, name)
    if definition is None:
        raise table_not_found(f"awsdatacatalog.{database}.{name}", line, col)
    descriptor = definition.get("StorageDescriptor") or {}
    serde_info = descriptor.get("SerdeInfo") or {}
    library = (serde_info.get("SerializationLibrary") or "").lower()
    input_format = (descriptor.get("InputFormat") or "").lower()
    serde = {k: str(v) for k, v in (serde_info.get("Parameters") or {}).items()}
    if "parquet" in library or "parquet" in input_format:
        kind = PARQUET
    elif "opencsvserde" in library:
        kind = CSV
    elif "jsonserde" in library or "json" in library:
        kind = JSON
    elif "lazysimpleserde" in library or "textinputformat" in input_format:
        kind = TEXT
    else:
        raise QueryFailure(
            "NOT_SUPPORTED",
            f"Table {database}.{name}: the local Athena reads Parquet, CSV "
            f"(OpenCSVSerde, LazySimpleSerDe) and JSON tables, not {library or input_format or 'an unknown format'}",
        )
    location = descriptor.get("Location") or ""
    if not location.startswith("s3"):
        raise QueryFailure("HIVE_METASTORE_ERROR", f"Table {database}.{name} has no S3 location")
    columns = [(c["Name"].lower(), c.get("Type") or "string") for c in descriptor.get("Columns") or []]
    keys = [(c["Name"].lower(), c.get("Type") or "string") for c in definition.get("PartitionKeys") or []]
    return Table(
        database=database,
        name=name,
        location=location,
        columns=columns,
        partition_keys=keys,
        format=kind,
        serde=serde,
        parameters={k: str(v) for k, v in (definition.get("Parameters") or {}).items()},
    )


def _visible(key: str) -> bool:
    if key.endswith(("/", "_$folder$")):
        return False
    return not any(part.startswith(("_", ".")) for part in key.split("/")[-1:])


class _Lister:
    """Lists each distinct bucket prefix once per query."""

    def __init__(self, storage: Storage):
        self.storage = storage
        self._cache: dict[tuple[str, str], list[tuple[str, int, str]]] = {}

    def under(self, location: str) -> list[tuple[str, int, str]]:
        bucket, prefix = split_s3_uri(location)
        prefix = prefix if not prefix or prefix.endswith("/") else prefix + "/"
        if (bucket, prefix) not in self._cache:
            self._cache[(bucket, prefix)] = [o for o in self.storage.list(bucket, prefix) if _visible(o[0])]
        return self._cache[(bucket, prefix)]


def candidate_partitions(
    storage: Storage, table: Table, now: datetime, injected: dict[str, list[str]] | None = None
) -> list[tuple[dict[str, str], str]]:
    """(partition values, location) of every partition the table has (projected, or registered in
    Glue), before any pruning; a table without partition keys is one partition at its location."""
    if not table.partition_keys:
        return [({}, table.location)]
    if not table.projected:
        found = []
        for partition in storage.glue_partitions(table.database, table.name):
            values = dict(zip(table.partition_names, partition.get("Values") or [], strict=False))
            found.append((values, (partition.get("StorageDescriptor") or {}).get("Location") or table.partition_location(values)))
        return found
    axes = []
    for name, projection in table.projections().items():
        if projection.kind == "injected":
            values = (injected or {}).get(name)
            if not values:
                raise QueryFailure(
                    "CONSTRAINT_VIOLATION",
                    f"For the injected projected partition column {name}, "
                    "the WHERE clause must contain only static equality conditions, and at "
                    "least one such condition must be present.",
                )
            axes.append(values)
        else:
            axes.append(projection.values(now))
    total = 1
    for axis in axes:
        total *= len(axis)
    if total > MAX_PROJECTED_PARTITIONS:
        raise QueryFailure(
            "HIVE_EXCEEDED_PARTITION_LIMIT",
            f"Partition projection of {table.qualified} yields {total} partitions, more than {MAX_PROJECTED_PARTITIONS}",
        )
    combos = [dict(zip(table.partition_names, values, strict=True)) for values in itertools.product(*axes)]
    return [(combo, table.partition_location(combo)) for combo in combos]


def partition_files(storage: Storage, table: Table, partitions: list[tuple[dict[str, str], str]]) -> list[DataFile]:
    """The files of these partitions (every object under each location, subfolders included)."""
    lister = _Lister(storage)
    files: list[DataFile] = []
    for values, location in partitions:
        bucket, _ = split_s3_uri(location)
        frozen = tuple((n, values[n]) for n in table.partition_names)
        files += [DataFile(bucket, key, size, etag, frozen) for key, size, etag in lister.under(location)]
    return files


def now_utc() -> datetime:
    return datetime.now(UTC)


__all__ = [
    "CSV",
    "JSON",
    "PARQUET",
    "TEXT",
    "DataFile",
    "Projection",
    "Storage",
    "Table",
    "candidate_partitions",
    "load_table",
    "now_utc",
    "partition_files",
    "split_s3_uri",
]

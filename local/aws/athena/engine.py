"""One statement run the way Athena runs it, by DuckDB.

1. The statement is parsed and its ExecutionParameters read as literals (sql.py).
2. Each table it names is read from the Glue catalog (catalog.py); the analysis gives, per table
   reference, the columns it reads and the predicates on its partition columns and "$path".
3. Partitions, then files, are pruned with those predicates, evaluated by DuckDB over the candidate
   partition values and file paths (with the statement's own parameters bound).
4. Data scanned is counted as Athena bills it: for Parquet, the compressed bytes of the column chunks
   of the columns read, in every row group of the files read (`parquet_metadata`); for text formats
   (CSV, gzipped or not; JSON), the bytes of the files read. A self-join reads its table twice.
   Over the workgroup's BytesScannedCutoffPerQuery the query is cancelled before it runs.
5. The files are fetched from S3 (cached by bucket, key and ETag), each table becomes a DuckDB view
   "<database>"."<table>" with the Glue columns (cast to their Glue types, matched by name for
   Parquet and JSON and by position for CSV), the partition columns and "$path"; the statement runs
   translated to DuckDB with its parameters bound ($1, $2, ...).
6. A SELECT gives its columns and rows; an UNLOAD writes its files under the target (hive-style
   partitions) and gives the list of files written.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from local.aws.athena import sql as athena_sql
from local.aws.athena.catalog import (
    CSV,
    JSON,
    PARQUET,
    DataFile,
    Storage,
    Table,
    candidate_partitions,
    load_table,
    partition_files,
    split_s3_uri,
)
from local.aws.athena.errors import (
    QueryFailure,
    bad_data,
    column_not_found,
    internal,
    syntax_error,
)
from local.aws.athena.types import athena_column, duckdb_type, render

UNLOAD_FORMATS = {"PARQUET", "TEXTFILE", "JSON"}
UNLOAD_MAX_PARTITIONS = 100  # Athena's limit for UNLOAD ... partitioned_by
_FILE_COLUMN = "__athena_local_file"


@dataclass
class Outcome:
    """What a statement produced."""

    columns: list[dict[str, Any]] = field(default_factory=list)  # ColumnInfo
    rows: list[list[str | None]] = field(default_factory=list)  # rendered values
    data_scanned: int = 0
    unloaded_files: list[str] = field(default_factory=list)  # UNLOAD: the S3 URIs written
    unloaded_rows: int = 0


class FileCache:
    """Objects fetched from S3, on local disk, keyed by bucket, key and ETag (a new version is a new file)."""

    def __init__(self, directory: Path):
        self.directory = directory
        self._lock = threading.Lock()
        self._paths: dict[tuple[str, str, str], Path] = {}

    def local(self, storage: Storage, data_file: DataFile) -> Path:
        key = (data_file.bucket, data_file.key, data_file.etag)
        with self._lock:
            path = self._paths.get(key)
        if path is not None and path.exists():
            return path
        suffix = "".join(Path(data_file.key).suffixes[-2:]) or ""
        path = self.directory / f"{uuid.uuid4().hex}{suffix}"
        path.write_bytes(storage.get(data_file.bucket, data_file.key))
        with self._lock:
            self._paths[key] = path
        return path


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sql_list(paths: list[Path]) -> str:
    return "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths) + "]"


class Engine:
    """Runs statements against the local S3 and Glue; one DuckDB connection per statement."""

    def __init__(self, storage: Storage, cache: FileCache, threads: int = 2):
        self.storage = storage
        self.cache = cache
        self.threads = threads

    # ---- the statement ------------------------------------------------------------------------------------

    def run(
        self,
        text: str,
        parameters: list[str],
        database: str,
        now: datetime,
        cutoff: int | None = None,
        cancelled: threading.Event | None = None,
    ) -> Outcome:
        import duckdb

        statement = athena_sql.parse_statement(text)
        values = athena_sql.parameter_values(parameters, statement.parameter_count)
        tables = self._tables(statement, database)
        schemas = {key: {**dict(t.columns), **dict(t.partition_keys)} for key, t in tables.items()}
        partition_names = {key: t.partition_names for key, t in tables.items()}
        refs = athena_sql.analyse(statement, schemas, partition_names, database, values)
        con = duckdb.connect(config={"threads": self.threads})
        try:
            con.execute("SET TimeZone = 'UTC'")
            con.execute("SET integer_division = true")  # Trino: 5 / 2 = 2
            con.execute("SET lambda_syntax = 'ENABLE_SINGLE_ARROW'")  # Trino's x -> x + 1, as sqlglot writes it
            files_by_table: dict[tuple[str, str], dict[str, DataFile]] = {key: {} for key in tables}
            scanned = 0
            for ref in refs:
                table = tables[(ref.database, ref.name)]
                files = self._files(con, table, ref, values, now)
                for data_file in files:
                    files_by_table[(ref.database, ref.name)][data_file.uri] = data_file
                scanned += self._scanned(con, table, ref, files)
            if cutoff is not None and scanned > cutoff:
                raise QueryFailure(None, "Bytes scanned limit was exceeded", cancelled=True, data_scanned=cutoff)
            if cancelled is not None and cancelled.is_set():
                raise QueryFailure(None, "Query cancelled by user", cancelled=True, data_scanned=scanned)
            for key, table in tables.items():
                self._register(con, table, list(files_by_table[key].values()))
            translated = athena_sql.to_duckdb(statement.select, database)
            if statement.unload:
                outcome = self._unload(con, statement, translated, values)
            else:
                outcome = self._select(con, statement, translated, values)
            outcome.data_scanned = scanned
            return outcome
        finally:
            con.close()

    def _tables(self, statement: athena_sql.Statement, database: str) -> dict[tuple[str, str], Table]:
        tables: dict[tuple[str, str], Table] = {}
        for node, db, name in athena_sql.table_refs(statement.select, database):
            if (db, name) not in tables:
                tables[(db, name)] = load_table(self.storage, db, name, *statement.locate(node))
        return tables

    # ---- pruning and bytes scanned -----------------------------------------------------------------------------

    def _files(self, con: Any, table: Table, ref: athena_sql.TableRef, values: list[Any], now: datetime) -> list[DataFile]:
        partitions = candidate_partitions(self.storage, table, now, ref.injected)
        if ref.partition_predicates and partitions and table.partition_keys:
            keep = self._matching(
                con, table, [values_ for values_, _ in partitions], ref.partition_predicates, values, with_path=False
            )
            partitions = [p for p, matched in zip(partitions, keep, strict=True) if matched]
        files = partition_files(self.storage, table, partitions)
        if ref.path_predicates and files:
            rows = [{**dict(f.partition), athena_sql.PATH_COLUMN: f.uri} for f in files]
            keep = self._matching(con, table, rows, ref.path_predicates, values, with_path=True)
            files = [f for f, matched in zip(files, keep, strict=True) if matched]
        return files

    def _matching(
        self, con: Any, table: Table, rows: list[dict[str, str]], predicates: list[Any], values: list[Any], with_path: bool
    ) -> list[bool]:
        """Which candidate rows (partition values, "$path") satisfy the predicates; every row on a
        predicate DuckDB cannot evaluate here (it is then applied by the query itself)."""
        columns = [(n, duckdb_type(t, n)) for n, t in table.partition_keys]
        if with_path:
            columns.append((athena_sql.PATH_COLUMN, "VARCHAR"))
        name = f"__candidates_{uuid.uuid4().hex[:8]}"
        con.execute(f"CREATE TEMP TABLE {name} (__row BIGINT, " + ", ".join(f"{_quote(c)} VARCHAR" for c, _ in columns) + ")")
        try:
            con.executemany(
                f"INSERT INTO {name} VALUES (" + ", ".join(["?"] * (len(columns) + 1)) + ")",
                [[i] + [row.get(c) for c, _ in columns] for i, row in enumerate(rows)],
            )
            typed = ", ".join(f"CAST({_quote(c)} AS {t}) AS {_quote(c)}" for c, t in columns)
            condition, used = athena_sql.predicate_sql(predicates)
            try:
                kept = {
                    r[0]
                    for r in con.execute(
                        f"SELECT __row FROM (SELECT __row, {typed} FROM {name}) WHERE {condition}", [values[i] for i in used]
                    ).fetchall()
                }
            except Exception:  # noqa: BLE001 - not evaluable on partition values alone: keep every row
                return [True] * len(rows)
        finally:
            con.execute(f"DROP TABLE {name}")
        return [i in kept for i in range(len(rows))]

    def _scanned(self, con: Any, table: Table, ref: athena_sql.TableRef, files: list[DataFile]) -> int:
        if not files:
            return 0
        if table.format != PARQUET:
            return sum(f.size for f in files)
        data_columns = {n for n, _ in table.columns}
        wanted = data_columns if ref.all_columns else {c for c in ref.columns if c in data_columns}
        if not wanted:
            return 0
        paths = [self.cache.local(self.storage, f) for f in files]
        try:
            rows = con.execute(
                "SELECT lower(split_part(path_in_schema, ', ', 1)) AS top, sum(total_compressed_size) "
                f"FROM parquet_metadata({_sql_list(paths)}) GROUP BY ALL"
            ).fetchall()
        except Exception as error:  # noqa: BLE001 - a file that is not Parquet
            raise self._not_parquet(files, error) from None
        return int(sum(size for top, size in rows if top in wanted))

    @staticmethod
    def _not_parquet(files: list[DataFile], error: Exception) -> QueryFailure:
        return bad_data(
            f"One or more files of {files[0].bucket} are not valid Parquet files "
            f"(e.g. {files[0].uri}): {str(error).splitlines()[0][:160]}"
        )

    # ---- views ------------------------------------------------------------------------------------------------------

    def _register(self, con: Any, table: Table, files: list[DataFile]) -> None:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {_quote(table.database)}")
        view = f"{_quote(table.database)}.{_quote(table.name)}"
        partition_exprs = [f"CAST(f.{_quote(n)} AS {duckdb_type(t, n)}) AS {_quote(n)}" for n, t in table.partition_keys]
        if not files:
            columns = [f"CAST(NULL AS {duckdb_type(t, n)}) AS {_quote(n)}" for n, t in table.columns + table.partition_keys]
            columns.append(f"CAST(NULL AS VARCHAR) AS {_quote(athena_sql.PATH_COLUMN)}")
            con.execute(f"CREATE VIEW {view} AS SELECT {', '.join(columns)} WHERE false")
            return
        files_table = f"__files_{uuid.uuid4().hex[:8]}"
        local = [self.cache.local(self.storage, f) for f in files]
        con.execute(
            f"CREATE TEMP TABLE {files_table} (__local VARCHAR, {_quote(athena_sql.PATH_COLUMN)} VARCHAR"
            + "".join(f", {_quote(n)} VARCHAR" for n in table.partition_names)
            + ")"
        )
        con.executemany(
            f"INSERT INTO {files_table} VALUES (" + ", ".join(["?"] * (2 + len(table.partition_names))) + ")",
            [
                [str(path), f.uri, *[dict(f.partition)[n] for n in table.partition_names]]
                for path, f in zip(local, files, strict=True)
            ],
        )
        source, physical = self._source(con, table, local)
        columns = []
        for name, glue_type in table.columns:
            target = duckdb_type(glue_type, name)
            actual = physical.get(name)
            if actual is None:
                columns.append(f"CAST(NULL AS {target}) AS {_quote(name)}")
            else:
                columns.append(f"{self._convert(table, actual, target, name)} AS {_quote(name)}")
        select = ", ".join(
            columns + partition_exprs + [f"f.{_quote(athena_sql.PATH_COLUMN)} AS {_quote(athena_sql.PATH_COLUMN)}"]
        )
        con.execute(
            f"CREATE VIEW {view} AS SELECT {select} FROM {source} AS p JOIN {files_table} AS f ON p.{_FILE_COLUMN} = f.__local"
        )

    def _source(self, con: Any, table: Table, local: list[Path]) -> tuple[str, dict[str, tuple[str, str]]]:
        """The DuckDB table function reading the files, and per Glue column (lower case) its
        (physical column reference, physical type)."""
        paths = _sql_list(local)
        if table.format == PARQUET:
            source = f"read_parquet({paths}, filename = '{_FILE_COLUMN}', union_by_name = true)"
        elif table.format == JSON:
            source = (
                f"read_json({paths}, format = 'newline_delimited', filename = '{_FILE_COLUMN}', "
                "union_by_name = true, maximum_depth = 1)"
            )
        else:
            source = self._text_source(table, paths)
        try:
            described = con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
        except Exception as error:  # noqa: BLE001 - unreadable files
            if table.format == PARQUET:
                raise bad_data(
                    f"Files of table {table.database}.{table.name} are not valid Parquet: {str(error).splitlines()[0][:200]}"
                ) from None
            raise bad_data(
                f"Files of table {table.database}.{table.name} cannot be read: {str(error).splitlines()[0][:200]}"
            ) from None
        physical: dict[str, tuple[str, str]] = {}
        for row in described:
            name, kind = row[0], row[1]
            if name == _FILE_COLUMN:
                continue
            physical.setdefault(name.lower(), (f"p.{_quote(name)}", kind))
        if table.format in (CSV, "text"):
            physical = {glue: (f"p.{_quote(f'c{i}')}", "VARCHAR") for i, (glue, _) in enumerate(table.columns)}
        return source, physical

    def _text_source(self, table: Table, paths: str) -> str:
        columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(table.columns))) + "}"
        if table.format == CSV:  # OpenCSVSerde: quoted fields, positional columns
            delimiter = table.serde.get("separatorChar", ",")
            quote = table.serde.get("quoteChar", '"')
            escape = table.serde.get("escapeChar", "\\")
            options = (
                f"delim = {self._char(delimiter)}, quote = {self._char(quote)}, escape = {self._char(escape)}, "
                "null_padding = true"
            )
        else:  # LazySimpleSerDe: no quoting; NULL is \N unless serialization.null.format says otherwise
            delimiter = table.serde.get("field.delim") or table.serde.get("serialization.format") or "\x01"
            if delimiter == "1":
                delimiter = "\x01"
            null = table.serde.get("serialization.null.format", "\\N")
            options = (
                f"delim = {self._char(delimiter)}, quote = '', escape = '', nullstr = {self._char(null)}, null_padding = true"
            )
        return (
            f"read_csv({paths}, header = false, skip = {table.header_lines}, columns = {columns}, {options}, "
            f"filename = '{_FILE_COLUMN}', auto_detect = false, compression = 'auto')"
        )

    @staticmethod
    def _char(text: str) -> str:
        return "'" + text.replace("'", "''") + "'"

    def _convert(self, table: Table, actual: tuple[str, str], target: str, name: str) -> str:
        reference, kind = actual
        if table.format == CSV:
            if target == "VARCHAR":
                return reference
            if target == "TIMESTAMP":  # OpenCSVSerde reads java.sql.Timestamp text: yyyy-mm-dd hh:mm:ss[.f]
                return (
                    f"CASE WHEN {reference} = '' THEN NULL ELSE "
                    f"strptime({reference}, ['%Y-%m-%d %H:%M:%S.%f', '%Y-%m-%d %H:%M:%S']) END"
                )
            return f"CASE WHEN {reference} = '' THEN NULL ELSE CAST({reference} AS {target}) END"
        if table.format == "text":
            return reference if target == "VARCHAR" else f"TRY_CAST({reference} AS {target})"
        if table.format == PARQUET and not self._compatible(kind, target):
            raise bad_data(
                f"Field {name}'s type {kind} in parquet is incompatible with type "
                f"{dict(table.columns).get(name)} defined in table schema of {table.database}.{table.name}"
            )
        return f"CAST({reference} AS {target})"

    @staticmethod
    def _compatible(physical: str, target: str) -> bool:
        p, t = physical.upper(), target.upper()
        integers = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT")
        if p == t or (t == "VARCHAR" and p == "VARCHAR"):
            return True
        if t in integers and p in integers:
            return integers.index(p) <= integers.index(t)
        if t == "DOUBLE":
            return p in ("FLOAT", "DOUBLE")
        if t == "FLOAT":
            return p == "FLOAT"
        if t.startswith("DECIMAL"):
            return p.startswith("DECIMAL") or p in integers
        if t == "TIMESTAMP":
            return p.startswith("TIMESTAMP")
        if t == "DATE":
            return p == "DATE"
        if t == "VARCHAR" or p == "VARCHAR":
            return False
        return t.split("(")[0] == p.split("(")[0] or ("[]" in t and "[]" in p)

    # ---- execution ------------------------------------------------------------------------------------------------

    def _relation(self, con: Any, translated: str, values: list[Any]) -> Any:
        try:
            return con.execute(translated, values)
        except Exception as error:  # noqa: BLE001 - DuckDB's errors, mapped to Athena's
            raise self._failure(error) from None

    @staticmethod
    def _failure(error: Exception) -> QueryFailure:
        import duckdb

        message = str(error).splitlines()[0]
        if isinstance(error, duckdb.ConversionException):
            return bad_data(message)
        if isinstance(error, duckdb.BinderException):
            if "Referenced column" in message:
                name = message.split('"')[1] if '"' in message else message
                return column_not_found(name)
            return QueryFailure("SYNTAX_ERROR", message)
        if isinstance(error, duckdb.CatalogException):
            if "Function with name" in message:
                name = message.split("name ")[1].split(" ")[0]
                return QueryFailure(
                    "FUNCTION_NOT_FOUND",
                    f"Function '{name}' not registered (the local Athena "
                    "runs Athena's functions through their DuckDB translations)",
                )
            return QueryFailure("TABLE_NOT_FOUND", message)
        if isinstance(error, duckdb.ParserException):
            return syntax_error(message)
        if isinstance(error, (duckdb.InvalidInputException, duckdb.IOException)):
            return bad_data(message)
        if isinstance(error, duckdb.OutOfRangeException):
            return QueryFailure("NUMERIC_VALUE_OUT_OF_RANGE", message)
        if isinstance(error, duckdb.Error):
            return QueryFailure("GENERIC_USER_ERROR", message)
        return internal(message)

    def _labels(self, statement: athena_sql.Statement, description: list[Any]) -> list[str]:
        labels = athena_sql.output_labels(statement.select)
        if len(labels) != len(description) or any(label is None for label in labels):
            return [str(d[0]).lower() for d in description]
        return [str(label) for label in labels]

    def _select(self, con: Any, statement: athena_sql.Statement, translated: str, values: list[Any]) -> Outcome:
        cursor = self._relation(con, translated, values)
        description = cursor.description or []
        try:
            rows = cursor.fetchall()
        except Exception as error:  # noqa: BLE001 - errors raised while reading (casts of bad data)
            raise self._failure(error) from None
        labels = self._labels(statement, description)
        columns = [athena_column(label, d[1]) for label, d in zip(labels, description, strict=True)]
        return Outcome(columns=columns, rows=[[render(v) for v in row] for row in rows])

    def _unload(self, con: Any, statement: athena_sql.Statement, translated: str, values: list[Any]) -> Outcome:
        unload = statement.unload
        assert unload is not None
        if unload.format not in UNLOAD_FORMATS:
            raise QueryFailure("NOT_SUPPORTED", f"the local Athena unloads to PARQUET, TEXTFILE and JSON, not {unload.format}")
        bucket, prefix = split_s3_uri(unload.target)
        prefix = prefix if not prefix or prefix.endswith("/") else prefix + "/"
        if self.storage.list(bucket, prefix):
            raise QueryFailure(
                "HIVE_PATH_ALREADY_EXISTS",
                f"Target directory for table '{unload.target}' already "
                f"exists: {unload.target}. You may need to manually clean the data at location "
                f"'{unload.target}' before retrying. Athena will not delete data in your account.",
            )
        cursor = self._relation(con, f"DESCRIBE {translated}", values)
        described = cursor.fetchall()
        labels = self._labels(statement, [(row[0], row[1]) for row in described])
        if len(set(labels)) != len(labels):
            raise QueryFailure("DUPLICATE_COLUMN_NAME", "Column name is specified more than once in the UNLOAD query")
        partitioned = unload.partitioned_by
        if partitioned:
            missing = [p for p in partitioned if p not in labels]
            if missing:
                raise column_not_found(missing[0])
            if labels[-len(partitioned) :] != partitioned:
                raise QueryFailure(
                    "HIVE_COLUMN_ORDER_MISMATCH",
                    "Partition keys must be the last columns in the table "
                    "and in the same order as the partition specification: " + ", ".join(partitioned),
                )
            if len(partitioned) == len(labels):
                raise QueryFailure("INVALID_TABLE_PROPERTY", "UNLOAD needs at least one column that is not a partition column")
        renamed = f"SELECT * FROM ({translated}) AS __unload({', '.join(_quote(label) for label in labels)})"
        if partitioned:
            count = self._relation(
                con,
                f"SELECT count(*) FROM (SELECT DISTINCT {', '.join(_quote(p) for p in partitioned)} FROM ({renamed}))",
                values,
            ).fetchone()[0]
            if count > UNLOAD_MAX_PARTITIONS:
                raise QueryFailure(
                    "HIVE_TOO_MANY_OPEN_PARTITIONS",
                    f"Exceeded limit of {UNLOAD_MAX_PARTITIONS} open writers for partitions/buckets",
                )
        rows = int(self._relation(con, f"SELECT count(*) FROM ({renamed})", values).fetchone()[0])
        workdir = Path(tempfile.mkdtemp(prefix="athena-unload-"))
        try:
            options, extension = self._copy_options(unload)
            if partitioned:
                options.append(f"PARTITION_BY ({', '.join(_quote(p) for p in partitioned)})")
            self._relation(con, f"COPY ({renamed}) TO '{workdir}/out' ({', '.join(options)})", values)
            written = self._upload(workdir / "out", bucket, prefix, extension)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        return Outcome(unloaded_files=written, unloaded_rows=rows)

    @staticmethod
    def _copy_options(unload: athena_sql.Unload) -> tuple[list[str], str]:
        compression = (unload.compression or ("SNAPPY" if unload.format == "PARQUET" else "GZIP")).upper()
        if unload.format == "PARQUET":
            if compression not in ("SNAPPY", "GZIP", "ZSTD", "NONE", "UNCOMPRESSED"):
                raise QueryFailure("INVALID_TABLE_PROPERTY", f"Unsupported compression for PARQUET: {compression}")
            codec = "UNCOMPRESSED" if compression in ("NONE", "UNCOMPRESSED") else compression
            return [f"FORMAT PARQUET, COMPRESSION {codec}"], ""
        if compression not in ("GZIP", "NONE", "UNCOMPRESSED", "ZSTD"):
            raise QueryFailure("INVALID_TABLE_PROPERTY", f"Unsupported compression for {unload.format}: {compression}")
        codec = {"GZIP": "gzip", "ZSTD": "zstd"}.get(compression, "none")
        extension = {"gzip": ".gz", "zstd": ".zst"}.get(codec, "")
        if unload.format == "JSON":
            return [f"FORMAT JSON, COMPRESSION {codec}"], extension
        delimiter = unload.field_delimiter if unload.field_delimiter is not None else "\x01"
        return [
            (f"FORMAT CSV, HEADER false, DELIMITER '{delimiter}', QUOTE '', ESCAPE '', NULLSTR '\\N', COMPRESSION {codec}")
        ], extension

    def _upload(self, directory: Path, bucket: str, prefix: str, extension: str) -> list[str]:
        """Every file DuckDB wrote, uploaded under the target with Athena-like names; their URIs."""
        written = []
        query_id = f"{datetime.now(UTC):%Y%m%d_%H%M%S}_{uuid.uuid4().int % 100000:05d}_{uuid.uuid4().hex[:5]}"
        paths = [directory] if directory.is_file() else sorted(p for p in directory.rglob("*") if p.is_file())
        for path in paths:
            relative = "" if path == directory else os.path.relpath(path.parent, directory)
            folder = "" if relative in ("", ".") else relative.replace(os.sep, "/") + "/"
            key = f"{prefix}{folder}{query_id}_{uuid.uuid4()}{extension}"
            self.storage.put(bucket, key, path.read_bytes())
            written.append(f"s3://{bucket}/{key}")
        return written

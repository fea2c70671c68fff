"""A statement in Athena's SQL (Trino's dialect), parsed and analysed with sqlglot, translated to DuckDB.

- `parse_statement`: one SELECT (or WITH ... SELECT, set operations), or `UNLOAD (SELECT ...) TO
  's3://...' WITH (...)`; anything else (DDL, INSERT, several statements) is refused as Athena would
  (several statements) or as the local Athena's limit (DDL: tables come from Glue).
- Parameters: each `?` is numbered in the order it appears in the text; ExecutionParameters bind to
  them in that order as DuckDB parameters ($1, $2, ...), never written into the SQL text. Each
  ExecutionParameter must be one SQL literal, as Athena reads it ('text' with '' for a quote, 42,
  1.5, DATE '2026-11-01', TIMESTAMP '...', true, NULL, ARRAY[...]).
- `analyse`: sqlglot's qualify resolves every column against the Glue schemas (an unknown column is
  COLUMN_NOT_FOUND), giving per table reference the columns it reads (what Parquet bills) and the
  WHERE conjuncts that only read its partition columns or "$path" (what prunes partitions and files).
  Comparisons of a string with a date/timestamp or a number are refused as Trino refuses them
  (DuckDB would cast silently).
- `to_duckdb`: the same statement in DuckDB's dialect, tables as "<database>"."<table>" views.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from local.aws.athena.errors import (
    QueryFailure,
    column_not_found,
    not_supported,
    syntax_error,
)

DIALECT = "athena"
PATH_COLUMN = "$path"
_PARAM_PREFIX = "__athena_p"
_DEFAULT_CATALOG = "awsdatacatalog"


# ---- statements ---------------------------------------------------------------------------------------


@dataclass
class Unload:
    target: str
    format: str = "PARQUET"
    compression: str | None = None
    partitioned_by: list[str] = field(default_factory=list)
    field_delimiter: str | None = None


@dataclass
class Statement:
    text: str
    select: exp.Expression
    parameter_count: int
    unload: Unload | None = None
    shifts: list[tuple[int, int]] = field(default_factory=list)  # (offset in the parsed text, characters added before it)
    base: int = 0  # where the parsed text starts in `text` (UNLOAD's inner SELECT)

    @property
    def kind(self) -> str:
        return "UNLOAD" if self.unload else "SELECT"

    def locate(self, node: exp.Expression | None) -> tuple[int | None, int | None]:
        """Trino's 1-based (line, column) of where `node` starts in the statement as written."""
        identifiers = [] if node is None else [node] if isinstance(node, exp.Identifier) else list(node.find_all(exp.Identifier))
        starts = [i.meta["start"] for i in identifiers if "start" in i.meta]
        if not starts:
            return None, None
        offset = min(starts)
        added = max((delta for position, delta in self.shifts if position <= offset), default=0)
        return _position(self.text, self.base + offset - added)


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _number_placeholders(text: str) -> tuple[str, int, list[tuple[int, int]]]:
    """The text with each `?` placeholder (not those inside strings or comments) named by its order,
    and where characters were added (to map positions back to the text as written)."""
    try:
        tokens = sqlglot.tokenize(text, read=DIALECT)
    except TokenError as error:
        raise syntax_error(f"{error}".split("\n")[0]) from None
    out, last, count, added, shifts = [], 0, 0, 0, []
    for token in tokens:
        if token.token_type.name == "PLACEHOLDER" and token.text == "?":
            count += 1
            out.append(text[last : token.start])
            name = f":{_PARAM_PREFIX}{count}"
            out.append(name)
            added += len(name) - 1
            shifts.append((token.start + added, added))
            last = token.end + 1
    out.append(text[last:])
    return "".join(out), count, shifts


def _parse_select(text: str, offset: int = 0, whole: str | None = None) -> tuple[exp.Expression, int, list[tuple[int, int]]]:
    whole = whole if whole is not None else text
    numbered, count, shifts = _number_placeholders(text)
    try:
        statements = [s for s in sqlglot.parse(numbered, read=DIALECT) if s is not None]
    except ParseError as error:
        first = (error.errors or [{}])[0]
        line, col = first.get("line"), first.get("col")
        if line is not None and offset:
            line, col = _position(whole, offset)[0] + line - 1, col
        highlight = first.get("highlight") or ""
        raise syntax_error(f"mismatched input '{highlight}'. {first.get('description', 'Invalid syntax')}", line, col) from None
    except TokenError as error:
        raise syntax_error(str(error).split("\n")[0]) from None
    if len(statements) != 1:
        raise QueryFailure(None, "Only one sql statement is allowed. Got: " + text.strip()[:200])
    statement = statements[0]
    if isinstance(statement, exp.Command):
        raise not_supported(
            f"the local Athena runs SELECT and UNLOAD statements (tables come from the Glue "
            f"catalog), not {statement.name.upper() or 'this statement'}"
        )
    if not isinstance(statement, exp.Query):
        raise not_supported(
            f"the local Athena runs SELECT and UNLOAD statements (tables come from the Glue "
            f"catalog), not {type(statement).__name__.upper()}"
        )
    for placeholder in statement.find_all(exp.Placeholder):
        if not placeholder.name.startswith(_PARAM_PREFIX):
            raise syntax_error(f"mismatched input ':{placeholder.name}'")
    return statement, count, shifts


def _matching_paren(text: str, start: int) -> int:
    """The index of the parenthesis closing the one at `start` (strings, quoted names, comments skipped)."""
    depth, i = 0, start
    while i < len(text):
        char = text[i]
        if char in "'\"":
            end = i + 1
            while end < len(text):
                if text[end] == char and (end + 1 >= len(text) or text[end + 1] != char):
                    break
                end += 2 if text[end] == char else 1
            i = end + 1
            continue
        if text.startswith("--", i):
            i = text.find("\n", i) if text.find("\n", i) >= 0 else len(text)
            continue
        if text.startswith("/*", i):
            i = text.find("*/", i) + 2 if text.find("*/", i) >= 0 else len(text)
            continue
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise syntax_error("mismatched input '<EOF>'. Expecting: ')'", *_position(text, len(text)))


UNLOAD_STATEMENT = re.compile(r"^\s*UNLOAD\s*\(", re.IGNORECASE)
_UNLOAD_TAIL_RE = re.compile(r"^\s*TO\s+'((?:[^']|'')*)'\s*(?:WITH\s*\((.*)\))?\s*;?\s*$", re.IGNORECASE | re.DOTALL)


def _literal_text(expression: exp.Expression, name: str) -> str:
    if isinstance(expression, exp.Literal) and expression.is_string:
        return expression.this
    raise QueryFailure("INVALID_TABLE_PROPERTY", f"UNLOAD property {name} must be a string literal")


def _unload(text: str) -> Statement:
    open_at = text.index("(", UNLOAD_STATEMENT.match(text).start())
    close_at = _matching_paren(text, open_at)
    select, count, shifts = _parse_select(text[open_at + 1 : close_at], offset=open_at + 1, whole=text)
    tail = _UNLOAD_TAIL_RE.match(text[close_at + 1 :])
    if not tail:
        raise syntax_error(
            "mismatched input. Expecting: TO 's3://...' [WITH (...)] after UNLOAD (...)", *_position(text, close_at + 1)
        )
    unload = Unload(target=tail.group(1).replace("''", "'"))
    for item in _split_properties(tail.group(2) or ""):
        name, _, value = item.partition("=")
        name = name.strip().lower()
        try:
            parsed = sqlglot.parse_one(value.strip(), read=DIALECT)
        except (ParseError, TokenError):
            raise syntax_error(f"invalid value for UNLOAD property {name}: {value.strip()[:80]}") from None
        if name == "format":
            unload.format = _literal_text(parsed, name).upper()
        elif name == "compression":
            unload.compression = _literal_text(parsed, name).upper()
        elif name == "field_delimiter":
            unload.field_delimiter = _literal_text(parsed, name)
        elif name == "partitioned_by":
            if not isinstance(parsed, exp.Array):
                raise QueryFailure("INVALID_TABLE_PROPERTY", "partitioned_by must be an ARRAY of column names")
            unload.partitioned_by = [_literal_text(v, name).lower() for v in parsed.expressions]
        else:
            raise QueryFailure("INVALID_TABLE_PROPERTY", f"Catalog 'awsdatacatalog' table property '{name}' does not exist")
    return Statement(text=text, select=select, parameter_count=count, unload=unload, shifts=shifts, base=open_at + 1)


def _split_properties(text: str) -> list[str]:
    items, depth, current, quoted = [], 0, [], False
    for char in text:
        if char == "'":
            quoted = not quoted
        elif not quoted and char in "([":
            depth += 1
        elif not quoted and char in ")]":
            depth -= 1
        if char == "," and depth == 0 and not quoted:
            items.append("".join(current))
            current = []
        else:
            current.append(char)
    if "".join(current).strip():
        items.append("".join(current))
    return [i for i in items if i.strip()]


def parse_statement(text: str) -> Statement:
    if UNLOAD_STATEMENT.match(text):
        return _unload(text)
    select, count, shifts = _parse_select(text)
    return Statement(text=text, select=select, parameter_count=count, shifts=shifts)


# ---- parameters -----------------------------------------------------------------------------------------


def _literal_value(node: exp.Expression, index: int) -> Any:
    if isinstance(node, exp.Paren):
        return _literal_value(node.this, index)
    if isinstance(node, exp.Null):
        return None
    if isinstance(node, exp.Boolean):
        return bool(node.this)
    if isinstance(node, exp.Literal):
        if node.is_string:
            return node.this
        text = str(node.this)
        if re.fullmatch(r"\d+", text):
            return int(text)
        if "e" in text.lower():
            return float(text)
        return Decimal(text)
    if isinstance(node, exp.Neg):
        value = _literal_value(node.this, index)
        if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
            return -value
    if isinstance(node, exp.Array):
        return [_literal_value(v, index) for v in node.expressions]
    if isinstance(node, exp.Cast) and isinstance(node.this, exp.Literal):
        target = node.to.this
        raw = node.this.this
        try:
            if target == exp.DataType.Type.DATE:
                return date.fromisoformat(str(raw))
            if target in (exp.DataType.Type.TIMESTAMP, exp.DataType.Type.DATETIME, exp.DataType.Type.TIMESTAMPTZ):
                return datetime.fromisoformat(str(raw).replace(" UTC", ""))
            if target == exp.DataType.Type.DECIMAL:
                return Decimal(str(raw))
            if target in (exp.DataType.Type.INT, exp.DataType.Type.BIGINT, exp.DataType.Type.SMALLINT, exp.DataType.Type.TINYINT):
                return int(str(raw))
            if target in (exp.DataType.Type.DOUBLE, exp.DataType.Type.FLOAT):
                return float(str(raw))
            if target in (exp.DataType.Type.VARCHAR, exp.DataType.Type.CHAR, exp.DataType.Type.TEXT):
                return str(raw)
        except (ValueError, InvalidOperation):
            raise QueryFailure("INVALID_CAST_ARGUMENT", f"Value cannot be cast to {node.to.sql(DIALECT)}: {raw}") from None
    if isinstance(node, exp.Column) and not node.table:
        raise column_not_found(node.name, 1, 1)
    raise QueryFailure(
        "INVALID_PARAMETER_USAGE", f"ExecutionParameters[{index}] must be a literal value (got {node.sql(DIALECT)[:80]!r})"
    )


def parameter_values(parameters: list[str], expected: int) -> list[Any]:
    """The Python values of the ExecutionParameters, in order; QueryFailure when one is not a literal
    or their number differs from the statement's placeholders."""
    if len(parameters) != expected:
        raise QueryFailure(
            "INVALID_PARAMETER_USAGE",
            f"line 1:1: Incorrect number of parameters: expected {expected} but found {len(parameters)}",
        )
    values = []
    for index, text in enumerate(parameters):
        try:
            node = sqlglot.parse_one(text, read=DIALECT)
        except (ParseError, TokenError) as error:
            raise syntax_error(
                f"ExecutionParameters[{index}] is not a valid literal: {str(error).splitlines()[0][:120]}", 1, 1
            ) from None
        values.append(_literal_value(node, index))
    return values


# ---- analysis ------------------------------------------------------------------------------------------


@dataclass
class TableRef:
    """One reference to a catalog table in the statement (a self-join has two)."""

    database: str
    name: str
    line: int | None
    col: int | None
    columns: set[str] = field(default_factory=set)  # data and partition columns it reads (lower case)
    all_columns: bool = False  # the analysis could not tell: every column counts
    partition_predicates: list[exp.Expression] = field(default_factory=list)  # read partition columns only
    path_predicates: list[exp.Expression] = field(default_factory=list)  # read "$path" (and partition columns)
    injected: dict[str, list[Any]] = field(default_factory=dict)  # column -> values from `=` / IN


def _cte_names(statement: exp.Expression) -> set[str]:
    return {cte.alias_or_name.lower() for cte in statement.find_all(exp.CTE)}


def table_refs(statement: exp.Expression, default_database: str) -> list[tuple[exp.Table, str, str]]:
    """(node, database, table) of every catalog table the statement reads (CTE names excluded)."""
    ctes = _cte_names(statement)
    found = []
    for table in statement.find_all(exp.Table):
        if not table.name or isinstance(table.this, exp.Func):
            continue
        if not table.db and table.name.lower() in ctes:
            continue
        catalog = table.catalog.lower() if table.catalog else _DEFAULT_CATALOG
        if catalog != _DEFAULT_CATALOG:
            meta = table.this.meta if isinstance(table.this, exp.Identifier) else {}
            raise QueryFailure(
                "CATALOG_NOT_FOUND", f"line {meta.get('line', 1)}:{meta.get('col', 1)}: Catalog '{catalog}' does not exist"
            )
        found.append((table, (table.db or default_database).lower(), table.name.lower()))
    return found


def _conjuncts(condition: exp.Expression | None) -> list[exp.Expression]:
    if condition is None:
        return []
    if isinstance(condition, exp.Paren):
        return _conjuncts(condition.this)
    if isinstance(condition, exp.And):
        return _conjuncts(condition.left) + _conjuncts(condition.right)
    return [condition]


_TEXT = {
    exp.DataType.Type.VARCHAR,
    exp.DataType.Type.CHAR,
    exp.DataType.Type.TEXT,
    exp.DataType.Type.NVARCHAR,
    exp.DataType.Type.NCHAR,
}
_TEMPORAL = {
    exp.DataType.Type.DATE,
    exp.DataType.Type.TIMESTAMP,
    exp.DataType.Type.TIMESTAMPTZ,
    exp.DataType.Type.DATETIME,
    exp.DataType.Type.TIMESTAMP_MS,
    exp.DataType.Type.TIMESTAMP_S,
}
_NUMERIC = exp.DataType.NUMERIC_TYPES if hasattr(exp.DataType, "NUMERIC_TYPES") else set()


def _trino_type(data_type: exp.DataType | None, node: exp.Expression) -> str:
    if data_type is None:
        return "unknown"
    kind = data_type.this
    if kind in _TEXT:
        if isinstance(node, exp.Literal) and node.is_string:
            return f"varchar({len(node.this)})"
        return "varchar"
    if kind in (exp.DataType.Type.TIMESTAMP, exp.DataType.Type.DATETIME, exp.DataType.Type.TIMESTAMP_MS):
        return "timestamp(3)"
    if kind == exp.DataType.Type.TIMESTAMPTZ:
        return "timestamp(3) with time zone"
    return data_type.sql(DIALECT).lower()


_OPERATORS = {exp.EQ: "=", exp.NEQ: "<>", exp.GT: ">", exp.GTE: ">=", exp.LT: "<", exp.LTE: "<="}


def _check_comparisons(qualified: exp.Expression, schema: dict[str, Any], parameter_types: list[str]) -> None:
    """Trino refuses to compare a string with a date, timestamp or number; DuckDB casts silently."""
    from sqlglot.optimizer.annotate_types import annotate_types

    typed = qualified.copy()
    for placeholder in list(typed.find_all(exp.Placeholder)):
        index = int(placeholder.name[len(_PARAM_PREFIX) :]) - 1
        kind = parameter_types[index] if index < len(parameter_types) else "unknown"
        if kind != "unknown":
            placeholder.replace(exp.cast(exp.null(), kind))
    try:
        annotate_types(typed, schema=schema, dialect=DIALECT)
    except Exception:  # noqa: BLE001 - the check is a bonus; DuckDB still runs the query
        return

    def clash(left: exp.Expression, right: exp.Expression) -> bool:
        a, b = left.type, right.type
        if (
            a is None
            or b is None
            or exp.DataType.Type.NULL in (a.this, b.this)
            or isinstance(left, exp.Null)
            or isinstance(right, exp.Null)
        ):
            return False
        text_a, text_b = a.this in _TEXT, b.this in _TEXT
        other_a = a.this in _TEMPORAL or a.this in _NUMERIC
        other_b = b.this in _TEMPORAL or b.this in _NUMERIC
        return (text_a and other_b) or (text_b and other_a)

    def fail(node: exp.Expression, operator: str, left: exp.Expression, right: exp.Expression) -> None:
        raise QueryFailure(
            "TYPE_MISMATCH", f"Cannot apply operator: {_trino_type(left.type, left)} {operator} {_trino_type(right.type, right)}"
        )

    for node_type, operator in _OPERATORS.items():
        for node in typed.find_all(node_type):
            if clash(node.left, node.right):
                fail(node, operator, node.left, node.right)
    for node in typed.find_all(exp.In):
        for value in node.expressions:
            if clash(node.this, value):
                fail(node, "=", node.this, value)
    for node in typed.find_all(exp.Between):
        for bound in (node.args.get("low"), node.args.get("high")):
            if bound is not None and clash(node.this, bound):
                fail(node, "BETWEEN", node.this, bound)


def _python_type(value: Any) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "bigint"
    if isinstance(value, float):
        return "double"
    if isinstance(value, Decimal):
        return "decimal(38, 10)"
    if isinstance(value, datetime):
        return "timestamp"
    if isinstance(value, date):
        return "date"
    if isinstance(value, str):
        return "varchar"
    return "unknown"


def analyse(
    statement: Statement,
    schemas: dict[tuple[str, str], dict[str, str]],
    partitions: dict[tuple[str, str], list[str]],
    default_database: str,
    parameters: list[Any],
) -> list[TableRef]:
    """Per catalog table reference: the columns it reads and the predicates that prune it.

    `schemas`: (database, table) -> {column: Glue type} (partition columns included); `partitions`:
    (database, table) -> its partition columns."""
    from sqlglot.errors import OptimizeError
    from sqlglot.optimizer.qualify import qualify
    from sqlglot.optimizer.scope import traverse_scope

    select = statement.select
    wants_path = any(c.name == PATH_COLUMN for c in select.find_all(exp.Column))
    nested: dict[str, dict[str, dict[str, str]]] = {}
    for (database, table), columns in schemas.items():
        with_path = dict(columns)
        if wants_path:
            with_path[PATH_COLUMN] = "string"
        nested.setdefault(database, {})[table] = with_path
    refs_by_node: dict[int, TableRef] = {}
    try:
        qualified = qualify(
            select.copy(),
            schema=nested,
            db=default_database,
            dialect=DIALECT,
            validate_qualify_columns=True,
            quote_identifiers=False,
            expand_stars=True,
        )
    except OptimizeError as error:
        match = re.search(r"Column '([^']+)' could not be resolved", str(error))
        if match:
            name = match.group(1)
            node = next((c for c in select.find_all(exp.Column) if c.name == name.split(".")[-1].strip('"')), None)
            raise column_not_found(name, *statement.locate(node)) from None
        return _fallback(select, default_database)
    except Exception:  # noqa: BLE001 - a construct the analysis cannot follow: bill every column, prune nothing
        return _fallback(select, default_database)

    ctes = _cte_names(qualified)
    for scope in traverse_scope(qualified):
        for source in scope.sources.values():
            if not isinstance(source, exp.Table) or (not source.db and source.name.lower() in ctes):
                continue
            key = id(source)
            if key not in refs_by_node:
                meta = source.this.meta if isinstance(source.this, exp.Identifier) else {}
                refs_by_node[key] = TableRef(
                    (source.db or default_database).lower(), source.name.lower(), meta.get("line"), meta.get("col")
                )
        alias_ref = {
            alias: refs_by_node[id(source)]
            for alias, source in scope.sources.items()
            if isinstance(source, exp.Table) and id(source) in refs_by_node
        }
        for column in scope.columns:
            ref = alias_ref.get(column.table)
            if ref is not None:
                ref.columns.add(column.name.lower())
        where = scope.expression.args.get("where") if isinstance(scope.expression, exp.Select) else None
        for conjunct in _conjuncts(where.this if where is not None else None):
            if conjunct.find(exp.Subquery, exp.Select):
                continue
            columns = list(conjunct.find_all(exp.Column))
            tables = {c.table for c in columns}
            if not columns or len(tables) != 1:
                continue
            ref = alias_ref.get(tables.pop())
            if ref is None:
                continue
            names = {c.name.lower() for c in columns}
            keys = set(partitions.get((ref.database, ref.name), []))
            unqualified = conjunct.copy()
            for column in unqualified.find_all(exp.Column):
                column.set("table", None)
            if names <= keys:
                ref.partition_predicates.append(unqualified)
                _collect_injected(unqualified, ref, parameters)
            elif names <= keys | {PATH_COLUMN}:
                ref.path_predicates.append(unqualified)
    _check_comparisons(qualified, nested, [_python_type(v) for v in parameters])
    return list(refs_by_node.values())


def _collect_injected(condition: exp.Expression, ref: TableRef, parameters: list[Any]) -> None:
    def value_of(node: exp.Expression) -> Any:
        if isinstance(node, exp.Placeholder):
            return parameters[int(node.name[len(_PARAM_PREFIX) :]) - 1]
        if isinstance(node, exp.Literal):
            return node.this
        return None

    if isinstance(condition, exp.EQ) and isinstance(condition.left, exp.Column):
        value = value_of(condition.right)
        if value is not None:
            ref.injected.setdefault(condition.left.name.lower(), []).append(str(value))
    elif isinstance(condition, exp.In) and isinstance(condition.this, exp.Column) and not condition.args.get("query"):
        values = [value_of(v) for v in condition.expressions]
        if values and all(v is not None for v in values):
            ref.injected.setdefault(condition.this.name.lower(), []).extend(str(v) for v in values)


def _fallback(select: exp.Expression, default_database: str) -> list[TableRef]:
    refs = []
    for node, database, name in table_refs(select, default_database):
        meta = node.this.meta if isinstance(node.this, exp.Identifier) else {}
        refs.append(TableRef(database, name, meta.get("line"), meta.get("col"), all_columns=True))
    return refs


# ---- output and translation ----------------------------------------------------------------------------------


def output_labels(select: exp.Expression) -> list[str | None]:
    """Athena's column names of the result (lower case; `_col<N>` for an unnamed expression); None
    where a star expands (the engine takes the names DuckDB gives)."""
    query = select
    while isinstance(query, exp.SetOperation):
        query = query.left
    if isinstance(query, exp.Subquery):
        query = query.unnest()
    if not isinstance(query, exp.Select):
        return []
    labels: list[str | None] = []
    for index, projection in enumerate(query.expressions):
        if isinstance(projection, exp.Star) or (isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star)):
            labels.append(None)
        elif isinstance(projection, exp.Alias):
            labels.append(projection.alias.lower())
        elif isinstance(projection, exp.Column):
            labels.append(projection.name.lower())
        else:
            labels.append(f"_col{index}")
    return labels


def to_duckdb(select: exp.Expression, default_database: str) -> str:
    """DuckDB SQL of the statement: catalog tables as "<database>"."<table>", parameters as $1, $2, ..."""
    tree = select.copy()
    ctes = _cte_names(tree)
    for table in tree.find_all(exp.Table):
        if not table.name or isinstance(table.this, exp.Func) or (not table.db and table.name.lower() in ctes):
            continue
        table.set("catalog", None)
        table.set("db", exp.to_identifier((table.db or default_database).lower(), quoted=True))
        table.set("this", exp.to_identifier(table.name.lower(), quoted=True))
    for placeholder in list(tree.find_all(exp.Placeholder)):
        placeholder.replace(exp.var(f"${placeholder.name[len(_PARAM_PREFIX) :]}"))
    return tree.sql(dialect="duckdb")


def predicate_sql(predicates: list[exp.Expression]) -> tuple[str, list[int]]:
    """DuckDB SQL of the conjunction of these predicates, with its parameters renumbered from $1,
    and the (0-based) ExecutionParameters they take, in order."""
    tree = exp.and_(*[p.copy() for p in predicates]) if len(predicates) > 1 else predicates[0].copy()
    used: list[int] = []
    for placeholder in list(tree.find_all(exp.Placeholder)):
        used.append(int(placeholder.name[len(_PARAM_PREFIX) :]) - 1)
        placeholder.replace(exp.var(f"${len(used)}"))
    return tree.sql(dialect="duckdb"), used

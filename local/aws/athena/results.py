"""Query results as Athena stores and returns them.

Files in the result location (the query's OutputLocation, e.g. s3://bucket/athena-results/):
- `<QueryExecutionId>.csv`: the header row, then one line per row; every value in double quotes
  (a quote doubled inside), NULL as nothing between the commas (so "" is an empty string and an
  empty field is NULL), lines ending "\\n".
- `<QueryExecutionId>.csv.metadata`: Athena writes a binary file GetQueryResults uses for the column
  types; the local one is JSON ({"ColumnInfo": [...]}) under the same name.
- UNLOAD: `<QueryExecutionId>-manifest.csv`, the S3 URI of every file written, one per line (the
  query's DataManifestLocation; GetQueryResults with QueryResultType=DATA_MANIFEST reads it).

GetQueryResults reads those files back (a result deleted from S3 cannot be read, as in Athena) and
pages them: the header row is the first row of the first page and counts towards MaxResults.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from local.aws.athena.errors import invalid_request

MAX_RESULTS = 1000


def csv_text(labels: list[str], rows: list[list[str | None]]) -> str:
    def field(value: str | None) -> str:
        return "" if value is None else '"' + value.replace('"', '""') + '"'

    lines = [",".join(field(label) for label in labels)]
    lines += [",".join(field(value) for value in row) for row in rows]
    return "\n".join(lines) + "\n"


def parse_csv(text: str) -> list[list[str | None]]:
    """Rows of an Athena result CSV, NULL (an unquoted empty field) as None."""
    rows: list[list[str | None]] = []
    row: list[str | None] = []
    i, n = 0, len(text)
    while i < n:
        if text[i] == '"':
            value, i = [], i + 1
            while i < n:
                if text[i] == '"':
                    if i + 1 < n and text[i + 1] == '"':
                        value.append('"')
                        i += 2
                        continue
                    i += 1
                    break
                value.append(text[i])
                i += 1
            row.append("".join(value))
        else:
            start = i
            while i < n and text[i] not in ",\n":
                i += 1
            raw = text[start:i]
            row.append(raw if raw else None)
        if i < n and text[i] == ",":
            i += 1
            if i >= n or text[i] == "\n":
                row.append(None)
        if i < n and text[i] == "\n":
            rows.append(row)
            row = []
            i += 1
    if row:
        rows.append(row)
    return rows


def metadata_text(columns: list[dict[str, Any]]) -> str:
    return json.dumps({"ColumnInfo": columns}, indent=1) + "\n"


def manifest_text(uris: list[str]) -> str:
    return "".join(f"{uri}\n" for uri in uris)


def encode_token(execution_id: str, offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"id": execution_id, "offset": offset}).encode()).decode()


def decode_token(token: str, execution_id: str) -> int:
    try:
        decoded = json.loads(base64.urlsafe_b64decode(token.encode()))
        offset = int(decoded["offset"])
        if decoded["id"] != execution_id or offset < 0:
            raise ValueError
        return offset
    except (ValueError, KeyError, TypeError):
        raise invalid_request("The NextToken is invalid for this query execution.") from None


def page(
    rows: list[list[str | None]], execution_id: str, token: str | None, max_results: int | None
) -> tuple[list[dict[str, Any]], str | None]:
    """(Rows of one page as Athena's Row shapes, the next token or None)."""
    size = MAX_RESULTS if max_results is None else int(max_results)
    if not 1 <= size <= MAX_RESULTS:
        raise invalid_request(f"MaxResults must be between 1 and {MAX_RESULTS}")
    start = decode_token(token, execution_id) if token else 0
    chunk = rows[start : start + size]
    shaped = [{"Data": [{} if value is None else {"VarCharValue": value} for value in row]} for row in chunk]
    following = start + size
    return shaped, encode_token(execution_id, following) if following < len(rows) else None

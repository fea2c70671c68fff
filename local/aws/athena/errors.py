"""What the local Athena answers when something is wrong, worded as Athena words it.

Two kinds, as in Athena:
- `AthenaApiError`: the API call itself is refused (a ClientError: InvalidRequestException,
  TooManyRequestsException), e.g. an unknown execution id or no result location.
- `QueryFailure`: the call succeeds, the query then ends FAILED (or CANCELLED) with a
  StateChangeReason and an AthenaError, e.g. a table that does not exist.

Athena engine version 3 prefixes a failure's message with its error name (Trino's), e.g.
"TABLE_NOT_FOUND: line 1:15: Table 'awsdatacatalog.db.t' does not exist". The local Athena uses the
same names for the same causes. AthenaError.ErrorCategory follows Athena's error catalog (1 system,
2 user, 3 other); ErrorType is 1000 (user error) for mistakes in the query, 1001 (data error) for
data the table definition cannot read, 100 (internal service error) for the emulator's own failures.
"""

from __future__ import annotations

CATEGORY_SYSTEM, CATEGORY_USER, CATEGORY_OTHER = 1, 2, 3
TYPE_USER_ERROR, TYPE_DATA_ERROR, TYPE_INTERNAL = 1000, 1001, 100


class AthenaApiError(Exception):
    """A refused API call: the hook answers it with this code, HTTP status and message."""

    def __init__(self, code: str, message: str, status: int = 400, athena_code: str | None = None):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.athena_code = athena_code  # InvalidRequestException.AthenaErrorCode


def invalid_request(message: str, athena_code: str | None = None) -> AthenaApiError:
    return AthenaApiError("InvalidRequestException", message, 400, athena_code)


class QueryFailure(Exception):
    """A query that ends FAILED (or CANCELLED, when `cancelled`): `reason` is the StateChangeReason."""

    def __init__(
        self,
        name: str | None,
        message: str,
        category: int = CATEGORY_USER,
        error_type: int = TYPE_USER_ERROR,
        cancelled: bool = False,
        data_scanned: int = 0,
    ):
        self.reason = f"{name}: {message}" if name else message
        super().__init__(self.reason)
        self.category = category
        self.error_type = error_type
        self.cancelled = cancelled
        self.data_scanned = data_scanned

    @property
    def retryable(self) -> bool:
        return self.category == CATEGORY_SYSTEM


def at(line: int | None, col: int | None) -> str:
    """Trino's position prefix, "line 1:15: " (1-based), or nothing when unknown."""
    if line is None or col is None:
        return ""
    return f"line {line}:{col}: "


def syntax_error(message: str, line: int | None = None, col: int | None = None) -> QueryFailure:
    return QueryFailure("SYNTAX_ERROR", at(line, col) + message)


def table_not_found(qualified: str, line: int | None = None, col: int | None = None) -> QueryFailure:
    return QueryFailure("TABLE_NOT_FOUND", f"{at(line, col)}Table '{qualified}' does not exist")


def column_not_found(name: str, line: int | None = None, col: int | None = None) -> QueryFailure:
    return QueryFailure(
        "COLUMN_NOT_FOUND",
        f"{at(line, col)}Column '{name}' cannot be resolved or requester is not authorized to access requested resources",
    )


def bad_data(message: str) -> QueryFailure:
    return QueryFailure("HIVE_BAD_DATA", message, error_type=TYPE_DATA_ERROR)


def not_supported(message: str) -> QueryFailure:
    return QueryFailure("NOT_SUPPORTED", message)


def internal(message: str) -> QueryFailure:
    return QueryFailure("GENERIC_INTERNAL_ERROR", message, category=CATEGORY_SYSTEM, error_type=TYPE_INTERNAL)

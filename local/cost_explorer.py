"""A local Cost Explorer: answers `ce.GetCostAndUsage` from a cost data CSV (dev and tests only).

moto's own Cost Explorer returns canned results whatever the request says, so it cannot
check tenant isolation, periods or paging. This emulator implements the real request
semantics on top of an indexed in-memory dataset, and answers in the real response shape:
botocore's service model for `ce` (the output shapes) and the AWS CLI's documented example of
`get-cost-and-usage` (amounts as plain-digit strings with Cost Explorer's precision, never
rounded here; Unit; Estimated per bucket; GroupDefinitions and "Total": {} when grouped; TAG keys
"Key$value"; DimensionValueAttributes naming linked accounts; NextPageToken paging).
tests/test_cost_explorer_shape.py checks every answer against that model.

    data = CostData.from_csv("local/samples/costs.csv")
    ce = LocalCostExplorer(data, page_size=500, estimated_from=date(2026, 11, 19))
    uninstall = install(boto3.DEFAULT_SESSION, ce)   # before creating the ce client
    boto3.client("ce", region_name="us-east-1").get_cost_and_usage(...)

How the hook works (botocore 1.44, `BaseClient._make_api_call`): after parameter
validation and serialization, botocore emits `before-call.cost-explorer.GetCostAndUsage`
with `params` (the request dict: `body` is the JSON body as bytes, `url`, `url_path`, ...)
and `model`. The first handler returning non-None short-circuits the HTTP layer: botocore
takes `(http_response, parsed)` from it, emits `after-call`, raises the modeled error class
(a `ClientError`) when `http_response.status_code >= 300`, and otherwise returns `parsed`
as-is. Consequences worth knowing:

* No signing happens, so no credentials are needed (fake ones do no harm).
* botocore's retry handler runs inside the skipped HTTP layer: errors returned from the hook
  are NOT retried by boto3's `retries` config (standard or legacy). `fail_next(2)` makes
  exactly two API calls fail, whatever the client's retry mode.
* A client copies its session's event emitter when it is created: install the hook before
  creating clients (or pass a client to `install`). A client created while the hook was
  installed keeps it after `uninstall()`; the handler then answers None (disabled), so such a
  client falls through to the normal path (moto or the network).
"""

from __future__ import annotations

import base64
import calendar
import csv
import hashlib
import hmac
import json
import re
import statistics
import threading
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Context, Decimal, InvalidOperation, localcontext
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, NamedTuple, Sequence

__all__ = [
    "CostRow",
    "CostData",
    "CostExplorerError",
    "LoggedRequest",
    "LocalCostExplorer",
    "format_amount",
    "install",
]

# ---------------------------------------------------------------------------------------------
# Cost data
# ---------------------------------------------------------------------------------------------

REQUIRED_COLUMNS = ("date", "account_id", "service", "amount")
OPTIONAL_COLUMNS = {"record_type": "Usage", "currency": "USD", "region": "global", "usage_type": "NoUsageType",
                    "usage_quantity": "0", "usage_unit": "N/A", "tags": ""}
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ACCOUNT_RE = re.compile(r"^\d{12}$")
_CURRENCY_RE = re.compile(r"^[A-Z]{3}$")


class CostRow(NamedTuple):
    date: date
    account_id: str
    service: str
    amount: Decimal
    record_type: str = "Usage"
    currency: str = "USD"
    region: str = "global"
    usage_type: str = "NoUsageType"
    usage_quantity: Decimal = Decimal(0)
    usage_unit: str = "N/A"  # "Hrs", "GB-Mo", ...: what UsageQuantity's Unit says when a group has one unit
    tags: tuple[tuple[str, str], ...] = ()  # (key, value) pairs, sorted: cost allocation tags

    def tag(self, key: str) -> str | None:
        for name, value in self.tags:
            if name == key:
                return value
        return None


# The dimension a filter or GroupBy key reads from a row.
_DIMENSION_FIELD = {
    "LINKED_ACCOUNT": 1,
    "SERVICE": 2,
    "RECORD_TYPE": 4,
    "REGION": 6,
    "USAGE_TYPE": 7,
}
_GROUPABLE = ("SERVICE", "LINKED_ACCOUNT", "RECORD_TYPE", "REGION", "USAGE_TYPE")


def _row_error(source: str, line: int | str, column: str, problem: str, value: object) -> ValueError:
    return ValueError(f"{source}, line {line}, column {column!r}: {problem} (got {value!r})")


def _parse_decimal(raw: Any, source: str, line: int | str, column: str) -> Decimal:
    if isinstance(raw, Decimal):
        amount = raw
    elif isinstance(raw, (int, float)) and not isinstance(raw, bool):
        amount = Decimal(str(raw))
    else:
        try:
            amount = Decimal(str(raw if raw is not None else "").strip())
        except InvalidOperation:
            raise _row_error(source, line, column, "must be a decimal number", raw) from None
    if not amount.is_finite():
        raise _row_error(source, line, column, "must be a finite number (no NaN/Infinity)", raw)
    return amount


def _parse_tags(raw: Any, source: str, line: int | str) -> tuple[tuple[str, str], ...]:
    """A JSON object of tag key -> value (as FOCUS and CUR files write tags), or empty."""
    if raw in (None, "", ()):
        return ()
    if isinstance(raw, tuple):
        return tuple(sorted(raw))
    parsed = raw
    if isinstance(raw, str):
        try:
            parsed = json.loads(raw)
        except ValueError:
            raise _row_error(source, line, "tags", 'must be a JSON object like {"Environment": "Prod"}', raw) from None
    if not isinstance(parsed, Mapping) or not all(isinstance(k, str) and k and isinstance(v, str)
                                                  for k, v in parsed.items()):
        raise _row_error(source, line, "tags", 'must be a JSON object of non-empty keys and string values', raw)
    return tuple(sorted(parsed.items()))


def _parse_row(values: Mapping[str, Any], source: str, line: int | str) -> CostRow:
    raw_date = values.get("date")
    if isinstance(raw_date, date):
        day = raw_date
    else:
        text = str(raw_date if raw_date is not None else "").strip()
        if not _DATE_RE.match(text):
            raise _row_error(source, line, "date", "must be a date written YYYY-MM-DD", raw_date)
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise _row_error(source, line, "date", "is not a real calendar date", raw_date) from None

    account = str(values.get("account_id") if values.get("account_id") is not None else "").strip()
    if not _ACCOUNT_RE.match(account):
        raise _row_error(source, line, "account_id", "must be exactly 12 digits", values.get("account_id"))

    service = str(values.get("service") if values.get("service") is not None else "").strip()
    if not service:
        raise _row_error(source, line, "service", "must not be empty", values.get("service"))

    amount = _parse_decimal(values.get("amount"), source, line, "amount")

    record_type = str(values.get("record_type") or "").strip() or OPTIONAL_COLUMNS["record_type"]
    currency = str(values.get("currency") or "").strip() or OPTIONAL_COLUMNS["currency"]
    if not _CURRENCY_RE.match(currency):
        raise _row_error(source, line, "currency", "must be a 3-letter ISO currency code like USD", values.get("currency"))
    region = str(values.get("region") or "").strip() or OPTIONAL_COLUMNS["region"]
    usage_type = str(values.get("usage_type") or "").strip() or OPTIONAL_COLUMNS["usage_type"]
    raw_quantity = values.get("usage_quantity")
    quantity = Decimal(0) if raw_quantity in (None, "") else _parse_decimal(raw_quantity, source, line, "usage_quantity")
    unit = str(values.get("usage_unit") or "").strip() or OPTIONAL_COLUMNS["usage_unit"]
    tags = _parse_tags(values.get("tags"), source, line)
    return CostRow(day, account, service, amount, record_type, currency, region, usage_type, quantity, unit, tags)


class CostData:
    """Validated cost rows, indexed by day and by (day, account) for cheap queries."""

    def __init__(self, rows: Iterable[CostRow]):
        self.rows: list[CostRow] = list(rows)
        by_day: dict[date, list[CostRow]] = defaultdict(list)
        by_day_account: dict[date, dict[str, list[CostRow]]] = defaultdict(lambda: defaultdict(list))
        currencies: dict[str, int] = defaultdict(int)
        currency_of: dict[tuple[date, str, str], str] = {}
        for row in self.rows:
            seen = currency_of.setdefault((row.date, row.account_id, row.service), row.currency)
            if seen != row.currency:
                # Cost Explorer answers one currency per account; adding EUR into USD would be a wrong total.
                raise ValueError(
                    f"account {row.account_id}, service {row.service!r} on {row.date.isoformat()} has amounts in "
                    f"both {seen} and {row.currency}: the local Cost Explorer does not mix currencies within "
                    f"one account, service and day"
                )
            by_day[row.date].append(row)
            by_day_account[row.date][row.account_id].append(row)
            currencies[row.currency] += 1
        self._by_day = dict(by_day)
        self._by_day_account = {day: dict(accounts) for day, accounts in by_day_account.items()}
        self.currency = max(currencies, key=currencies.__getitem__) if currencies else "USD"
        self.accounts = frozenset(row.account_id for row in self.rows)
        self.first_day = min(self._by_day) if self._by_day else None
        self.last_day = max(self._by_day) if self._by_day else None

    def __len__(self) -> int:
        return len(self.rows)

    @classmethod
    def from_csv(cls, path: str | Path) -> "CostData":
        path = Path(path)
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            header = reader.fieldnames
            if not header:
                raise ValueError(f"{path}, line 1: empty file, expected the header {','.join(REQUIRED_COLUMNS)}")
            cls._check_header([h.strip() for h in header], str(path))
            reader.fieldnames = [h.strip() for h in header]
            rows = []
            for values in reader:
                line = reader.line_num
                if None in values:
                    raise ValueError(f"{path}, line {line}: more fields than the header has columns")
                missing = [c for c in reader.fieldnames if values.get(c) is None]
                if missing:
                    raise ValueError(f"{path}, line {line}, column {missing[0]!r}: missing (row has too few fields)")
                rows.append(_parse_row(values, str(path), line))
        return cls(rows)

    @classmethod
    def from_rows(cls, rows: Iterable[Mapping[str, Any] | Sequence[Any]], source: str = "<rows>") -> "CostData":
        """Rows as mappings (CSV column names) or sequences in CostRow field order.

        Already-typed values (date, Decimal) skip parsing. `line` in errors is the 1-based row
        number plus one, as if a header line preceded the rows.
        """
        parsed = []
        for index, row in enumerate(rows, start=2):
            if isinstance(row, CostRow):
                row = row._asdict()
            elif not isinstance(row, Mapping):
                row = dict(zip(CostRow._fields, row))
            else:
                unknown = set(row) - set(REQUIRED_COLUMNS) - set(OPTIONAL_COLUMNS)
                if unknown:
                    raise ValueError(f"{source}, line {index}, column {sorted(unknown)[0]!r}: unknown column")
            parsed.append(_parse_row(row, source, index))
        return cls(parsed)

    @staticmethod
    def _check_header(header: list[str], source: str) -> None:
        for column in REQUIRED_COLUMNS:
            if column not in header:
                raise ValueError(f"{source}, line 1, column {column!r}: required column missing from the header")
        for column in header:
            if column not in REQUIRED_COLUMNS and column not in OPTIONAL_COLUMNS:
                raise ValueError(
                    f"{source}, line 1, column {column!r}: unknown column "
                    f"(known: {', '.join(REQUIRED_COLUMNS + tuple(OPTIONAL_COLUMNS))})"
                )
        duplicates = sorted({c for c in header if header.count(c) > 1})
        if duplicates:
            raise ValueError(f"{source}, line 1, column {duplicates[0]!r}: duplicate column")

    def rows_for(self, day: date, accounts: frozenset[str] | None) -> Iterator[CostRow]:
        """Rows of one day, only those of `accounts` when given (index lookups, no scan)."""
        if accounts is None:
            yield from self._by_day.get(day, ())
            return
        per_account = self._by_day_account.get(day)
        if not per_account:
            return
        for account in accounts:
            yield from per_account.get(account, ())


# ---------------------------------------------------------------------------------------------
# Errors and request log
# ---------------------------------------------------------------------------------------------


class CostExplorerError(Exception):
    """An AWS error answer: the hook turns it into a ClientError with this code and status."""

    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


def _validation(message: str) -> CostExplorerError:
    return CostExplorerError("ValidationException", message, 400)


class LoggedRequest(NamedTuple):
    """One call as seen by the emulator: the accounts its Filter restricts to (sorted; None when
    the filter does not restrict accounts) and its TimePeriod (Start, End)."""

    accounts: tuple[str, ...] | None
    time_period: tuple[str, str]


# ---------------------------------------------------------------------------------------------
# Request parsing
# ---------------------------------------------------------------------------------------------

_FORECAST_METRICS = {"AMORTIZED_COST", "BLENDED_COST", "NET_AMORTIZED_COST", "NET_UNBLENDED_COST", "UNBLENDED_COST"}
FORECAST_HISTORY_DAYS = 14
FORECAST_MIN_DAYS = 7  # fewer days with data: DataUnavailableException, as AWS answers a new account
_COST_METRICS = {"UnblendedCost", "AmortizedCost", "NetAmortizedCost", "BlendedCost", "NetUnblendedCost"}
_QUANTITY_METRICS = {"UsageQuantity", "NormalizedUsageAmount"}
_EXPRESSION_ROOTS = ("And", "Or", "Not", "Dimensions", "Tags", "CostCategories", "ProductAttributes")
Predicate = Callable[[CostRow], bool]


def _parse_day(value: Any, name: str) -> date:
    if not isinstance(value, str) or not _DATE_RE.match(value):
        raise _validation(f"{name} must be a date in the format YYYY-MM-DD, got {value!r}")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _validation(f"{name} is not a valid date: {value!r}") from None


def _compile_filter(expression: Any, path: str = "Filter") -> tuple[Predicate, frozenset[str] | None]:
    """(predicate, accounts) where accounts is a superset of the LINKED_ACCOUNT values a row
    must have to match (None: unconstrained), so queries can use the (day, account) index."""
    if not isinstance(expression, Mapping):
        raise _validation(f"{path} must be an Expression object")
    roots = [key for key in _EXPRESSION_ROOTS if expression.get(key) is not None]
    if len(roots) != 1:
        if not roots:
            raise _validation(f"{path}: expression is empty; one of And, Or, Not, Dimensions is required")
        raise _validation(
            f"{path}: Expression has more than one roots. Only one root operator is allowed for each "
            "expression: And, Or, Not, Dimensions, Tags, CostCategories"
        )
    root = roots[0]
    if root in ("And", "Or"):
        operands = expression[root]
        if not isinstance(operands, list) or not operands:
            raise _validation(f"{path}.{root} must be a non-empty list of expressions")
        compiled = [_compile_filter(item, f"{path}.{root}[{i}]") for i, item in enumerate(operands)]
        predicates = [p for p, _ in compiled]
        account_sets = [a for _, a in compiled]
        if root == "And":
            constrained = [a for a in account_sets if a is not None]
            accounts = frozenset.intersection(*constrained) if constrained else None
            return (lambda row: all(p(row) for p in predicates)), accounts
        accounts = None if any(a is None for a in account_sets) else frozenset().union(*account_sets)
        return (lambda row: any(p(row) for p in predicates)), accounts
    if root == "Not":
        inner, _ = _compile_filter(expression["Not"], f"{path}.Not")
        return (lambda row: not inner(row)), None
    if root == "Tags":
        return _compile_tag_filter(expression["Tags"], f"{path}.Tags"), None
    if root != "Dimensions":
        raise _validation(f"{path}.{root}: the local Cost Explorer has no {root} data; filter by Dimensions or Tags")

    dimension = expression["Dimensions"]
    key = dimension.get("Key")
    values = dimension.get("Values")
    if key not in _DIMENSION_FIELD:
        raise _validation(
            f"{path}.Dimensions.Key {key!r} is not supported by the local Cost Explorer "
            f"(supported: {', '.join(_DIMENSION_FIELD)})"
        )
    if not isinstance(values, list) or not values:
        raise _validation(f"{path}.Dimensions.Values must be a non-empty list")
    options = dimension.get("MatchOptions") or ["EQUALS"]
    bad = [o for o in options if o not in ("EQUALS", "CASE_SENSITIVE")]
    if bad:
        # The real GetCostAndUsage only accepts these two for Dimensions.
        raise _validation(f"{path}.Dimensions.MatchOptions: valid values for Dimensions are EQUALS and CASE_SENSITIVE, got {bad[0]!r}")
    wanted = frozenset(str(v) for v in values)
    index = _DIMENSION_FIELD[key]
    accounts = wanted if key == "LINKED_ACCOUNT" else None
    return (lambda row: row[index] in wanted), accounts


def _compile_tag_filter(tag: Any, path: str) -> Predicate:
    """{"Key": "Environment", "Values": ["Prod"]} matches rows tagged Environment=Prod;
    "MatchOptions": ["ABSENT"] matches rows without the tag (Cost Explorer's untagged costs)."""
    if not isinstance(tag, Mapping):
        raise _validation(f"{path} must be a TagValues object")
    key = tag.get("Key")
    if not isinstance(key, str) or not key:
        raise _validation(f"{path}.Key is required")
    options = tag.get("MatchOptions") or ["EQUALS"]
    bad = [o for o in options if o not in ("EQUALS", "CASE_SENSITIVE", "ABSENT")]
    if bad:
        raise _validation(f"{path}.MatchOptions: the local Cost Explorer supports EQUALS, CASE_SENSITIVE and ABSENT, got {bad[0]!r}")
    if "ABSENT" in options:
        return lambda row: row.tag(key) is None
    values = tag.get("Values")
    if not isinstance(values, list) or not values:
        raise _validation(f"{path}.Values must be a non-empty list")
    wanted = frozenset(str(v) for v in values)
    return lambda row: row.tag(key) in wanted


@dataclass(frozen=True)
class _Query:
    start: date
    end: date
    granularity: str
    metrics: tuple[str, ...]
    group_by: tuple[str, ...]
    predicate: Predicate | None
    accounts: frozenset[str] | None
    fingerprint: str
    group_definitions: list[dict[str, str]] = field(default_factory=list)


def _canonical(params: Mapping[str, Any]) -> str:
    without_token = {k: v for k, v in params.items() if k != "NextPageToken"}
    return json.dumps(without_token, sort_keys=True, separators=(",", ":"), default=str)


def _parse_request(params: Mapping[str, Any]) -> _Query:
    period = params.get("TimePeriod")
    if not isinstance(period, Mapping):
        raise _validation("TimePeriod is required")
    start = _parse_day(period.get("Start"), "TimePeriod.Start")
    end = _parse_day(period.get("End"), "TimePeriod.End")
    if start >= end:
        raise _validation("Start date (and hour) should be before end date (and hour)")

    granularity = params.get("Granularity")
    if granularity == "HOURLY":
        raise _validation("Hourly granularity is not supported by the local Cost Explorer")
    if granularity not in ("DAILY", "MONTHLY"):
        raise _validation(f"Granularity must be DAILY or MONTHLY, got {granularity!r}")

    metrics = params.get("Metrics")
    if not isinstance(metrics, list) or not metrics:
        raise _validation("Metrics is required for GetCostAndUsage requests")
    for metric in metrics:
        if metric not in _COST_METRICS and metric not in _QUANTITY_METRICS:
            raise _validation(
                f"Metric {metric!r} is not valid. Valid values are AmortizedCost, BlendedCost, "
                "NetAmortizedCost, NetUnblendedCost, NormalizedUsageAmount, UnblendedCost, UsageQuantity"
            )

    group_by = params.get("GroupBy") or []
    if len(group_by) > 2:
        raise _validation("GroupBy accepts up to two groups")
    keys: list[str] = []
    definitions = []
    for i, group in enumerate(group_by):
        kind, key = group.get("Type"), group.get("Key")
        if kind == "TAG":
            if not isinstance(key, str) or not key:
                raise _validation(f"GroupBy[{i}].Key: a TAG group needs the tag key")
            name = f"{_TAG_GROUP}{key}"
        elif kind == "DIMENSION":
            if key not in _GROUPABLE:
                raise _validation(f"GroupBy[{i}].Key {key!r} must be one of {', '.join(_GROUPABLE)}")
            name = key
        else:
            raise _validation(f"GroupBy[{i}].Type {kind!r} is not supported by the local Cost Explorer (DIMENSION or TAG)")
        if name in keys:
            raise _validation(f"GroupBy[{i}]: duplicate group key {key!r}")
        keys.append(name)
        definitions.append({"Type": kind, "Key": key})

    predicate: Predicate | None = None
    accounts: frozenset[str] | None = None
    if params.get("Filter") is not None:
        predicate, accounts = _compile_filter(params["Filter"])

    fingerprint = hashlib.sha256(_canonical(params).encode()).hexdigest()[:24]
    return _Query(start, end, granularity, tuple(metrics), tuple(keys), predicate, accounts, fingerprint, definitions)


def _buckets(start: date, end: date, granularity: str) -> list[tuple[date, date]]:
    if granularity == "DAILY":
        return [(start + timedelta(days=i), start + timedelta(days=i + 1)) for i in range((end - start).days)]
    buckets = []
    cursor = start
    while cursor < end:
        days_in_month = calendar.monthrange(cursor.year, cursor.month)[1]
        next_month = cursor.replace(day=1) + timedelta(days=days_in_month)
        bucket_end = min(next_month, end)
        buckets.append((cursor, bucket_end))
        cursor = bucket_end
    return buckets


_TAG_GROUP = "TAG:"  # a TAG group in _Query.group_by: "TAG:<tag key>" (dimension names have no colon)
# Sums are exact: the emulator never rounds what the data says (default contexts keep 28 digits).
_EXACT = Context(prec=1000)


def _group_key(name: str) -> Callable[[CostRow], str]:
    """What one GroupBy entry reads from a row; a TAG key answers "Key$value" ("Key$" untagged), as AWS does."""
    if name.startswith(_TAG_GROUP):
        key = name[len(_TAG_GROUP):]
        return lambda row: f"{key}${row.tag(key) or ''}"
    index = _DIMENSION_FIELD[name]
    return lambda row: row[index]


def format_amount(value: Decimal) -> str:
    """An amount as Cost Explorer writes it: plain digits (never an exponent), no trailing zeros,
    "0" for zero ("40.3527508453", "0.0000035", "389"). Nothing is rounded: every digit the data
    has is kept."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


FORECAST_PLACES = Decimal("1e-10")  # a forecast is computed, not data: written with Cost Explorer's 10 decimals


# ---------------------------------------------------------------------------------------------
# The emulator
# ---------------------------------------------------------------------------------------------


class _Sum:
    """One group of one bucket: cost, currency, usage quantity and its unit (None once units mix)."""

    __slots__ = ("amount", "currency", "quantity", "usage_unit")

    def __init__(self, amount: Decimal, currency: str, quantity: Decimal, usage_unit: str):
        self.amount, self.currency, self.quantity = amount, currency, quantity
        self.usage_unit: str | None = None if usage_unit == "N/A" else usage_unit

    def add(self, row: CostRow) -> None:
        self.amount += row.amount
        self.quantity += row.usage_quantity
        if self.usage_unit != row.usage_unit:
            self.usage_unit = None

_TOKEN_KEY = b"local-cost-explorer/next-page-token/v1"


class LocalCostExplorer:
    """GetCostAndUsage over a CostData, with paging, a request counter and fault injection.

    `requests` counts every call that reaches the emulator (each page is one request, as AWS
    bills it; injected faults and rejected requests count too). `succeeded` counts answered ones.
    `log` records a LoggedRequest per call, `params_log` the raw request parameters.
    """

    def __init__(
        self,
        data: CostData,
        page_size: int = 500,
        estimated_from: date | None = None,
        fault_hook: Callable[[dict], None] | None = None,
        today: date | None = None,
        account_names: Mapping[str, str] | None = None,
    ):
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        self.data = data
        self.page_size = page_size
        self.estimated_from = estimated_from
        self.fault_hook = fault_hook
        self.today = today  # GetCostForecast refuses a Start before it (None: not checked)
        # DimensionValueAttributes' description of a linked account (AWS gives the account's name)
        self.account_names = dict(account_names or {})
        self._lock = threading.Lock()
        self._requests = 0
        self._succeeded = 0
        self._faults: list[CostExplorerError] = []
        self.log: list[LoggedRequest] = []
        self.params_log: list[dict] = []

    # -- counters and faults ------------------------------------------------------------------

    @property
    def requests(self) -> int:
        with self._lock:
            return self._requests

    @property
    def succeeded(self) -> int:
        with self._lock:
            return self._succeeded

    def reset_counters(self) -> None:
        with self._lock:
            self._requests = 0
            self._succeeded = 0
            self.log.clear()
            self.params_log.clear()

    def fail_next(
        self,
        n: int,
        code: str = "LimitExceededException",
        message: str = "Rate exceeded",
        status: int = 400,
    ) -> None:
        """Make the next n calls fail with this AWS error (queued after faults already pending)."""
        with self._lock:
            self._faults.extend(CostExplorerError(code, message, status) for _ in range(n))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    # -- the API -----------------------------------------------------------------------------

    def get_cost_and_usage(self, **params: Any) -> dict:
        """Answer like AWS or raise CostExplorerError (the hook turns it into a ClientError)."""
        accounts_logged: tuple[str, ...] | None = None
        try:
            if params.get("Filter") is not None:
                _, accounts = _compile_filter(params["Filter"])
                accounts_logged = tuple(sorted(accounts)) if accounts is not None else None
        except CostExplorerError:
            accounts_logged = None
        self._count(params, accounts_logged)
        query = _parse_request(params)
        result = self._answer(query, params.get("NextPageToken"))
        with self._lock:
            self._succeeded += 1
        return result

    def _answer(self, query: _Query, token: str | None) -> dict:
        buckets = _buckets(query.start, query.end, query.granularity)
        aggregated = [self._aggregate(query, start, end) for start, end in buckets]
        unit = self.data.currency

        def metrics_for(total: "_Sum | None") -> dict:
            out = {}
            for metric in query.metrics:
                if metric == "UsageQuantity":
                    # One unit when every row of the group has it ("Hrs"); mixed units read "N/A", as in AWS.
                    out[metric] = {"Amount": format_amount(total.quantity) if total else "0",
                                   "Unit": (total.usage_unit or "N/A") if total else "N/A"}
                elif metric in _QUANTITY_METRICS:
                    out[metric] = {"Amount": "0", "Unit": "N/A"}  # no normalized units in the cost file
                else:
                    out[metric] = {"Amount": format_amount(total.amount) if total else "0",
                                   "Unit": total.currency if total else unit}
            return out

        def bucket_header(start: date, end: date) -> dict:
            return {"TimePeriod": {"Start": start.isoformat(), "End": end.isoformat()}}

        def estimated(end: date) -> bool:
            # A bucket is estimated when it holds any day on or after estimated_from. For DAILY
            # buckets that is `start >= estimated_from`; a MONTHLY bucket in progress is estimated.
            return self.estimated_from is not None and end > self.estimated_from

        response: dict[str, Any] = {}
        if not query.group_by:
            results = []
            for (start, end), groups in zip(buckets, aggregated):
                results.append({**bucket_header(start, end), "Total": metrics_for(groups.get(())), "Groups": [],
                                "Estimated": estimated(end)})
            if token is not None:
                self._decode_token(token, query, total=0)
            response["ResultsByTime"] = results
            response["DimensionValueAttributes"] = []
            return response

        # Flatten groups across buckets; cut pages of page_size group entries.
        ordered = [sorted(groups.items()) for groups in aggregated]
        offsets = []
        total_groups = 0
        for groups in ordered:
            offsets.append(total_groups)
            total_groups += len(groups)
        page_start = 0 if token is None else self._decode_token(token, query, total=total_groups)
        page_end = min(page_start + self.page_size, total_groups)
        last_page = page_end >= total_groups

        results = []
        seen_accounts: list[str] = []
        for (start, end), groups, offset in zip(buckets, ordered, offsets):
            lo, hi = offset, offset + len(groups)
            if groups:
                if hi <= page_start or lo >= page_end:
                    continue
                chosen = groups[max(page_start, lo) - lo : min(page_end, hi) - lo]
            else:
                # An empty bucket goes on the page whose range holds its position.
                if not (page_start <= lo < page_end or (lo >= total_groups and last_page)):
                    continue
                chosen = []
            entries = []
            for keys, total in chosen:
                entries.append({"Keys": list(keys), "Metrics": metrics_for(total)})
                if "LINKED_ACCOUNT" in query.group_by:
                    account = keys[query.group_by.index("LINKED_ACCOUNT")]
                    if account not in seen_accounts:
                        seen_accounts.append(account)
            results.append({**bucket_header(start, end), "Total": {}, "Groups": entries, "Estimated": estimated(end)})

        response["GroupDefinitions"] = [dict(d) for d in query.group_definitions]
        response["ResultsByTime"] = results
        # AWS describes each linked account on the page by its name (the account id when it has none).
        response["DimensionValueAttributes"] = [
            {"Value": account, "Attributes": {"description": self.account_names.get(account, account)}}
            for account in seen_accounts
        ]
        if not last_page:
            response["NextPageToken"] = self._encode_token(page_end, query)
        return response

    def _aggregate(self, query: _Query, start: date, end: date) -> dict[tuple[str, ...], "_Sum"]:
        readers = [_group_key(name) for name in query.group_by]
        sums: dict[tuple[str, ...], _Sum] = {}
        predicate = query.predicate
        day = start
        with localcontext(_EXACT):
            while day < end:
                for row in self.data.rows_for(day, query.accounts):
                    if predicate is not None and not predicate(row):
                        continue
                    key = tuple(read(row) for read in readers)
                    total = sums.get(key)
                    if total is None:
                        sums[key] = _Sum(row.amount, row.currency, row.usage_quantity, row.usage_unit)
                    else:
                        total.add(row)
                day += timedelta(days=1)
        return sums

    def _count(self, params: Mapping[str, Any], accounts_logged: tuple[str, ...] | None) -> None:
        """Every call is a billed request: count and log it, then raise a queued or hooked fault."""
        period = params.get("TimePeriod") or {}
        with self._lock:
            self._requests += 1
            self.log.append(LoggedRequest(accounts_logged, (str(period.get("Start")), str(period.get("End")))))
            self.params_log.append(json.loads(json.dumps(params, default=str)))
            fault = self._faults.pop(0) if self._faults else None
        if fault is not None:
            raise fault
        if self.fault_hook is not None:
            self.fault_hook(params)  # type: ignore[arg-type]

    # -- GetCostForecast ----------------------------------------------------------------------

    def get_cost_forecast(self, **params: Any) -> dict:
        """A forecast by a simple, documented method: every future day costs the mean daily total of
        the FORECAST_HISTORY_DAYS days before Start (same Filter); the prediction interval is that mean
        plus or minus z(level) standard deviations per day, summed. Counted and faulted like any call."""
        self._count(params, None)
        with localcontext(Context(prec=60)):  # 10 decimals of a large forecast need more than 28 digits
            answer = self._forecast(params)
        with self._lock:
            self._succeeded += 1
        return answer

    def _forecast(self, params: Mapping[str, Any]) -> dict:
        if not isinstance(params.get("TimePeriod"), Mapping):
            raise _validation("TimePeriod is required")
        start = _parse_day(params["TimePeriod"].get("Start"), "TimePeriod.Start")
        end = _parse_day(params["TimePeriod"].get("End"), "TimePeriod.End")
        if start >= end:
            raise _validation("Start date (and hour) should be before end date (and hour)")
        if self.today is not None and start < self.today:
            raise _validation("Start date must be equal to or greater than the current date")
        metric = params.get("Metric")
        if metric not in _FORECAST_METRICS:
            raise _validation(f"Metric must be one of {', '.join(sorted(_FORECAST_METRICS))}, got {metric!r}")
        granularity = params.get("Granularity")
        if granularity not in ("DAILY", "MONTHLY"):
            raise _validation(f"Granularity must be DAILY or MONTHLY, got {granularity!r}")
        level = params.get("PredictionIntervalLevel", 80)
        if not isinstance(level, int) or not 51 <= level <= 99:
            raise _validation("PredictionIntervalLevel must be an integer between 51 and 99")
        predicate: Predicate | None = None
        accounts: frozenset[str] | None = None
        if params.get("Filter") is not None:
            predicate, accounts = _compile_filter(params["Filter"])
        history = []
        for offset in range(FORECAST_HISTORY_DAYS, 0, -1):
            day = start - timedelta(days=offset)
            rows = [r for r in self.data.rows_for(day, accounts) if predicate is None or predicate(r)]
            if rows:
                history.append(sum((r.amount for r in rows), Decimal(0)))
        if len(history) < FORECAST_MIN_DAYS:
            raise CostExplorerError("DataUnavailableException", "Insufficient amount of historical data to generate a forecast.", 400)
        mean = sum(history, Decimal(0)) / len(history)
        spread = (sum(((h - mean) ** 2 for h in history), Decimal(0)) / len(history)).sqrt()
        z = Decimal(str(statistics.NormalDist().inv_cdf(0.5 + level / 200)))
        results = []
        for bucket_start, bucket_end in _buckets(start, end, granularity):
            days = (bucket_end - bucket_start).days
            value = mean * days
            margin = z * spread * days
            results.append({
                "TimePeriod": {"Start": bucket_start.isoformat(), "End": bucket_end.isoformat()},
                "MeanValue": format_amount(value.quantize(FORECAST_PLACES)),
                "PredictionIntervalLowerBound": format_amount((value - margin).quantize(FORECAST_PLACES)),
                "PredictionIntervalUpperBound": format_amount((value + margin).quantize(FORECAST_PLACES)),
            })
        total = mean * (end - start).days
        return {"Total": {"Amount": format_amount(total.quantize(FORECAST_PLACES)), "Unit": self.data.currency},
                "ForecastResultsByTime": results}

    # -- paging tokens -------------------------------------------------------------------------

    @staticmethod
    def _sign(payload: bytes) -> str:
        return hmac.new(_TOKEN_KEY, payload, hashlib.sha256).hexdigest()[:32]

    def _encode_token(self, offset: int, query: _Query) -> str:
        payload = json.dumps({"o": offset, "h": query.fingerprint}, separators=(",", ":")).encode()
        blob = payload + b"." + self._sign(payload).encode()
        return base64.urlsafe_b64encode(blob).decode().rstrip("=")

    def _decode_token(self, token: str, query: _Query, total: int) -> int:
        invalid = CostExplorerError(
            "InvalidNextTokenException", "The pagination token is invalid. Try again without a pagination token.", 400
        )
        try:
            blob = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            payload, _, signature = blob.rpartition(b".")
            if not payload or not hmac.compare_digest(signature.decode(), self._sign(payload)):
                raise invalid
            decoded = json.loads(payload)
            offset = int(decoded["o"])
            fingerprint = str(decoded["h"])
        except CostExplorerError:
            raise
        except Exception:
            raise invalid from None
        if fingerprint != query.fingerprint:
            raise CostExplorerError(
                "InvalidNextTokenException",
                "The pagination token was issued for a different request. Repeat the original request "
                "parameters or start again without a pagination token.",
                400,
            )
        if not 0 < offset < max(total, 1):
            raise invalid
        return offset


# ---------------------------------------------------------------------------------------------
# The botocore hook
# ---------------------------------------------------------------------------------------------

# `ce` is an alias of the service id `cost-explorer`; one handler answers both operations.
_EVENTS = {
    "before-call.cost-explorer.GetCostAndUsage": "get_cost_and_usage",
    "before-call.cost-explorer.GetCostForecast": "get_cost_forecast",
}


def _events_of(target: Any) -> Any:
    if target is None:
        import boto3

        target = boto3._get_default_session()  # what boto3.client() uses
    meta = getattr(target, "meta", None)
    if meta is not None and hasattr(meta, "events"):
        return meta.events  # a client
    if hasattr(target, "events"):
        return target.events  # a boto3 Session
    if hasattr(target, "get_component"):
        return target.get_component("event_emitter")  # a botocore Session
    raise TypeError(f"install() needs a boto3/botocore Session or a client, got {type(target).__name__}")


def _request_params(params: Mapping[str, Any]) -> dict:
    body = params.get("body")
    if isinstance(body, (bytes, bytearray)):
        body = body.decode("utf-8")
    if isinstance(body, str):
        return json.loads(body) if body.strip() else {}
    if isinstance(body, Mapping):
        return dict(body)
    return {}


def install(session: Any, ce: LocalCostExplorer) -> Callable[[], None]:
    """Answer `ce.GetCostAndUsage` and `ce.GetCostForecast` from `ce` for clients created from `session` from now on.

    `session` is a boto3 Session (e.g. boto3.DEFAULT_SESSION; None means boto3's default
    session), a botocore Session, or an existing client. Returns `uninstall()`.
    """
    from botocore.awsrequest import AWSResponse

    events = _events_of(session)
    state = {"active": True}

    def handler(params: dict, model: Any = None, event_name: str = "", **_: Any) -> tuple[Any, dict] | None:
        if not state["active"]:
            return None  # clients created while installed keep a copy of this handler
        url = params.get("url") or "https://ce.us-east-1.amazonaws.com/"
        request_id = str(uuid.uuid4())
        headers = {"x-amzn-requestid": request_id, "content-type": "application/x-amz-json-1.1"}
        try:
            parsed = getattr(ce, _EVENTS[event_name])(**_request_params(params))
            status = 200
        except CostExplorerError as error:
            status = error.status
            parsed = {"Error": {"Code": error.code, "Message": error.message}, "Message": error.message}
        parsed["ResponseMetadata"] = {
            "RequestId": request_id,
            "HTTPStatusCode": status,
            "HTTPHeaders": dict(headers),
            "RetryAttempts": 0,
        }
        return AWSResponse(url, status, headers, None), parsed

    for event in _EVENTS:
        events.register(event, handler)

    def uninstall() -> None:
        state["active"] = False
        for event in _EVENTS:
            events.unregister(event, handler)

    return uninstall

"""The local Cost Explorer's query logic: a GetCostAndUsage request parsed and checked as AWS checks
it, its Filter compiled to a row predicate (with the accounts it can match, for the index), its time
buckets, its groups summed exactly, and the signed paging tokens that tie a page to its request.

Errors are `CostExplorerError`s with AWS's codes and messages; service.py turns them into answers.
"""

from __future__ import annotations

import base64
import calendar
import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Context, Decimal, localcontext
from typing import Any

from local.aws.cost_explorer.data import DATE_RE, DIMENSION_FIELD, CostData, CostRow


class CostExplorerError(Exception):
    """An AWS error answer: the hook turns it into a ClientError with this code and status."""

    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


def validation_error(message: str) -> CostExplorerError:
    return CostExplorerError("ValidationException", message, 400)


COST_METRICS = {"UnblendedCost", "AmortizedCost", "NetAmortizedCost", "BlendedCost", "NetUnblendedCost"}
QUANTITY_METRICS = {"UsageQuantity", "NormalizedUsageAmount"}
_EXPRESSION_ROOTS = ("And", "Or", "Not", "Dimensions", "Tags", "CostCategories", "ProductAttributes")
_GROUPABLE = ("SERVICE", "LINKED_ACCOUNT", "RECORD_TYPE", "REGION", "USAGE_TYPE")
Predicate = Callable[[CostRow], bool]


def parse_day(value: Any, name: str) -> date:
    if not isinstance(value, str) or not DATE_RE.match(value):
        raise validation_error(f"{name} must be a date in the format YYYY-MM-DD, got {value!r}")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise validation_error(f"{name} is not a valid date: {value!r}") from None


def compile_filter(expression: Any, path: str = "Filter") -> tuple[Predicate, frozenset[str] | None]:
    """(predicate, accounts) where accounts is a superset of the LINKED_ACCOUNT values a row
    must have to match (None: unconstrained), so queries can use the (day, account) index."""
    if not isinstance(expression, Mapping):
        raise validation_error(f"{path} must be an Expression object")
    roots = [key for key in _EXPRESSION_ROOTS if expression.get(key) is not None]
    if len(roots) != 1:
        if not roots:
            raise validation_error(f"{path}: expression is empty; one of And, Or, Not, Dimensions is required")
        raise validation_error(
            f"{path}: Expression has more than one roots. Only one root operator is allowed for each "
            "expression: And, Or, Not, Dimensions, Tags, CostCategories"
        )
    root = roots[0]
    if root in ("And", "Or"):
        operands = expression[root]
        if not isinstance(operands, list) or not operands:
            raise validation_error(f"{path}.{root} must be a non-empty list of expressions")
        compiled = [compile_filter(item, f"{path}.{root}[{i}]") for i, item in enumerate(operands)]
        predicates = [p for p, _ in compiled]
        account_sets = [a for _, a in compiled]
        if root == "And":
            constrained = [a for a in account_sets if a is not None]
            accounts = frozenset.intersection(*constrained) if constrained else None
            return (lambda row: all(p(row) for p in predicates)), accounts
        accounts = None if any(a is None for a in account_sets) else frozenset().union(*account_sets)
        return (lambda row: any(p(row) for p in predicates)), accounts
    if root == "Not":
        inner, _ = compile_filter(expression["Not"], f"{path}.Not")
        return (lambda row: not inner(row)), None
    if root == "Tags":
        return _compile_tag_filter(expression["Tags"], f"{path}.Tags"), None
    if root != "Dimensions":
        raise validation_error(f"{path}.{root}: the local Cost Explorer has no {root} data; filter by Dimensions or Tags")

    dimension = expression["Dimensions"]
    key = dimension.get("Key")
    values = dimension.get("Values")
    if key not in DIMENSION_FIELD:
        raise validation_error(
            f"{path}.Dimensions.Key {key!r} is not supported by the local Cost Explorer "
            f"(supported: {', '.join(DIMENSION_FIELD)})"
        )
    if not isinstance(values, list) or not values:
        raise validation_error(f"{path}.Dimensions.Values must be a non-empty list")
    options = dimension.get("MatchOptions") or ["EQUALS"]
    bad = [o for o in options if o not in ("EQUALS", "CASE_SENSITIVE")]
    if bad:
        # The real GetCostAndUsage only accepts these two for Dimensions.
        raise validation_error(
            f"{path}.Dimensions.MatchOptions: valid values for Dimensions are EQUALS and CASE_SENSITIVE, got {bad[0]!r}")
    wanted = frozenset(str(v) for v in values)
    index = DIMENSION_FIELD[key]
    accounts = wanted if key == "LINKED_ACCOUNT" else None
    return (lambda row: row[index] in wanted), accounts


def _compile_tag_filter(tag: Any, path: str) -> Predicate:
    """{"Key": "Environment", "Values": ["Prod"]} matches rows tagged Environment=Prod;
    "MatchOptions": ["ABSENT"] matches rows without the tag (Cost Explorer's untagged costs)."""
    if not isinstance(tag, Mapping):
        raise validation_error(f"{path} must be a TagValues object")
    key = tag.get("Key")
    if not isinstance(key, str) or not key:
        raise validation_error(f"{path}.Key is required")
    options = tag.get("MatchOptions") or ["EQUALS"]
    bad = [o for o in options if o not in ("EQUALS", "CASE_SENSITIVE", "ABSENT")]
    if bad:
        raise validation_error(
            f"{path}.MatchOptions: the local Cost Explorer supports EQUALS, CASE_SENSITIVE and ABSENT, got {bad[0]!r}")
    if "ABSENT" in options:
        return lambda row: row.tag(key) is None
    values = tag.get("Values")
    if not isinstance(values, list) or not values:
        raise validation_error(f"{path}.Values must be a non-empty list")
    wanted = frozenset(str(v) for v in values)
    return lambda row: row.tag(key) in wanted


def index_residual(expression: Mapping[str, Any]) -> Predicate | None:
    """The part of a valid Filter that rows drawn from the (day, account) index for its accounts do not
    already satisfy: a LINKED_ACCOUNT Dimensions filter, alone or as an operand of a top-level And, holds
    for every such row (they are read for the intersection of the And's account sets), so it is not asked
    again of each row. None: every row of the index matches."""
    def account_only(item: Any) -> bool:
        return (isinstance(item, Mapping) and [k for k in _EXPRESSION_ROOTS if item.get(k) is not None] == ["Dimensions"]
                and item["Dimensions"].get("Key") == "LINKED_ACCOUNT")

    if account_only(expression):
        return None
    if expression.get("And") is not None:
        rest = [compile_filter(item)[0] for item in expression["And"] if not account_only(item)]
        if not rest:
            return None
        if len(rest) == 1:
            return rest[0]
        return lambda row: all(p(row) for p in rest)
    return compile_filter(expression)[0]


@dataclass(frozen=True)
class Query:
    start: date
    end: date
    granularity: str
    metrics: tuple[str, ...]
    group_by: tuple[str, ...]
    predicate: Predicate | None  # the whole Filter (None: no Filter)
    accounts: frozenset[str] | None
    fingerprint: str
    group_definitions: list[dict[str, str]] = field(default_factory=list)
    # What a row read from the index for `accounts` must still satisfy (index_residual); None: nothing.
    residual: Predicate | None = None


def _canonical(params: Mapping[str, Any]) -> str:
    without_token = {k: v for k, v in params.items() if k != "NextPageToken"}
    return json.dumps(without_token, sort_keys=True, separators=(",", ":"), default=str)


def parse_request(params: Mapping[str, Any]) -> Query:
    period = params.get("TimePeriod")
    if not isinstance(period, Mapping):
        raise validation_error("TimePeriod is required")
    start = parse_day(period.get("Start"), "TimePeriod.Start")
    end = parse_day(period.get("End"), "TimePeriod.End")
    if start >= end:
        raise validation_error("Start date (and hour) should be before end date (and hour)")

    granularity = params.get("Granularity")
    if granularity == "HOURLY":
        raise validation_error("Hourly granularity is not supported by the local Cost Explorer")
    if granularity not in ("DAILY", "MONTHLY"):
        raise validation_error(f"Granularity must be DAILY or MONTHLY, got {granularity!r}")

    metrics = params.get("Metrics")
    if not isinstance(metrics, list) or not metrics:
        raise validation_error("Metrics is required for GetCostAndUsage requests")
    for metric in metrics:
        if metric not in COST_METRICS and metric not in QUANTITY_METRICS:
            raise validation_error(
                f"Metric {metric!r} is not valid. Valid values are AmortizedCost, BlendedCost, "
                "NetAmortizedCost, NetUnblendedCost, NormalizedUsageAmount, UnblendedCost, UsageQuantity"
            )

    group_by = params.get("GroupBy") or []
    if len(group_by) > 2:
        raise validation_error("GroupBy accepts up to two groups")
    keys: list[str] = []
    definitions = []
    for i, group in enumerate(group_by):
        kind, key = group.get("Type"), group.get("Key")
        if kind == "TAG":
            if not isinstance(key, str) or not key:
                raise validation_error(f"GroupBy[{i}].Key: a TAG group needs the tag key")
            name = f"{_TAG_GROUP}{key}"
        elif kind == "DIMENSION":
            if key not in _GROUPABLE:
                raise validation_error(f"GroupBy[{i}].Key {key!r} must be one of {', '.join(_GROUPABLE)}")
            name = key
        else:
            raise validation_error(f"GroupBy[{i}].Type {kind!r} is not supported by the local Cost Explorer (DIMENSION or TAG)")
        if name in keys:
            raise validation_error(f"GroupBy[{i}]: duplicate group key {key!r}")
        keys.append(name)
        definitions.append({"Type": kind, "Key": key})

    predicate: Predicate | None = None
    accounts: frozenset[str] | None = None
    residual: Predicate | None = None
    if params.get("Filter") is not None:
        predicate, accounts = compile_filter(params["Filter"])
        residual = index_residual(params["Filter"]) if accounts is not None else predicate

    fingerprint = hashlib.sha256(_canonical(params).encode()).hexdigest()[:24]
    return Query(start, end, granularity, tuple(metrics), tuple(keys), predicate, accounts, fingerprint, definitions,
                 residual)


def time_buckets(start: date, end: date, granularity: str) -> list[tuple[date, date]]:
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


_TAG_GROUP = "TAG:"  # a TAG group in Query.group_by: "TAG:<tag key>" (dimension names have no colon)
# Sums are exact: the emulator never rounds what the data says (default contexts keep 28 digits).
_EXACT = Context(prec=1000)


def _group_key(name: str) -> Callable[[CostRow], str]:
    """What one GroupBy entry reads from a row; a TAG key answers "Key$value" ("Key$" untagged), as AWS does."""
    if name.startswith(_TAG_GROUP):
        key = name[len(_TAG_GROUP):]
        return lambda row: f"{key}${row.tag(key) or ''}"
    index = DIMENSION_FIELD[name]
    return lambda row: row[index]


def _groups_key(group_by: tuple[str, ...]) -> Callable[[CostRow], tuple[str, ...]]:
    """A row's group key: the tuple of what each GroupBy entry reads from it."""
    if not any(name.startswith(_TAG_GROUP) for name in group_by):
        indexes = tuple(DIMENSION_FIELD[name] for name in group_by)
        if len(indexes) == 2:
            first, second = indexes
            return lambda row: (row[first], row[second])
        return lambda row: tuple(row[i] for i in indexes)
    readers = [_group_key(name) for name in group_by]
    return lambda row: tuple(read(row) for read in readers)


class Sum:
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


def aggregate(data: CostData, query: Query, start: date, end: date) -> dict[tuple[str, ...], Sum]:
    """The sums of one time bucket [start, end), by group key (the key is () when not grouped)."""
    key_of = _groups_key(query.group_by)
    sums: dict[tuple[str, ...], Sum] = {}
    predicate = query.residual  # rows_for reads the index for query.accounts: the rest of the Filter
    day = start
    with localcontext(_EXACT):
        while day < end:
            for row in data.rows_for(day, query.accounts):
                if predicate is not None and not predicate(row):
                    continue
                key = key_of(row)
                total = sums.get(key)
                if total is None:
                    sums[key] = Sum(row.amount, row.currency, row.usage_quantity, row.usage_unit)
                else:
                    total.add(row)
            day += timedelta(days=1)
    return sums


# ---- paging tokens: an offset into the request's groups, signed and bound to the request ----------

_TOKEN_KEY = b"local-cost-explorer/next-page-token/v1"


def _sign(payload: bytes) -> str:
    return hmac.new(_TOKEN_KEY, payload, hashlib.sha256).hexdigest()[:32]


def encode_page_token(offset: int, query: Query) -> str:
    payload = json.dumps({"o": offset, "h": query.fingerprint}, separators=(",", ":")).encode()
    blob = payload + b"." + _sign(payload).encode()
    return base64.urlsafe_b64encode(blob).decode().rstrip("=")


def decode_page_token(token: str, query: Query, total: int) -> int:
    """The offset a token carries; InvalidNextTokenException for a forged, foreign or spent one."""
    invalid = CostExplorerError(
        "InvalidNextTokenException", "The pagination token is invalid. Try again without a pagination token.", 400
    )
    try:
        blob = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        payload, _, signature = blob.rpartition(b".")
        if not payload or not hmac.compare_digest(signature.decode(), _sign(payload)):
            raise invalid
        decoded = json.loads(payload)
        offset = int(decoded["o"])
        fingerprint = str(decoded["h"])
    except CostExplorerError:
        raise
    except Exception:  # noqa: BLE001 - any malformed token (base64, JSON, keys, types) is the same invalid-token answer
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

"""The local Cost Explorer's data: the cost file model (CSV columns, validated rows, indexes).

One row per (date, account, service[, record type, region, usage type, tags]) with an exact decimal
amount; `CostData` validates a CSV or rows, refusing what Cost Explorer could not hold (naming file,
line and column), and indexes rows by day and by (day, account) so a query reads only what it asks for.
`format_amount` writes an amount as Cost Explorer does (the samples are written with it too).

    data = CostData.from_csv("local/samples/costs.csv")
"""

from __future__ import annotations

import csv
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, NamedTuple

REQUIRED_COLUMNS = ("date", "account_id", "service", "amount")
OPTIONAL_COLUMNS = {"record_type": "Usage", "currency": "USD", "region": "global", "usage_type": "NoUsageType",
                    "usage_quantity": "0", "usage_unit": "N/A", "tags": ""}
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
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
DIMENSION_FIELD = {
    "LINKED_ACCOUNT": 1,
    "SERVICE": 2,
    "RECORD_TYPE": 4,
    "REGION": 6,
    "USAGE_TYPE": 7,
}


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
        if not DATE_RE.match(text):
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
    def from_csv(cls, path: str | Path) -> CostData:
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
    def from_rows(cls, rows: Iterable[Mapping[str, Any] | Sequence[Any]], source: str = "<rows>") -> CostData:
        """Rows as mappings (CSV column names) or sequences in CostRow field order.

        Already-typed values (date, Decimal) skip parsing. `line` in errors is the 1-based row
        number plus one, as if a header line preceded the rows.
        """
        parsed = []
        for index, row in enumerate(rows, start=2):
            if isinstance(row, CostRow):
                row = row._asdict()
            elif not isinstance(row, Mapping):
                row = dict(zip(CostRow._fields, row, strict=False))  # trailing optional fields may be left out
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


def format_amount(value: Decimal) -> str:
    """An amount as Cost Explorer writes it: plain digits (never an exponent), no trailing zeros,
    "0" for zero ("40.3527508453", "0.0000035", "389"). Nothing is rounded: every digit the data
    has is kept."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text

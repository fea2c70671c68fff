"""A run's export result cut into per-client datasets.

A row reaches a client's dataset only when the query gave it that client (the run-accounts join) AND
its account is one of the client's own accounts in the run's plan: the join scopes the query, the
plan decides the isolation. A client whose
rows carry two billing currencies gets no dataset but a refusal naming them: one report has one
currency, and adding euros to dollars would be a wrong figure.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from chalicelib.core.errors import DataValidationError
from chalicelib.core.periods import Period
from chalicelib.costs.contracts import ClientCosts, SourceUsage
from chalicelib.costs.export.charges import cur_category, focus_category
from chalicelib.costs.export.declarations import ExportDeclaration
from chalicelib.costs.export.query import Snapshot, metric_column

NO_CURRENCY = "USD"  # the currency of a dataset with no rows (nothing to add up)
_Key = tuple[date, str, str, str, str, str, str, str]


@dataclass(frozen=True)
class ExportClient:
    """What the split needs of one export client."""

    client_id: str
    accounts: frozenset[str]
    metric: str
    window: Period


@dataclass
class _Gathered:
    amounts: dict[_Key, Decimal] = field(default_factory=dict)
    estimated: dict[_Key, bool] = field(default_factory=dict)
    currencies: set[str] = field(default_factory=set)


def _category(export: ExportDeclaration, row: Mapping[str, str]) -> tuple[str, str]:
    if export.family == "cur":
        return cur_category(row["charge_category"], row["service_code"])
    return focus_category(row["charge_category"], row["charge_class"], row["charge_frequency"],
                          row["service_code"], row["service"], row["commitment_type"])


def _bucket(day: date, granularity: str) -> date:
    return day.replace(day=1) if granularity == "MONTHLY" else day


def split_rows(export: ExportDeclaration, rows: Iterable[Mapping[str, str]], clients: Iterable[ExportClient],
               snapshots: Iterable[Snapshot], detail: str = "service",
               granularity: str = "DAILY") -> dict[str, ClientCosts | str]:
    """Each client's ClientCosts (or the reason it has none) from the run's result rows."""
    texts = split_rows_json(export, rows, clients, snapshots, detail, granularity)
    return {client_id: text[len(REFUSED):] if text.startswith(REFUSED) else ClientCosts.model_validate_json(text)
            for client_id, text in texts.items()}


REFUSED = "refused: "


def split_rows_json(export: ExportDeclaration, rows: Iterable[Mapping[str, str]], clients: Iterable[ExportClient],
                    snapshots: Iterable[Snapshot], detail: str = "service",
                    granularity: str = "DAILY") -> dict[str, str]:
    return dict(iter_slices(export, rows, clients, snapshots, detail, granularity))


def iter_slices(export: ExportDeclaration, rows: Iterable[Mapping[str, str]], clients: Iterable[ExportClient],
                snapshots: Iterable[Snapshot], detail: str = "service",
                granularity: str = "DAILY") -> Iterator[tuple[str, str]]:
    """(client id, its dataset as ClientCosts JSON or "refused: <why>") for every client, one client at
    a time: the query orders its rows by client, so memory holds one client's rows whatever their
    number. JSON directly (validated when the client reads it): building a model per row only to
    serialise it again would cost more than the query. A row counts only when its account is one of
    that client's own accounts (the plan's list, not the query's word for it)."""
    by_id = {c.client_id: c for c in clients}
    open_periods = {s.billing_period for s in snapshots if s.estimated}
    account_level = detail == "account"
    labels: dict[tuple[str, ...], tuple[str, str]] = {}
    done: set[str] = set()
    current: ExportClient | None = None
    mine = _Gathered()
    for row in rows:
        client = by_id.get(row["client_id"])
        if client is None or row["account_id"] not in client.accounts:
            continue  # a client of another export, or a row the client does not own: never in a dataset
        if client is not current:
            if current is not None:
                yield current.client_id, _client_json(export, current, mine, detail, granularity)
                done.add(current.client_id)
            if client.client_id in done:
                raise DataValidationError(f"the result of export {export.name} is not ordered by client "
                                          f"({client.client_id} appears twice): refusing to write a partial dataset")
            current, mine = client, _Gathered()
        day = date.fromisoformat(row["day"][:10])
        if not client.window.start <= day < client.window.end:
            continue
        label = (row["charge_category"], row["charge_class"], row["charge_frequency"], row["service_code"],
                 row["service"], row["commitment_type"])
        if label not in labels:
            labels[label] = _category(export, row)
        category, charge_type = labels[label]
        key = (_bucket(day, granularity), row["provider"], row["account_id"], "" if account_level else row["service"],
               category, charge_type, "" if account_level else row["usage_type"], "" if account_level else row["region"])
        mine.amounts[key] = mine.amounts.get(key, Decimal(0)) + Decimal(row[metric_column(client.metric)])
        mine.estimated[key] = mine.estimated.get(key, False) or f"{day:%Y-%m}" in open_periods
        if row["currency"]:
            mine.currencies.add(row["currency"])
    if current is not None:
        yield current.client_id, _client_json(export, current, mine, detail, granularity)
        done.add(current.client_id)
    for client_id, client in by_id.items():  # clients without a row: an empty dataset, not a missing one
        if client_id not in done:
            yield client_id, _client_json(export, client, _Gathered(), detail, granularity)


def _client_json(export: ExportDeclaration, client: ExportClient, mine: _Gathered, detail: str, granularity: str) -> str:
    if len(mine.currencies) > 1:
        return REFUSED + (f"the export {export.name} bills this client's accounts in {len(mine.currencies)} currencies "
                          f"({', '.join(sorted(mine.currencies))}): a report has one currency; split the accounts into "
                          f"one client per billing currency")
    head = ClientCosts(client_id=client.client_id, source="export", export=export.name, metric=client.metric,
                       currency=next(iter(mine.currencies), NO_CURRENCY), granularity=granularity, detail=detail,
                       window=client.window, rows=[], detail_services=None, usage=SourceUsage())
    rows = [{"day": k[0].isoformat(), "provider": k[1], "account_id": k[2], "service": k[3], "category": k[4],
             "charge_type": k[5], "usage_type": k[6], "region": k[7], "amount": str(amount),
             "estimated": mine.estimated[k]} for k, amount in sorted(mine.amounts.items())]
    text = head.model_dump_json()
    marker = '"rows":[]'
    return text.replace(marker, '"rows":' + json.dumps(rows, separators=(",", ":"), ensure_ascii=False), 1)

"""A run's export result cut into per-client datasets.

A row reaches a client's dataset only when its account is one of the client's own accounts (the
query's join on the run's accounts is a filter for cost, not the isolation: this is). A client whose
rows carry two billing currencies gets no dataset but a refusal naming them: one report has one
currency, and adding euros to dollars would be a wrong figure.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

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
    """Each client's dataset as ClientCosts JSON (validated when its reader loads it), or "refused: <why>".
    Written as JSON directly: a 10,000-client result holds millions of rows, and building a model per
    row only to serialise it again costs more than the query."""
    clients = list(clients)
    by_account: dict[str, list[ExportClient]] = {}
    for client in clients:
        for account in client.accounts:
            by_account.setdefault(account, []).append(client)
    open_periods = {s.billing_period for s in snapshots if s.estimated}
    gathered = {c.client_id: _Gathered() for c in clients}
    account_level = detail == "account"
    labels: dict[tuple[str, ...], tuple[str, str]] = {}
    for row in rows:
        owners = by_account.get(row["account_id"])
        if not owners:
            continue  # an account of no export client of this export (another export's client, say)
        day = date.fromisoformat(row["day"][:10])
        label = (row["charge_category"], row["charge_class"], row["charge_frequency"], row["service_code"],
                 row["service"], row["commitment_type"])
        if label not in labels:
            labels[label] = _category(export, row)
        category, charge_type = labels[label]
        estimated = f"{day:%Y-%m}" in open_periods
        for client in owners:
            if not client.window.start <= day < client.window.end:
                continue
            key = (_bucket(day, granularity), row["provider"], row["account_id"], "" if account_level else row["service"],
                   category, charge_type, "" if account_level else row["usage_type"],
                   "" if account_level else row["region"])
            mine = gathered[client.client_id]
            mine.amounts[key] = mine.amounts.get(key, Decimal(0)) + Decimal(row[metric_column(client.metric)])
            mine.estimated[key] = mine.estimated.get(key, False) or estimated
            if row["currency"]:
                mine.currencies.add(row["currency"])
    return {c.client_id: _client_json(export, c, gathered[c.client_id], detail, granularity) for c in clients}


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

"""A run's export reading, step by step (the costs stages call these; read_client_costs chains them).

    put_run_accounts   runs/<run>/export-accounts/accounts.csv: what the run-accounts table reads
    start_query        the export's latest snapshots, the query built and started (idempotent per run)
    split_result       the result cut into per-client datasets (or a refusal per client)
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import date

from pydantic import Field

from chalicelib.core.constants import EXPORT_ACCOUNTS_FOLDER, EXPORT_ACCOUNTS_OBJECT, RUNS_PREFIX
from chalicelib.core.models import StrictModel
from chalicelib.core.periods import Period
from chalicelib.core.store.objects import put_text
from chalicelib.costs.contracts import ClientCosts
from chalicelib.costs.export import athena
from chalicelib.costs.export.declarations import ExportDeclaration
from chalicelib.costs.export.manifests import billing_periods, latest_snapshots
from chalicelib.costs.export.query import Snapshot, build_query
from chalicelib.costs.export.split import ExportClient, iter_slices, split_rows


def accounts_key(run_id: str) -> str:
    return f"{RUNS_PREFIX}{run_id}/{EXPORT_ACCOUNTS_FOLDER}/{EXPORT_ACCOUNTS_OBJECT}"


def put_run_accounts(run_id: str, accounts: Iterable[tuple[str, str]]) -> str:
    """The run's export accounts, one (account, client) a line (quoted: an id as written may hold any
    printable character). An account two clients share is on two lines: each gets its rows."""
    text = io.StringIO()
    writer = csv.writer(text, quoting=csv.QUOTE_ALL, lineterminator="\n")
    for account, client_id in sorted(set(accounts)):
        writer.writerow([account, client_id])
    return put_text(accounts_key(run_id), text.getvalue(), "text/csv")


class StartedQuery(StrictModel):
    """One export's query of a run, as the stages pass it along (small: Step Functions carries it)."""

    export: str
    execution_id: str
    window_start: date
    window_end: date
    snapshots: list[dict[str, str | bool]] = Field(default_factory=list)

    def snapshot_list(self) -> list[Snapshot]:
        return [Snapshot(billing_period=str(s["billing_period"]), folder=str(s["folder"]), estimated=bool(s["estimated"]))
                for s in self.snapshots]


def start_query(export: ExportDeclaration, run_id: str, window: Period, metrics: Iterable[str]) -> StartedQuery:
    snapshots = latest_snapshots(export, billing_periods(window.start, window.end))
    query = build_query(export, run_id, window.start, window.end, snapshots, metrics)
    execution_id = athena.start(export, query, token_seed=f"{run_id}/{export.name}")
    return StartedQuery(export=export.name, execution_id=execution_id, window_start=window.start,
                        window_end=window.end,
                        snapshots=[{"billing_period": s.billing_period, "folder": s.folder, "estimated": s.estimated}
                                   for s in snapshots])


def split_result(export: ExportDeclaration, started: StartedQuery, done: athena.QueryState,
                 clients: Iterable[ExportClient], detail: str = "service",
                 granularity: str = "DAILY") -> dict[str, ClientCosts | str]:
    return split_rows(export, athena.result_rows(done), clients, started.snapshot_list(), detail, granularity)


def iter_result_slices(export: ExportDeclaration, started: StartedQuery, done: athena.QueryState,
                       clients: Iterable[ExportClient], detail: str = "service",
                       granularity: str = "DAILY") -> Iterator[tuple[str, str]]:
    """As split_result, one client at a time, each dataset as its JSON (or "refused: <why>"): what the
    split stage writes as it goes."""
    return iter_slices(export, athena.result_rows(done), clients, started.snapshot_list(), detail, granularity)

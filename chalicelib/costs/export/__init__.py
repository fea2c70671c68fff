"""The billing-export source: FOCUS 1.0 / 1.2 and CUR 2.0 exports read through Athena.

    declarations.py  the exports a stage declares (COST_EXPORTS)
    manifests.py     the latest snapshot of each billing period, from the export's manifests
    query.py         the product's SQL: one query per export per run, for every export client
    athena.py        start, state, result (read from the result CSV)
    charges.py       the export's charge labels -> the contract's categories
    split.py         the result cut into per-client datasets, a row only to its account's client
    run.py           the steps the costs stages chain

`read_client_costs` answers one client outside a run (the on-demand report, a budget check): the
same SQL over the same snapshots, with the run-accounts table holding that client's accounts only.
"""

from __future__ import annotations

import time
import uuid

from chalicelib.core.errors import BusinessLogicError, ServiceUnavailableError
from chalicelib.core.models import ClientConfig
from chalicelib.costs.contracts import ClientCosts, CostWindowRequest

# A single-client query waits this long at most inside the Lambda (polling: 0.5 s, doubling, 5 s at most).
SINGLE_QUERY_WAIT_SECONDS = 240.0

__all__ = ["SINGLE_QUERY_WAIT_SECONDS", "read_client_costs"]


def read_client_costs(config: ClientConfig, request: CostWindowRequest, *,
                      wait_seconds: float = SINGLE_QUERY_WAIT_SECONDS) -> ClientCosts:
    """One client's dataset from its export: one Athena query, polled here, bounded by wait_seconds."""
    from chalicelib.core.constants import ON_DEMAND_RUN_PREFIX
    from chalicelib.costs.export import athena
    from chalicelib.costs.export.declarations import export_named
    from chalicelib.costs.export.run import put_run_accounts, split_result, start_query
    from chalicelib.costs.export.split import ExportClient
    from chalicelib.costs.sources import source_of

    export = export_named(source_of(config))
    run_id = f"{ON_DEMAND_RUN_PREFIX}costs-{uuid.uuid4().hex}"
    put_run_accounts(run_id, [(a, config.client_id) for a in config.accounts])
    started = start_query(export, run_id, request.window, [config.cost_metric])
    deadline, pause = time.monotonic() + wait_seconds, 0.5
    done = athena.state(started.execution_id)
    while done.running:
        if time.monotonic() + pause > deadline:
            raise ServiceUnavailableError(f"the query of export {export.name} ({started.execution_id}) was still "
                                          f"{done.state} after {wait_seconds:.0f} s")
        time.sleep(pause)
        pause = min(pause * 2, 5.0)
        done = athena.state(started.execution_id)
    client = ExportClient(client_id=config.client_id, accounts=frozenset(config.accounts), metric=config.cost_metric,
                          window=request.window)
    costs = split_result(export, started, done, [client], request.detail, request.granularity)[config.client_id]
    if isinstance(costs, str):
        raise BusinessLogicError(f"client {config.client_id}: {costs}")
    return costs.model_copy(update={"usage": costs.usage.model_copy(
        update={"athena_queries": 1, "athena_bytes_scanned": done.bytes_scanned})})

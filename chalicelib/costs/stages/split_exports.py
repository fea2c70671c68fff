"""split_exports: each export client's dataset for the run (runs/<run>/<client>/costs-source.json), or
the reason it has none (runs/<run>/<client>/costs-source-refused.json) for its collect step to report.

A row reaches a client only through its own accounts (chalicelib/costs/export/split.py). A query that
failed refuses its export's clients with Athena's reason; an earlier step's error (the ASL passes the
Catch's Error and Cause) refuses every export client of the run. Cost Explorer clients are untouched.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

from chalicelib.core.store.objects import get_model
from chalicelib.costs.export import athena
from chalicelib.costs.export.contracts import ExportPlan, SplitInput, SplitResult
from chalicelib.costs.export.declarations import export_named
from chalicelib.costs.export.run import StartedQuery, iter_result_slices
from chalicelib.costs.export.split import REFUSED, ExportClient
from chalicelib.costs.store import put_refusal, put_slice_json, refuse, started_key

WRITERS = 16  # slices written in parallel: 10,000 clients' S3 puts in seconds, not minutes


def split_exports(event: SplitInput) -> SplitResult:
    plan = get_model(event.plan_key, ExportPlan)
    if event.error is not None:
        cause = f"{event.error.get('Error', 'error')}: {str(event.error.get('Cause', ''))[:500]}"
        every = [c.client_id for clients in plan.exports.values() for c in clients]
        refuse(event.run_id, every, f"the run's billing-export step failed ({cause})")
        return SplitResult(exports=0, clients=0, refused=len(every))
    written = refused = 0
    for query in event.queries:
        clients = plan.exports.get(query.export, [])
        done = athena.state(query.execution_id)
        if done.state != "SUCCEEDED":
            refuse(event.run_id, [c.client_id for c in clients],
                   f"the query of export {query.export} {done.state}: {done.reason or 'no reason given'}")
            refused += len(clients)
            continue
        started = get_model(started_key(event.run_id, query.export), StartedQuery)
        slices = iter_result_slices(export_named(query.export), started, done,
                                    [ExportClient(client_id=c.client_id, accounts=frozenset(c.accounts), metric=c.metric,
                                                  window=plan.window) for c in clients],
                                    plan.detail, plan.granularity)
        pending: list[Future[None]] = []
        with ThreadPoolExecutor(max_workers=WRITERS) as pool:
            for client_id, text in slices:  # one client's dataset in memory at a time (and WRITERS being written)
                if text.startswith(REFUSED):
                    refused += 1
                else:
                    written += 1
                pending.append(pool.submit(_write, event.run_id, client_id, text))
                if len(pending) >= 2 * WRITERS:
                    for future in pending:
                        future.result()
                    pending = []
            for future in pending:
                future.result()
    return SplitResult(exports=len(event.queries), clients=written, refused=refused)


def _write(run_id: str, client_id: str, text: str) -> None:
    if text.startswith(REFUSED):
        put_refusal(run_id, client_id, text[len(REFUSED):])
    else:
        put_slice_json(run_id, client_id, text)

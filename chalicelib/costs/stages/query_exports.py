"""query_exports: one Athena query per export the run's clients read, for all of them together.

An export whose query cannot start (no manifest for the window, a missing table, access denied) is
recorded as the reason of each of its clients (their reports fail saying why) and the other exports
go on; an error that is not the export's own (throttling, a 5xx) is raised for the ASL to retry.
"""

from __future__ import annotations

from chalicelib.core.errors import AuthorizationError, ConfigurationError, DataValidationError
from chalicelib.core.settings import get_settings
from chalicelib.core.store.objects import get_model, put_model
from chalicelib.costs.export.contracts import ExportPlan, ExportsInput, ExportsState, QueryRef
from chalicelib.costs.export.declarations import export_named
from chalicelib.costs.export.run import start_query
from chalicelib.costs.store import refuse, started_key

# The export's own problems: its clients are refused with the reason, the run goes on.
EXPORT_PROBLEMS = (ConfigurationError, DataValidationError, AuthorizationError)


def query_exports(event: ExportsInput) -> ExportsState:
    plan = get_model(event.plan_key, ExportPlan)
    queries: list[QueryRef] = []
    for name, clients in sorted(plan.exports.items()):
        if not clients:
            continue
        try:
            started = start_query(export_named(name), event.run_id, plan.window, {c.metric for c in clients})
        except EXPORT_PROBLEMS as exc:
            refuse(event.run_id, [c.client_id for c in clients], f"the export {name} could not be queried: {exc}")
            continue
        put_model(started_key(event.run_id, name), started)
        queries.append(QueryRef(export=name, execution_id=started.execution_id))
    return ExportsState(run_id=event.run_id, plan_key=event.plan_key, queries=queries, running=bool(queries),
                        checks=0, wait_seconds=get_settings().export_poll_seconds)


"""check_exports: whether the run's export queries are still running (the ASL waits and loops, bounded)."""

from __future__ import annotations

from chalicelib.costs.export import athena
from chalicelib.costs.export.contracts import ExportsState


def check_exports(event: ExportsState) -> ExportsState:
    running = any(athena.state(q.execution_id).running for q in event.queries)
    return event.model_copy(update={"running": running, "checks": event.checks + 1})

"""plan: validate the execution input and compute the periods once for the whole run."""

from __future__ import annotations

from chalicelib.core.executions import ExecutionStart, parse_execution_input
from chalicelib.core.metrics import publish
from chalicelib.core.periods import report_periods
from chalicelib.core.settings import get_settings
from chalicelib.reports import store
from chalicelib.reports.contracts import PlanResult, RunContext, RunInput


def plan(event: ExecutionStart) -> PlanResult:
    started_at = event.start_time()
    # A period in the future has no costs yet: it would be a "$0" report that blocks the real one.
    run_input = parse_execution_input(event.input, RunInput, '{"report_type": "weekly"}', started_at)
    as_of = run_input.as_of or started_at.date()
    # as_of is within IsoDate's range: the periods fit in the calendar.
    current, previous = report_periods(run_input.report_type, as_of)
    run = RunContext(
        run_id=event.execution_name or f"manual-{started_at:%Y%m%dT%H%M%S}",
        report_type=run_input.report_type,
        as_of=as_of,
        current=current,
        previous=previous,
        force=run_input.force,
        client_id=run_input.client_id,
        started_at=started_at,
        max_concurrency=get_settings().max_concurrency,
        send_slot=run_input.send_slot,
        utc_schedule=run_input.utc_schedule,
    )
    store.update_run_meta(
        run.run_id,
        {"status": "running", "input": run_input.model_dump_json(), "started_at": started_at.isoformat(),
         "report_type": run.report_type, "period_start": current.start.isoformat()},
    )
    publish(run.report_type, ExecutionStarted=1)
    return PlanResult(run=run)


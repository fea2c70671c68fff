"""plan_aggregation: the execution input -> the run (a compact spec of its periods) and its tenants."""

from __future__ import annotations

from datetime import UTC

from chalicelib.core.constants import DEPLOYMENT_TENANT
from chalicelib.core.errors import DataValidationError
from chalicelib.core.executions import parse_execution_input
from chalicelib.core.settings import get_settings
from chalicelib.metrics import store
from chalicelib.metrics.calendar import covered_days
from chalicelib.metrics.contracts import AggregationInput, AggregationRun, PlanInput, PlanOutput


def plan_aggregation(plan: PlanInput) -> PlanOutput:
    """The execution input, its name and start time (set by the ASL) -> the run and its tenants.
    Invalid input fails the execution here, naming the field."""
    requested = parse_execution_input({} if plan.input is None else plan.input, AggregationInput,
                                      '{"backfill": true, "start_date": "2026-01-01", "end_date": "2026-03-31"}')
    problems = requested.problems()
    if problems:
        raise DataValidationError("invalid execution input: " + "; ".join(problems))
    run = AggregationRun(
        run_id=plan.execution_name,
        mode="backfill" if requested.backfill else "scheduled",
        run_date=None if requested.backfill else (requested.run_date or plan.started_at.astimezone(UTC).date()),
        start_date=requested.start_date,
        end_date=requested.end_date,
        started_at=plan.started_at,
        max_concurrency=get_settings().max_concurrency,
    )
    span = covered_days(run.periods())
    clients = sorted(store.active_tenants(*span)) if span else []
    return PlanOutput(run=run, tenants=[DEPLOYMENT_TENANT, *clients])

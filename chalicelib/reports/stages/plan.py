"""plan: validate the execution input and compute the periods once for the whole run."""

from __future__ import annotations

from datetime import timedelta, timezone

from pydantic import ValidationError

from chalicelib.core.errors import DataValidationError
from chalicelib.core.metrics import publish
from chalicelib.core.models import describe_validation_error
from chalicelib.core.periods import parse_timestamp, report_periods
from chalicelib.core.settings import get_settings
from chalicelib.core.store import table
from chalicelib.reports.contracts import PlanInput, PlanResult, RunContext, RunInput


def plan(event: PlanInput) -> PlanResult:
    raw_input = event.input
    if not isinstance(raw_input, dict):
        raise DataValidationError("input: the execution input must be a JSON object like {\"report_type\": \"weekly\"}")
    started_at = parse_timestamp(event.started_at) or table.utcnow()
    # A period in the future has no costs yet: it would be a "$0" report that blocks the real one.
    tomorrow = started_at.astimezone(timezone.utc).date() + timedelta(days=1)
    try:
        run_input = RunInput.model_validate(raw_input, context={"latest_as_of": tomorrow})
    except ValidationError as exc:
        raise DataValidationError(f"invalid execution input: {describe_validation_error(exc)}") from exc

    as_of = run_input.as_of or started_at.date()
    try:
        current, previous = report_periods(run_input.report_type, as_of)
    except OverflowError as exc:  # e.g. as_of 0001-01-01: the periods would start before year 1
        raise DataValidationError(
            f"invalid execution input: as_of: {as_of.isoformat()} is too early for {run_input.report_type} periods"
        ) from exc
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
    )
    table.update_run_meta(
        run.run_id,
        {"status": "running", "input": run_input.model_dump_json(), "started_at": started_at.isoformat(),
         "report_type": run.report_type, "period_start": current.start.isoformat()},
    )
    publish(run.report_type, ExecutionStarted=1)
    return PlanResult(run=run)


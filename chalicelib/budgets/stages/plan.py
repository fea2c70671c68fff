"""plan: validate the check's input, pick the clients whose budgets are checked (the others are
recorded as skipped, with the reason)."""

from __future__ import annotations

from chalicelib.budgets import store
from chalicelib.budgets.contracts import BudgetCheckInput, BudgetPlanResult, BudgetRun, ClientOutcome
from chalicelib.budgets.evaluation import checked_budgets
from chalicelib.core.clients import CheckedClient, checked, load_configs
from chalicelib.core.executions import ExecutionStart, parse_execution_input, short_reason
from chalicelib.core.models import ClientConfig
from chalicelib.core.notifications import Route
from chalicelib.core.settings import get_settings


def plan(event: ExecutionStart) -> BudgetPlanResult:
    started_at = event.start_time()
    check_input = parse_execution_input(event.input, BudgetCheckInput, '{"as_of": "2026-11-22"}', started_at)
    run = BudgetRun(run_id=event.execution_name or f"budget-{started_at:%Y%m%dT%H%M%S}",
                    as_of=check_input.as_of or started_at.date(), client_id=check_input.client_id,
                    started_at=started_at, max_concurrency=get_settings().max_concurrency)
    eligible: list[CheckedClient] = []
    skipped = 0
    for key, config in load_configs(run.client_id).items():
        reason = config if isinstance(config, str) else skip_reason(config)
        if reason:
            store.put_outcome(run.run_id, ClientOutcome(client_id=key, status="skipped", reason=short_reason(reason)))
            skipped += 1
        else:
            eligible.append(checked(config))  # type: ignore[arg-type]  (an invalid config always has a reason)
    return BudgetPlanResult(run=run, clients=eligible, skipped=skipped)


def skip_reason(config: ClientConfig) -> str:
    if config.status != "ACTIVE":
        return f"status is {config.status}"
    if not checked_budgets(config.budgets):
        return "no weekly, monthly, quarterly or yearly budget configured"
    if not config.accounts:
        return "no accounts configured"
    if not Route.for_client(config).channels():
        return "no notification channel (email disabled and no SNS topic or webhook)"
    return ""

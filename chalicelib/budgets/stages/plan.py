"""plan: validate the check's input, pick the clients whose budgets are checked (the others are
recorded as skipped, with the reason), and plan the check's billing-export query: one per export for
all its clients, over the union of their budget windows, at account level (chalicelib/costs)."""

from __future__ import annotations

from chalicelib.budgets import store
from chalicelib.budgets.contracts import BudgetCheckInput, BudgetPlanResult, BudgetRun, ClientOutcome
from chalicelib.budgets.evaluation import check_period, checked_budgets
from chalicelib.core.clients import CheckedClient, checked, load_configs
from chalicelib.core.executions import ExecutionStart, parse_execution_input, short_reason
from chalicelib.core.models import ClientConfig
from chalicelib.core.notifications import Route
from chalicelib.core.settings import get_settings
from chalicelib.costs.sources import reads_export, source_of
from chalicelib.costs.windows import budget_window


def plan(event: ExecutionStart) -> BudgetPlanResult:
    started_at = event.start_time()
    check_input = parse_execution_input(event.input, BudgetCheckInput, '{"as_of": "2026-11-22"}', started_at)
    run = BudgetRun(run_id=event.execution_name or f"budget-{started_at:%Y%m%dT%H%M%S}",
                    as_of=check_input.as_of or started_at.date(), client_id=check_input.client_id,
                    started_at=started_at, max_concurrency=get_settings().max_concurrency)
    eligible: list[CheckedClient] = []
    configs: dict[str, ClientConfig] = {}
    skipped = 0
    for key, config in load_configs(run.client_id).items():
        reason = config if isinstance(config, str) else skip_reason(config)
        if reason:
            store.put_outcome(run.run_id, ClientOutcome(client_id=key, status="skipped", reason=short_reason(reason)))
            skipped += 1
        else:
            eligible.append(checked(config))  # type: ignore[arg-type]  (an invalid config always has a reason)
            configs[config.client_id] = config  # type: ignore[union-attr]
    exporting = [configs[c.client_id] for c in eligible if reads_export(configs[c.client_id])]
    return BudgetPlanResult(run=run, clients=eligible, skipped=skipped, export_clients=len(exporting),
                            export_plan_key=_export_plan(run, exporting) if exporting else "")


def _export_plan(run: BudgetRun, clients: list[ClientConfig]) -> str:
    """The check's accounts (what the run-accounts table reads) and its export plan; the plan's key.
    The window holds every client's budget window, so each client's slice holds what its check reads."""
    from chalicelib.core.constants import EXPORT_PLAN_OBJECT, RUNS_PREFIX
    from chalicelib.core.store.objects import put_model
    from chalicelib.costs.export.contracts import ExportClientEntry, ExportPlan
    from chalicelib.costs.export.run import put_run_accounts
    from chalicelib.costs.windows import union

    put_run_accounts(run.run_id, [(a, c.client_id) for c in clients for a in c.accounts])
    window = union([budget_window([check_period(b, run.as_of) for b in checked_budgets(c.budgets)], run.as_of)
                    for c in clients])
    plan = ExportPlan(run_id=run.run_id, window=window, detail="account")
    for config in clients:
        plan.exports.setdefault(source_of(config), []).append(
            ExportClientEntry(client_id=config.client_id, accounts=list(config.accounts), metric=config.cost_metric))
    return put_model(f"{RUNS_PREFIX}{run.run_id}/{EXPORT_PLAN_OBJECT}", plan)


def skip_reason(config: ClientConfig) -> str:
    if config.status != "ACTIVE":
        return f"status is {config.status}"
    if not checked_budgets(config.budgets):
        return "no weekly, monthly, quarterly or yearly budget configured"
    if not config.accounts:
        return "no accounts configured"
    if not Route.for_client(config).channels():
        return "no notification channel (email disabled and no SNS topic or webhook)"
    if reads_export(config):
        from chalicelib.core.errors import ConfigurationError
        from chalicelib.costs.export.declarations import export_named

        try:
            export_named(source_of(config))
        except ConfigurationError as exc:
            return f"invalid client config: {exc}"
    return ""

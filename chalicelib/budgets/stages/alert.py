"""alert: evaluate each budget's thresholds, claim the new crossings with their notification (one per
budget, in one transaction), then queue every announcement of the client not queued yet (store.py)."""

from __future__ import annotations

from chalicelib.budgets import store
from chalicelib.budgets.contracts import BudgetAlertInput, ClientOutcome
from chalicelib.budgets.evaluation import crossed_thresholds
from chalicelib.budgets.messages import announcer
from chalicelib.core.clients import load_checked
from chalicelib.core.executions import skip_record
from chalicelib.core.metrics import publish
from chalicelib.core.notifications import enqueue


def alert(event: BudgetAlertInput) -> ClientOutcome:
    config = load_checked(event.client_id, event.fingerprint)
    budgets = {budget.key: budget for budget in config.budgets}
    # Without cost data nothing is evaluated: a problem, as for reports, named in the operator alert
    # (the announcements an earlier check could not queue are still queued).
    no_cost_data = event.spend.no_cost_data
    no_data = skip_record(config.client_id, "no_data", no_cost_data) if no_cost_data is not None else None
    for figure in event.spend.budgets:  # none without cost data
        budget = budgets.get(figure.budget_key)
        if budget is None:  # the config changed between the two states: checked again tomorrow
            continue
        crossed = crossed_thresholds(budget, figure.actual, figure.forecast_total)
        if crossed:
            store.claim_new(config.client_id, figure.budget_key, figure.period.start.isoformat(), crossed,
                            announcer(config, budget, figure))
    # This check's announcements and any an earlier check claimed but could not queue.
    announced = store.announce_pending(config.client_id, enqueue)
    queued = sum(a.queued_now for a in announced)
    found = {"crossed": [name for a in announced for name in a.crossed],
             "notification_ids": [a.notification_id for a in announced], "queued": queued}
    if no_data is None:
        outcome = ClientOutcome(client_id=config.client_id, status="checked", **found)
        problem: dict[str, object] = {}
    else:
        outcome = ClientOutcome(client_id=config.client_id, status="skipped", reason=no_data["reason"], **found)
        problem = {key: no_data[key] for key in ("category", "skip", "problem")}
    store.put_outcome(event.run.run_id, outcome, ce_requests=event.spend.ce_requests, **problem)
    if queued:
        publish("budget", BudgetNotificationsQueued=queued)
    return outcome

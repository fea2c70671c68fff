"""record: a caught failure of a client's branch, with its category and what to do."""

from __future__ import annotations

from chalicelib.budgets import store
from chalicelib.budgets.contracts import BudgetRecordInput, ClientOutcome
from chalicelib.core.errors import error_details
from chalicelib.core.executions import short_reason


def record_failure(event: BudgetRecordInput) -> ClientOutcome:
    details = error_details(event.error.error, event.error.cause)
    outcome = ClientOutcome(client_id=event.client_id, status="failed",
                            reason=short_reason(details["message"] or details["error"]))
    store.put_outcome(event.run.run_id, outcome, category=details["category"], error=details["error"],
                      recommended_action=details["recommended_action"])
    return outcome

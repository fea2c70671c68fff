"""summarize: the execution output, from the per-client records; the operator alert when a client
failed or had no cost data."""

from __future__ import annotations

from collections import Counter

from chalicelib.budgets import store
from chalicelib.budgets.contracts import BudgetSummary, BudgetSummaryInput, ClientSummary
from chalicelib.budgets.messages import problems_alert
from chalicelib.core.executions import FailedClient, ProblemSkip, is_problem, queue_operator_alert
from chalicelib.core.metrics import publish

MAX_LISTED_CLIENTS = 200


def summarize(event: BudgetSummaryInput) -> BudgetSummary:
    run = event.run
    items = list(store.outcomes(run.run_id))
    clients = [ClientSummary(client_id=item["client_id"], status=item.get("status", "failed"), reason=item.get("reason", ""),
                             category=item.get("category"), crossed=item.get("crossed", []),
                             notifications_queued=int(item.get("queued", 0) or 0),
                             ce_requests=int(item.get("ce_requests", 0) or 0),
                             problem=is_problem(item.get("status", "failed"), item))
               for item in items]
    counts = Counter(c.status for c in clients)
    problems = sum(c.problem for c in clients)
    publish("budget", ClientsChecked=counts["checked"], ClientsFailed=counts["failed"], ClientsWithProblems=problems)
    summary = BudgetSummary(
        run_id=run.run_id, as_of=run.as_of, clients_total=len(clients), checked=counts["checked"],
        skipped=counts["skipped"], failed=counts["failed"], problems=problems,
        notifications_queued=sum(c.notifications_queued for c in clients),
        ce_requests=sum(c.ce_requests for c in clients),
        status=("completed_with_failures" if counts["failed"] else
                "completed_with_problems" if problems else "completed"),
        clients=clients[:MAX_LISTED_CLIENTS],
    )
    if not problems:
        return summary
    failures = [FailedClient(client_id=item["client_id"], category=item.get("category"), reason=item.get("reason", ""),
                             recommended_action=item.get("recommended_action"))
                for item, client in zip(items, clients, strict=True) if client.status == "failed"]
    skips = [ProblemSkip(client_id=c.client_id, category=c.category, reason=c.reason)
             for c in clients if c.problem and c.status == "skipped"]
    title, headline, lines = problems_alert(summary, failures, skips)
    return summary.model_copy(update={"alert_notification_id": queue_operator_alert(("budget", run.run_id), title,
                                                                                   headline, lines)})

"""summarize: the run's outcome from its per-client records (the Map passes nothing back)."""

from __future__ import annotations

import json
from collections import Counter

from chalicelib.core.executions import FailedClient, ProblemSkip, is_problem, outcome_of
from chalicelib.core.metric_events import emit_run_metrics
from chalicelib.core.metrics import publish
from chalicelib.core.periods import utcnow
from chalicelib.reports import store
from chalicelib.reports.alerts import send_failure_alert
from chalicelib.reports.contracts import PeriodDays, RunSummary, SummarizeRunInput

MAX_LISTED_FAILURES = 50  # keeps the execution output far below the 256 KB limit


def summarize(event: SummarizeRunInput) -> RunSummary:
    run = event.run
    clients = []
    records = list(store.iter_client_records(run.run_id))
    for item in records:
        # A branch that never reached record (should not happen: every path records) counts as failed.
        status = outcome_of(item.get("status"))
        reason = item.get("reason", "") if status != "failed" or item.get("reason") else f"stopped while {item.get('status')}"
        clients.append({"client_id": item["client_id"], "status": status, "reason": reason,
                        "category": item.get("category"), "recommended_action": item.get("recommended_action"),
                        "message_id": item.get("message_id"), "ce_requests": int(item.get("ce_requests", 0) or 0),
                        "problem": is_problem(status, item)})
    counts = Counter(c["status"] for c in clients)
    problems = sum(c["problem"] for c in clients)
    summary = RunSummary(
        run_id=run.run_id,
        report_type=run.report_type,
        period=PeriodDays.of(run.current),
        clients_total=len(clients),
        delivered=counts["delivered"],
        skipped=counts["skipped"],
        failed=counts["failed"],
        problems=problems,
        ce_requests=sum(c["ce_requests"] for c in clients),
        status=("completed_with_failures" if counts["failed"] else
                "completed_with_problems" if problems else "completed"),
        failures=[
            FailedClient(client_id=c["client_id"], category=c["category"], reason=c["reason"],
                         recommended_action=c["recommended_action"])
            for c in clients if c["status"] == "failed"
        ][:MAX_LISTED_FAILURES],
        problem_skips=[
            ProblemSkip(client_id=c["client_id"], category=c["category"], reason=c["reason"])
            for c in clients if c["status"] == "skipped" and c["problem"]
        ][:MAX_LISTED_FAILURES],
    )
    # Every outcome (those eligibility decided too) and the run's end; ids already sent by record count once.
    emit_run_metrics(run.run_id, run.report_type, run.started_at, records)
    summary = summary.model_copy(update={"alert_notification_id": send_failure_alert(summary)})
    summary_json = summary.model_dump(mode="json")
    store.update_run_meta(run.run_id, {"status": summary.status, "summary": json.dumps(summary_json),
                                       "finished_at": utcnow().isoformat()})
    store.put_run_history(run.run_id, run.started_at.isoformat(), summary_json)
    # A problem skip is a missing report too: the run does not count as a success for the alarms.
    outcome = "ExecutionFailed" if problems else "ExecutionSucceeded"
    publish(run.report_type, ClientsProcessed=len(clients), ClientsWithProblems=problems, **{outcome: 1})
    return summary

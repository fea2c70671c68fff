"""The budget check's stages (statemachines/budget_check.asl.json):

  plan      -> validate the input, pick the clients whose budgets are checked (others recorded skipped)
  spend     -> per client: spend to date (GetCostAndUsage, MONTHLY) and forecast to the period's end
               (GetCostForecast), once per distinct budget period; or why there is no cost data
  alert     -> evaluate thresholds, claim the new crossings with their notification (one per budget),
               queue every announcement of the client not queued yet (crossings.py)
  record    -> a caught failure of a client's branch, with its category
  summarize -> the execution output, from the per-client records; the operator alert when a client
               failed or had no cost data
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Callable, Iterator

from chalicelib.budgets import crossings
from chalicelib.budgets.evaluation import check_period, checked_budgets, crossed_thresholds
from chalicelib.budgets.messages import budget_notification, budget_notification_id, problems_alert
from chalicelib.budgets.models import (
    BudgetAlertInput,
    BudgetCheckInput,
    BudgetPlanInput,
    BudgetPlanResult,
    BudgetRecordInput,
    BudgetRun,
    BudgetSpend,
    BudgetSummary,
    BudgetSummaryInput,
    BudgetTask,
    ClientOutcome,
    ClientSpend,
    ClientSummary,
)
from chalicelib.core import aws
from chalicelib.core.clients import CheckedClient, checked, load_checked, load_configs
from chalicelib.core.constants import PK_BUDGET_RUN_PREFIX
from chalicelib.core.errors import classify_aws_error, error_details
from chalicelib.core.executions import (FailedClient, ProblemSkip, is_problem, parse_execution_input, queue_operator_alert,
                                        short_reason, skip_record)
from chalicelib.core.metrics import publish
from chalicelib.core.models import Budget, BudgetThreshold, ClientConfig, latest_as_of
from chalicelib.core.periods import Period, parse_timestamp, utcnow
from chalicelib.core.settings import get_settings
from chalicelib.core.notifications import Notification, Route, enqueue
from chalicelib.reports.costs.context import fetch_forecast
from chalicelib.reports.costs.explorer import ce_client_for, forecast_query, spend_between

MAX_LISTED_CLIENTS = 200
# No row at all in the budgets' periods is checked further back before it is called a problem: on the
# first days of a period Cost Explorer may have no row yet for a client that has spend.
NO_DATA_LOOKBACK_DAYS = 31


def plan(event: BudgetPlanInput) -> BudgetPlanResult:
    started_at = parse_timestamp(event.started_at) or utcnow()
    check_input = parse_execution_input(event.input, BudgetCheckInput, '{"as_of": "2026-11-22"}',
                                        context={"latest_as_of": latest_as_of(started_at)})
    run = BudgetRun(run_id=event.execution_name or f"budget-{started_at:%Y%m%dT%H%M%S}",
                    as_of=check_input.as_of or started_at.date(), client_id=check_input.client_id,
                    started_at=started_at, max_concurrency=get_settings().max_concurrency)
    eligible: list[CheckedClient] = []
    skipped = 0
    for key, config in load_configs(run.client_id).items():
        reason = config if isinstance(config, str) else skip_reason(config)
        if reason:
            _put_outcome(run.run_id, ClientOutcome(client_id=key, status="skipped", reason=short_reason(reason)))
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


def spend(event: BudgetTask) -> ClientSpend:
    config = load_checked(event.client_id, event.fingerprint)
    ce = ce_client_for(config)
    as_of = event.run.as_of
    periods: dict[tuple[date, date], Period] = {}
    for budget in checked_budgets(config.budgets):
        period = check_period(budget, as_of)
        periods.setdefault((period.start, period.end), period)
    # The period holds the last complete day (check_period): [start, as_of) is its spend so far.
    actuals = {key: spend_between(ce, config, period.start, min(as_of, period.end)) for key, period in periods.items()}
    requests = sum(actual.requests for actual in actuals.values())
    if actuals and not any(actual.accounts_with_data for actual in actuals.values()):
        why, more_requests = _no_cost_data(ce, config, as_of, min(start for start, _ in actuals))
        requests += more_requests
        if why:
            return ClientSpend(client_id=config.client_id, budgets=[], ce_requests=requests, no_cost_data=why)
    forecasts: dict[tuple[date, date], tuple[Decimal | None, str]] = {}
    for (start, end), actual in actuals.items():
        forecast_total: Decimal | None = actual.total  # the period is over: its total is known
        note = ""
        if as_of < end:
            # The same request and answer handling as the report's forecast, one MONTHLY total.
            forecast, why_none = fetch_forecast(ce, forecast_query(config, as_of, end, "MONTHLY"))
            requests += 1
            note = why_none or ""
            forecast_total = actual.total + forecast.total if forecast is not None else None
        forecasts[(start, end)] = (forecast_total, note)
    figures = []
    for budget in checked_budgets(config.budgets):
        period = check_period(budget, as_of)
        actual = actuals[(period.start, period.end)]
        forecast_total, note = forecasts[(period.start, period.end)]
        figures.append(BudgetSpend(budget_key=budget.key, period=period, actual=actual.total, forecast_total=forecast_total,
                                   forecast_note=note[:300], currency=actual.currency))
    return ClientSpend(client_id=config.client_id, budgets=figures, ce_requests=requests)


def _no_cost_data(ce: Any, config: ClientConfig, as_of: date, checked_from: date) -> tuple[str | None, int]:
    """Why the client's budgets cannot be checked: Cost Explorer has no row for any of its accounts
    from `checked_from`, nor in the NO_DATA_LOOKBACK_DAYS before `as_of` (None: rows there, the
    period has simply no spend yet); and the requests it took to know."""
    start, requests = checked_from, 0
    lookback_start = as_of - timedelta(days=NO_DATA_LOOKBACK_DAYS)
    if lookback_start < checked_from:
        wider = spend_between(ce, config, lookback_start, as_of)
        requests = wider.requests
        if wider.accounts_with_data:
            return None, requests
        start = lookback_start
    last_day = as_of - timedelta(days=1)
    return (f"no cost data for {', '.join(config.accounts)} from {start.isoformat()} to {last_day.isoformat()}: "
            f"check the account ids or the payer role (budgets are not checked without cost data)"), requests


def alert(event: BudgetAlertInput) -> ClientOutcome:
    config = load_checked(event.client_id, event.fingerprint)
    budgets = {budget.key: budget for budget in config.budgets}
    no_cost_data = event.spend.no_cost_data
    for figure in event.spend.budgets:  # none without cost data
        budget = budgets.get(figure.budget_key)
        if budget is None:  # the config changed between the two states: checked again tomorrow
            continue
        crossed = crossed_thresholds(budget, figure.actual, figure.forecast_total)
        if crossed:
            crossings.claim_new(config.client_id, figure.budget_key, figure.period.start.isoformat(), crossed,
                                _announcer(config, budget, figure))
    # This check's announcements and any an earlier check claimed but could not queue.
    announced = crossings.announce_pending(config.client_id, enqueue)
    queued = sum(a.queued_now for a in announced)
    found = {"crossed": [name for a in announced for name in a.crossed],
             "notification_ids": [a.notification_id for a in announced], "queued": queued}
    if no_cost_data is None:
        outcome = ClientOutcome(client_id=config.client_id, status="checked", **found)
        _put_outcome(event.run.run_id, outcome, ce_requests=event.spend.ce_requests)
    else:  # a problem, as for reports: named in the operator alert
        record = skip_record(config.client_id, "no_data", no_cost_data)
        outcome = ClientOutcome(client_id=config.client_id, status="skipped", reason=record["reason"], **found)
        _put_outcome(event.run.run_id, outcome, ce_requests=event.spend.ce_requests,
                     **{key: record[key] for key in ("category", "skip", "problem")})
    if queued:
        publish("budget", BudgetNotificationsQueued=queued)
    return outcome


def _announcer(config: ClientConfig, budget: Budget, figure: BudgetSpend) -> Callable[[list[BudgetThreshold]], Notification]:
    """The notification announcing these newly crossed thresholds of this budget."""
    def announce(new: list[BudgetThreshold]) -> Notification:
        nid = budget_notification_id(config.client_id, figure, new)
        return budget_notification(config, budget, figure, new, nid, utcnow())

    return announce


def record_failure(event: BudgetRecordInput) -> ClientOutcome:
    details = error_details(event.error.error, event.error.cause)
    outcome = ClientOutcome(client_id=event.client_id, status="failed", reason=short_reason(details["message"] or details["error"]))
    _put_outcome(event.run.run_id, outcome, category=details["category"], error=details["error"],
                 recommended_action=details["recommended_action"])
    return outcome


def summarize(event: BudgetSummaryInput) -> BudgetSummary:
    run = event.run
    items = list(_iter_outcomes(run.run_id))
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
                for item, client in zip(items, clients) if client.status == "failed"]
    skips = [ProblemSkip(client_id=c.client_id, category=c.category, reason=c.reason)
             for c in clients if c.problem and c.status == "skipped"]
    title, headline, lines = problems_alert(summary, failures, skips)
    return summary.model_copy(update={"alert_notification_id": queue_operator_alert(("budget", run.run_id), title,
                                                                                   headline, lines)})


def _put_outcome(run_id: str, outcome: ClientOutcome, **extra: Any) -> None:
    """BUDGETRUN#<run_id> / CLIENT#<client_id>: the client's latest outcome in this check."""
    attrs = {k: v for k, v in {**outcome.model_dump(mode="json"), **extra}.items() if v not in (None, "", [])}
    item = {"pk": f"{PK_BUDGET_RUN_PREFIX}{run_id}", "sk": f"CLIENT#{outcome.client_id}", **attrs,
            "updated_at": utcnow().isoformat()}
    try:
        aws.dynamodb_table(get_settings().table_name).put_item(Item=item)
    except Exception as exc:  # noqa: BLE001
        raise classify_aws_error(exc, "record budget check outcome") from exc


def _iter_outcomes(run_id: str) -> Iterator[dict[str, Any]]:
    kwargs: dict[str, Any] = {"KeyConditionExpression": "pk = :pk", "ConsistentRead": True,
                              "ExpressionAttributeValues": {":pk": f"{PK_BUDGET_RUN_PREFIX}{run_id}"}}
    dynamo = aws.dynamodb_table(get_settings().table_name)
    while True:
        try:
            page = dynamo.query(**kwargs)
        except Exception as exc:  # noqa: BLE001
            raise classify_aws_error(exc, "read budget check outcomes") from exc
        yield from page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            return
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

"""The budget check's stages (statemachines/budget_check.asl.json):

  plan      -> validate the input, pick the clients whose budgets are checked (others recorded skipped)
  spend     -> per client: spend to date (GetCostAndUsage, MONTHLY) and forecast to the period's end
               (GetCostForecast), once per distinct budget period
  alert     -> evaluate thresholds, claim the new crossings, queue one notification per budget
  record    -> a caught failure of a client's branch, with its category
  summarize -> the execution output, from the per-client records
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal
from typing import Any, Iterator

from chalicelib.budgets import crossings
from chalicelib.budgets.evaluation import check_period, checked_budgets, crossed_thresholds
from chalicelib.budgets.messages import budget_notification, budget_notification_id
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
from chalicelib.core.metrics import publish
from chalicelib.core.models import ClientConfig, latest_as_of
from chalicelib.core.periods import parse_timestamp
from chalicelib.core.settings import get_settings
from chalicelib.core.store import table
from chalicelib.notify.models import Route
from chalicelib.notify.queue import enqueue
from chalicelib.reports.costs.context import fetch_forecast
from chalicelib.reports.costs.explorer import ce_client_for, forecast_query, spend_between
from chalicelib.reports.stages.plan import parse_execution_input

MAX_REASON_CHARS = 1000
MAX_LISTED_CLIENTS = 200


def plan(event: BudgetPlanInput) -> BudgetPlanResult:
    started_at = parse_timestamp(event.started_at) or table.utcnow()
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
            _put_outcome(run.run_id, ClientOutcome(client_id=key, status="skipped", reason=_short(reason)))
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
    by_period: dict[tuple[date, date], tuple[Decimal, Decimal | None, str, str]] = {}
    requests = 0
    figures = []
    for budget in checked_budgets(config.budgets):
        period = check_period(budget, as_of)
        key = (period.start, period.end)
        if key not in by_period:
            actual, currency, pages = spend_between(ce, config, period.start, min(as_of, period.end))
            requests += pages
            forecast_total: Decimal | None = actual  # the period is over: its total is known
            note = ""
            if as_of < period.end:
                # The same request and answer handling as the report's forecast, one MONTHLY total.
                forecast, why_none = fetch_forecast(ce, forecast_query(config, as_of, period.end, "MONTHLY"))
                requests += 1
                note = why_none or ""
                forecast_total = actual + forecast.total if forecast is not None else None
            by_period[key] = (actual, forecast_total, note, currency)
        actual, forecast_total, note, currency = by_period[key]
        figures.append(BudgetSpend(budget_key=budget.key, period=period, actual=actual, forecast_total=forecast_total,
                                   forecast_note=note[:300], currency=currency))
    return ClientSpend(client_id=config.client_id, budgets=figures, ce_requests=requests)


def alert(event: BudgetAlertInput) -> ClientOutcome:
    config = load_checked(event.client_id, event.fingerprint)
    budgets = {budget.key: budget for budget in config.budgets}
    crossed_names: list[str] = []
    notification_ids: list[str] = []
    queued = 0
    for figure in event.spend.budgets:
        budget = budgets.get(figure.budget_key)
        if budget is None:  # the config changed between the two states: checked again tomorrow
            continue
        crossed = crossed_thresholds(budget, figure.actual, figure.forecast_total)
        if not crossed:
            continue
        nid = budget_notification_id(config.client_id, figure, crossed)
        announced = crossings.claim(config.client_id, figure.budget_key, figure.period.start.isoformat(), crossed, nid)
        if not announced:
            continue
        crossed_names.extend(f"{figure.budget_key}:{t.key}" for t in announced)
        notification_ids.append(nid)
        queued += enqueue(budget_notification(config, budget, figure, announced, nid, table.utcnow()))
    outcome = ClientOutcome(client_id=config.client_id, status="checked", crossed=crossed_names,
                            notification_ids=notification_ids, queued=queued)
    _put_outcome(event.run.run_id, outcome, ce_requests=event.spend.ce_requests)
    if queued:
        publish("budget", BudgetNotificationsQueued=queued)
    return outcome


def record_failure(event: BudgetRecordInput) -> ClientOutcome:
    details = error_details(event.error.error, event.error.cause)
    outcome = ClientOutcome(client_id=event.client_id, status="failed", reason=_short(details["message"] or details["error"]))
    _put_outcome(event.run.run_id, outcome, category=details["category"], error=details["error"],
                 recommended_action=details["recommended_action"])
    return outcome


def summarize(event: BudgetSummaryInput) -> BudgetSummary:
    run = event.run
    clients = [ClientSummary(client_id=item["client_id"], status=item.get("status", "failed"), reason=item.get("reason", ""),
                             category=item.get("category"), crossed=item.get("crossed", []),
                             notifications_queued=int(item.get("queued", 0) or 0),
                             ce_requests=int(item.get("ce_requests", 0) or 0))
               for item in _iter_outcomes(run.run_id)]
    counts = Counter(c.status for c in clients)
    publish("budget", ClientsChecked=counts["checked"], ClientsFailed=counts["failed"])
    return BudgetSummary(
        run_id=run.run_id, as_of=run.as_of, clients_total=len(clients), checked=counts["checked"],
        skipped=counts["skipped"], failed=counts["failed"],
        notifications_queued=sum(c.notifications_queued for c in clients),
        ce_requests=sum(c.ce_requests for c in clients),
        status="completed_with_failures" if counts["failed"] else "completed",
        clients=clients[:MAX_LISTED_CLIENTS],
    )


def _short(reason: str) -> str:
    return reason if len(reason) <= MAX_REASON_CHARS else reason[: MAX_REASON_CHARS - 1] + "\u2026"


def _put_outcome(run_id: str, outcome: ClientOutcome, **extra: Any) -> None:
    """BUDGETRUN#<run_id> / CLIENT#<client_id>: the client's latest outcome in this check."""
    attrs = {k: v for k, v in {**outcome.model_dump(mode="json"), **extra}.items() if v not in (None, "", [])}
    item = {"pk": f"{PK_BUDGET_RUN_PREFIX}{run_id}", "sk": f"CLIENT#{outcome.client_id}", **attrs,
            "updated_at": table.utcnow().isoformat()}
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

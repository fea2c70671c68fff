"""The budget notification: what crossed, the figures behind it, in plain text (channels escape);
and the operator alert of a check with problems."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

from chalicelib.budgets.contracts import BudgetSpend, BudgetSummary
from chalicelib.budgets.evaluation import describe_threshold, used_pct, watched_amount
from chalicelib.core.constants import APP_NAME
from chalicelib.core.executions import FailedClient, ProblemSkip, problem_lines
from chalicelib.core.formatting import format_money
from chalicelib.core.models import Budget, BudgetThreshold, ClientConfig
from chalicelib.core.notifications import Fact, Notification, Route, notification_id
from chalicelib.core.periods import utcnow


def budget_notification_id(client_id: str, spend: BudgetSpend, crossed: list[BudgetThreshold]) -> str:
    return notification_id("budget", client_id, spend.budget_key, spend.period.start.isoformat(),
                           *sorted(t.key for t in crossed))


def announcer(config: ClientConfig, budget: Budget, spend: BudgetSpend) -> Callable[[list[BudgetThreshold]], Notification]:
    """The notification announcing newly crossed thresholds of this budget (what the claim writes with them)."""
    def announce(new: list[BudgetThreshold]) -> Notification:
        return budget_notification(config, budget, spend, new, budget_notification_id(config.client_id, spend, new),
                                   utcnow())

    return announce


def budget_notification(config: ClientConfig, budget: Budget, spend: BudgetSpend, announced: list[BudgetThreshold],
                        nid: str, created_at: datetime) -> Notification:
    cur = spend.currency
    over = any(t.percent >= 100 for t in announced)
    if spend.actual >= budget.amount:
        headline = "exceeded"
    elif over:
        headline = "forecast to be exceeded"
    else:
        headline = "threshold reached"
    actual_pct = used_pct(spend.actual, budget.amount)
    summary = f"Spend so far is {format_money(spend.actual, cur)} of {format_money(budget.amount, cur)} ({actual_pct}%)"
    if spend.forecast_total is not None:
        summary += (f"; the forecast for the whole period is {format_money(spend.forecast_total, cur)} "
                    f"({used_pct(spend.forecast_total, budget.amount)}%).")
    else:
        summary += f"; no forecast ({spend.forecast_note or 'not available'})."
    facts = [
        Fact(label="Budget", value=f"{format_money(budget.amount, cur)} {budget.period}"),
        Fact(label="Period", value=spend.period.label()),
        Fact(label="Actual to date", value=f"{format_money(spend.actual, cur)} ({actual_pct}%)"),
        Fact(label="Forecast for the period",
             value=format_money(spend.forecast_total, cur) if spend.forecast_total is not None else "not available"),
        Fact(label="Thresholds crossed", value=", ".join(describe_threshold(t) for t in announced)),
    ]
    return Notification(
        notification_id=nid,
        kind="budget",
        client_id=config.client_id,
        client_name=config.name,
        severity="critical" if over else "warning",
        title=f"{config.name}: {budget.period} budget {headline} ({spend.period.label()})",
        summary=summary,
        facts=facts,
        details=[f"Crossed: {describe_threshold(t)}, that is {format_money(budget.amount * t.percent / 100, cur)}: "
                 f"{'spent' if t.on == 'actual' else 'forecast'} "
                 f"{format_money(watched_amount(t, spend.actual, spend.forecast_total) or Decimal(0), cur)}"
                 for t in announced],
        created_at=created_at,
        route=Route.for_client(config),
    )


def problems_alert(summary: BudgetSummary, failures: list[FailedClient],
                   skips: list[ProblemSkip]) -> tuple[str, str, list[str]]:
    """(title, headline, lines) of the operator alert: each failed client and each client without
    cost data, with the reason and what to do."""
    title = f"{APP_NAME}: {summary.problems} client(s) whose budgets were not checked in budget check {summary.run_id}"
    headline = (f"Budget check {summary.run_id} (as of {summary.as_of.isoformat()}): {summary.failed} failed, "
                f"{summary.checked} checked, {summary.skipped} skipped.")
    lines = problem_lines(failures, skips, "[skipped, budgets not checked]",
                          "Rerun the same execution input after fixing the cause: a crossing already announced is "
                          "not announced again, one not yet announced is.")
    return title, headline, lines

"""The budget check's execution input and stage contracts (statemachines/budget_check.asl.json):
each stage's input as the ASL passes it and its result as the next state reads it; run_stage parses
and dumps through them and tests/unit/test_asl_contracts.py checks them against the ASL."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field

from chalicelib.core.clients import CheckedClient, Fingerprint
from chalicelib.core.executions import CaughtError
from chalicelib.core.models import AsOfDate, ClientId, Money, StrictModel
from chalicelib.core.periods import Period


class BudgetCheckInput(StrictModel):
    """What the daily schedule sends and what a person types: `{"as_of": "2026-11-22", "client_id": "acme"}`,
    both optional (as_of defaults to the execution's start date, UTC)."""

    as_of: AsOfDate | None = None  # at most tomorrow (UTC) from the execution's start, as for a report run
    client_id: ClientId | None = None


class BudgetRun(StrictModel):
    run_id: str
    as_of: date
    client_id: str | None = None
    started_at: datetime
    max_concurrency: int = 10


class BudgetPlanResult(StrictModel):
    """ResultPath "$": `clients` are the Map's items, each with the fingerprint of the config plan
    checked against every other client (chalicelib/core/clients.py)."""

    run: BudgetRun
    clients: list[CheckedClient]
    skipped: int
    # Billing-export clients of the check: their datasets come from one Athena query per export
    # (chalicelib/costs/stages, the report run's steps), planned in S3 under export_plan_key.
    export_clients: int = 0
    export_plan_key: str = ""


class BudgetTask(StrictModel):
    """A Map item: one client of one budget check; spend and alert use the config plan checked or none."""

    run: BudgetRun
    client_id: ClientId
    fingerprint: Fingerprint


class BudgetSpend(StrictModel):
    """One budget's figures on the check date."""

    budget_key: str
    period: Period
    actual: Money
    forecast_total: Money | None  # actual + forecast for the rest of the period; None: no forecast
    forecast_note: str = ""
    currency: str = "USD"


class ClientSpend(StrictModel):
    """$.spend: what SpendAndForecast hands to EvaluateAndNotify (a few numbers per budget), or why
    the budgets cannot be checked: `no_cost_data` names the accounts and days without any row."""

    client_id: ClientId
    budgets: list[BudgetSpend]
    ce_requests: int = 0
    no_cost_data: str | None = None


class BudgetAlertInput(BudgetTask):
    spend: ClientSpend


class BudgetRecordInput(BudgetTask):
    """RecordFailure: what the branch had when it failed, plus the caught `error`."""

    spend: ClientSpend | None = None
    error: CaughtError


class ClientOutcome(StrictModel):
    client_id: str
    status: Literal["checked", "skipped", "failed"]
    reason: str = ""
    crossed: list[str] = Field(default_factory=list)
    notification_ids: list[str] = Field(default_factory=list)
    queued: int = 0


class BudgetSummaryInput(StrictModel):
    run: BudgetRun


class ClientSummary(StrictModel):
    client_id: str
    status: str
    reason: str = ""
    category: str | None = None
    crossed: list[str] = Field(default_factory=list)
    notifications_queued: int = 0
    ce_requests: int = 0
    problem: bool = False  # failed, or skipped for a reason that is not benign (no cost data)


class BudgetSummary(StrictModel):
    """$.summary, the execution output."""

    run_id: str
    as_of: date
    clients_total: int
    checked: int
    skipped: int
    failed: int
    problems: int  # failed + skipped as a problem: each listed in the operator alert
    notifications_queued: int
    ce_requests: int
    status: Literal["completed", "completed_with_problems", "completed_with_failures"]
    clients: list[ClientSummary]  # at most MAX_LISTED_CLIENTS: far below the 256 KB output limit
    alert_notification_id: str | None = None  # the operator alert, queued (chalicelib/notify)

"""Turn a client's cost dataset into the facts of a report: numbers and flags. Pure: no I/O, no AWS.

What a change is: services and accounts show usage, and the period-over-period change, the
notable changes and the budget pace are computed on usage only. Credits and refunds are shown on
their own lines and never move a service; charges AWS posts monthly on the 1st (record_types.py)
have their own line in daily and weekly reports and are left out of their change and budget pace;
monthly reports compare them month with month. The headline total is net: usage, credits, refunds
and monthly charges together.

Amounts stay full-precision Decimals here; the rendering package turns them into text (rounding,
wording), so totals are not sums of rounded figures.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Literal

from pydantic import Field

from chalicelib.core.errors import DataValidationError
from chalicelib.core.models import ChangeAlert, CostMetric, ReportType, StrictModel
from chalicelib.core.periods import Period
from chalicelib.reports.contracts import ChargeLine, CostDataset, CostLine
from chalicelib.reports.costs.record_types import CREDIT, REFUND, label as record_type_label

ZERO = Decimal(0)
HUNDRED = Decimal(100)
BUDGET_WARNING_PCT = Decimal(80)
TOP_MOVERS = 5


class ServiceRow(StrictModel):
    service: str
    current: Decimal
    previous: Decimal
    change: Decimal
    change_pct: Decimal | None  # None: nothing spent in the previous period (new service)
    share_pct: Decimal  # share of the gross (positive) current spend, 0 for credits
    flagged: bool


class AccountRow(StrictModel):
    account_id: str
    current: Decimal
    previous: Decimal
    change: Decimal
    change_pct: Decimal | None
    services: int  # services with a non-zero amount in either period


class ChargeRow(StrictModel):
    """Charges of one kind posted monthly (Support, Tax, ...), all of the client's accounts."""

    label: str
    current: Decimal
    previous: Decimal


class BudgetStatus(StrictModel):
    budget: Decimal
    spent: Decimal
    used_pct: Decimal
    remaining: Decimal  # negative when over budget
    status: Literal["ok", "warning", "over"]


class ChangeFlag(StrictModel):
    """A change that passed the client's alert thresholds: the total (service None) or one service."""

    service: str | None
    current: Decimal
    change: Decimal
    change_pct: Decimal | None  # None: nothing in the previous period (new spend)


class CostReport(StrictModel):
    client_id: str
    client_name: str
    report_type: ReportType
    current: Period
    previous: Period
    currency: str
    estimated: bool
    cost_metric: CostMetric
    excluded_record_types: list[str]  # e.g. ["Credit", "Refund"], shown in the footer
    total_current: Decimal  # net: usage + credits + refunds + monthly charges
    total_previous: Decimal
    total_change: Decimal  # of the compared figures: usage (+ monthly charges in a monthly report)
    total_change_pct: Decimal | None
    total_flagged: bool
    services: list[ServiceRow]  # current desc, then name
    top_movers: list[ServiceRow]  # largest |change| first, at most TOP_MOVERS, no zero changes
    accounts: list[AccountRow]  # every client account, even without cost; current desc
    lines: list[CostLine]  # one per (account, service), sorted by account then service
    budget: BudgetStatus | None
    alerts: list[ChangeFlag]  # the total first, then services by the largest |change|
    charges: list[ChargeLine] = Field(default_factory=list)  # credits, refunds, monthly charges by account and record type
    charges_apart: bool = False  # credits, refunds and monthly charges were fetched apart from usage
    net_of_credits: bool = False  # credits or refunds are included in the figures
    compared_current: Decimal = ZERO  # the figures total_change compares
    compared_previous: Decimal = ZERO
    usage_current: Decimal = ZERO
    usage_previous: Decimal = ZERO
    credits_current: Decimal = ZERO
    credits_previous: Decimal = ZERO
    refunds_current: Decimal = ZERO
    refunds_previous: Decimal = ZERO
    monthly_charges: list[ChargeRow] = Field(default_factory=list)
    monthly_charges_compared: bool = False  # monthly report: in the change; otherwise on a line apart
    shared_accounts: list[str] = Field(default_factory=list)  # accounts another client's report also covers


# --- analysis ---


def pct_change(current: Decimal, previous: Decimal) -> Decimal | None:
    if previous == 0:
        return None
    # abs(): with a negative base (net credit) the sign still says up or down.
    return (current - previous) / abs(previous) * HUNDRED


def is_flagged(change: Decimal, change_pct: Decimal | None, rule: ChangeAlert) -> bool:
    """Both thresholds must pass, so a +300% on a $2 service stays quiet."""
    if change == 0:
        return False
    if abs(change) < rule.absolute:
        return False
    return change_pct is None or abs(change_pct) >= rule.pct


def budget_status(budget: Decimal, spent: Decimal) -> BudgetStatus:
    used_pct = spent / budget * HUNDRED
    if spent > budget:
        status: Literal["ok", "warning", "over"] = "over"
    elif used_pct >= BUDGET_WARNING_PCT:
        status = "warning"
    else:
        status = "ok"
    return BudgetStatus(budget=budget, spent=spent, used_pct=used_pct, remaining=budget - spent, status=status)


def _merge_lines(dataset: CostDataset) -> list[CostLine]:
    """One line per (account, service); refuses any account that is not the client's."""
    allowed = set(dataset.client.accounts)
    sums: dict[tuple[str, str], list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    for line in dataset.lines:
        if line.account_id not in allowed:
            # Tenant isolation: another client's costs must never reach this report.
            raise DataValidationError(
                f"cost line for account {line.account_id!r} does not belong to client "
                f"{dataset.client.client_id!r}"
            )
        acc = sums[(line.account_id, line.service)]
        acc[0] += line.current_amount
        acc[1] += line.previous_amount
    return [
        CostLine(account_id=account, service=service, current_amount=cur, previous_amount=prev)
        for (account, service), (cur, prev) in sorted(sums.items())
        if cur != 0 or prev != 0  # all-zero groups are noise
    ]


def analyze(dataset: CostDataset) -> CostReport:
    client, run = dataset.client, dataset.run
    rule = client.change_alert
    lines = _merge_lines(dataset)

    by_service: dict[str, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    by_account: dict[str, list[Decimal]] = {account: [ZERO, ZERO] for account in client.accounts}
    services_per_account: dict[str, int] = defaultdict(int)
    for line in lines:
        for bucket in (by_service[line.service], by_account[line.account_id]):
            bucket[0] += line.current_amount
            bucket[1] += line.previous_amount
        services_per_account[line.account_id] += 1

    usage_current = sum((v[0] for v in by_service.values()), ZERO)
    usage_previous = sum((v[1] for v in by_service.values()), ZERO)
    gross = sum((v[0] for v in by_service.values() if v[0] > 0), ZERO)
    credits, refunds, monthly = _charges(dataset)
    monthly_rows = [ChargeRow(label=name, current=cur, previous=prev)
                    for name, (cur, prev) in sorted(monthly.items(), key=lambda kv: (-kv[1][0], kv[0]))]
    monthly_current = sum((r.current for r in monthly_rows), ZERO)
    monthly_previous = sum((r.previous for r in monthly_rows), ZERO)
    compare_monthly = run.report_type == "monthly"
    # What the change, the notable changes and the budget pace are about.
    total_current = usage_current + (monthly_current if compare_monthly else ZERO)
    total_previous = usage_previous + (monthly_previous if compare_monthly else ZERO)

    services: list[ServiceRow] = []
    for name, (cur, prev) in by_service.items():
        change, pct = cur - prev, pct_change(cur, prev)
        share = cur / gross * HUNDRED if gross > 0 and cur > 0 else ZERO
        services.append(
            ServiceRow(service=name, current=cur, previous=prev, change=change, change_pct=pct,
                       share_pct=share, flagged=is_flagged(change, pct, rule))
        )
    services.sort(key=lambda r: (-r.current, r.service))

    movers = sorted((r for r in services if r.change != 0), key=lambda r: (-abs(r.change), r.service))

    accounts = [
        AccountRow(account_id=account, current=cur, previous=prev, change=cur - prev,
                   change_pct=pct_change(cur, prev), services=services_per_account.get(account, 0))
        for account, (cur, prev) in by_account.items()
    ]
    accounts.sort(key=lambda r: (-r.current, r.account_id))

    total_change = total_current - total_previous
    total_pct = pct_change(total_current, total_previous)
    total_flagged = is_flagged(total_change, total_pct, rule)

    alerts: list[ChangeFlag] = []
    if total_flagged:
        alerts.append(ChangeFlag(service=None, current=total_current, change=total_change, change_pct=total_pct))
    # Biggest money first: that is what a reader acts on.
    for row in sorted((r for r in services if r.flagged), key=lambda r: (-abs(r.change), r.service)):
        alerts.append(ChangeFlag(service=row.service, current=row.current, change=row.change, change_pct=row.change_pct))

    budget = client.budget_for(run.report_type)
    spent = total_current + credits[0] + refunds[0]  # net, without monthly charges outside monthly reports
    return CostReport(
        client_id=client.client_id,
        client_name=client.name,
        report_type=run.report_type,
        current=run.current,
        previous=run.previous,
        currency=dataset.currency,
        estimated=dataset.estimated,
        cost_metric=client.cost_metric,
        excluded_record_types=client.record_types_excluded(),
        total_current=usage_current + credits[0] + refunds[0] + monthly_current,
        total_previous=usage_previous + credits[1] + refunds[1] + monthly_previous,
        total_change=total_change,
        total_change_pct=total_pct,
        total_flagged=total_flagged,
        services=services,
        top_movers=movers[:TOP_MOVERS],
        accounts=accounts,
        lines=lines,
        budget=budget_status(budget, spent) if budget is not None else None,
        alerts=alerts,
        charges=sorted(dataset.charges, key=lambda c: (c.account_id, c.record_type)),
        charges_apart=dataset.charges_separated,
        net_of_credits=client.include_credits or client.include_refunds,
        compared_current=total_current,
        compared_previous=total_previous,
        usage_current=usage_current,
        usage_previous=usage_previous,
        credits_current=credits[0],
        credits_previous=credits[1],
        refunds_current=refunds[0],
        refunds_previous=refunds[1],
        monthly_charges=monthly_rows,
        monthly_charges_compared=compare_monthly,
        shared_accounts=list(client.shared_accounts),
    )


def _charges(dataset: CostDataset) -> tuple[list[Decimal], list[Decimal], dict[str, list[Decimal]]]:
    """Credits and refunds as [current, previous], and the monthly charges by label (record_types.py)."""
    allowed = set(dataset.client.accounts)
    credits, refunds = [ZERO, ZERO], [ZERO, ZERO]
    monthly: dict[str, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    for charge in dataset.charges:
        if charge.account_id not in allowed:
            # Tenant isolation, as for usage lines.
            raise DataValidationError(
                f"charge for account {charge.account_id!r} does not belong to client {dataset.client.client_id!r}")
        if charge.record_type == CREDIT:
            bucket = credits
        elif charge.record_type == REFUND:
            bucket = refunds
        else:  # a record type posted monthly (or any other non-usage type fetched apart)
            bucket = monthly[record_type_label(charge.record_type)]
        bucket[0] += charge.current_amount
        bucket[1] += charge.previous_amount
    return credits, refunds, {k: v for k, v in monthly.items() if v[0] != 0 or v[1] != 0}

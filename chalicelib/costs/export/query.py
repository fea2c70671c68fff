"""The product's Athena SQL: one query per export per run, for every export client of the run.

The query reads only the latest snapshot of each billing period the window touches (the manifest
names it: manifests.py), rolls hourly lines up to UTC days, keeps only the accounts of the run's
export clients (a join on the run-accounts table, partition-projected on the run id: no IN list, no
DDL per run; the join also names each row's client) and aggregates to client x day x provider x
account x service x charge labels x usage type x region x currency, with one sum per cost metric
the run's clients use, ordered by client. Every value that varies (the run id, billing periods,
snapshot folders, window bounds) is an ExecutionParameter; the SQL text is
built only from this module's own constants (column expressions, the declared database and table
names, checked by ExportDeclaration's patterns).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from chalicelib.core.errors import ConfigurationError
from chalicelib.costs.export.declarations import ExportDeclaration

# Which export column answers each cost_metric (docs/reports.md, "Billing exports").
# FOCUS: BilledCost is what the invoice says (Cost Explorer's unblended cost); EffectiveCost spreads
# upfront and recurring commitment fees over the usage they cover (amortised, after discounts). FOCUS
# has no blended cost: BlendedCost reads BilledCost. ListCost and ContractedCost answer no metric.
FOCUS_METRICS: dict[str, str] = {
    "UnblendedCost": "billedcost", "BlendedCost": "billedcost",
    "AmortizedCost": "effectivecost", "NetAmortizedCost": "effectivecost",
}
# CUR 2.0: amortised = the covered usage's effective cost, commitment fees taken out (they are spread
# into the usage), everything else at its unblended cost; net amortised uses the net unblended cost.
_CUR_AMORTISED = ("CASE line_item_line_item_type "
                  "WHEN 'SavingsPlanCoveredUsage' THEN savings_plan_savings_plan_effective_cost "
                  "WHEN 'DiscountedUsage' THEN reservation_effective_cost "
                  "WHEN 'SavingsPlanNegation' THEN 0 WHEN 'SavingsPlanUpfrontFee' THEN 0 "
                  "WHEN 'SavingsPlanRecurringFee' THEN 0 WHEN 'RIFee' THEN 0 "
                  "ELSE {plain} END")
CUR_METRICS: dict[str, str] = {
    "UnblendedCost": "line_item_unblended_cost", "BlendedCost": "line_item_blended_cost",
    "AmortizedCost": _CUR_AMORTISED.format(plain="line_item_unblended_cost"),
    "NetAmortizedCost": _CUR_AMORTISED.format(plain="line_item_net_unblended_cost"),
}
# The result's columns, in order (the split reads them by these names).
LABELS = ("day", "provider", "account_id", "service", "charge_category", "charge_class", "charge_frequency",
          "service_code", "commitment_type", "usage_type", "region", "currency")


def _text(expression: str) -> str:
    """A label as written, with NULL, '' and the string 'NULL' all read as no label."""
    return f"coalesce(nullif(nullif(trim({expression}), ''), 'NULL'), '')"


def _label(expression: str) -> str:
    """A label compared case-insensitively ("Usage-Based" and "Usage-based" are one)."""
    return f"lower({_text(expression)})"


def _focus_columns(export: ExportDeclaration) -> dict[str, str]:
    usage_type = f"coalesce(nullif({_text('x_usagetype')}, ''), {_text('skuid')})" if export.aws_columns \
        else _text("skuid")
    return {
        "day": "CAST(date_trunc('day', chargeperiodstart) AS date)",
        "provider": _text("providername"), "account_id": _text("subaccountid"), "service": _text("servicename"),
        "charge_category": _label("chargecategory"), "charge_class": _label("chargeclass"),
        "charge_frequency": _label("chargefrequency"),
        "service_code": _text("x_servicecode") if export.aws_columns else "''",
        "commitment_type": _text("commitmentdiscounttype"), "usage_type": usage_type, "region": _text("regionid"),
        "currency": f"upper({_text('billingcurrency')})",
    }


def _cur_columns() -> dict[str, str]:
    product_name = _text("element_at(product, 'product_name')")
    return {
        "day": "CAST(date_trunc('day', line_item_usage_start_date) AS date)",
        "provider": "'AWS'", "account_id": _text("line_item_usage_account_id"),
        "service": f"coalesce(nullif({product_name}, ''), {_text('line_item_product_code')})",
        "charge_category": _label("line_item_line_item_type"), "charge_class": "''", "charge_frequency": "''",
        "service_code": _text("line_item_product_code"), "commitment_type": "''",
        "usage_type": _text("line_item_usage_type"), "region": _text("product_region_code"),
        "currency": f"upper({_text('line_item_currency_code')})",
    }


def metric_expression(export: ExportDeclaration, metric: str) -> str:
    table = CUR_METRICS if export.family == "cur" else FOCUS_METRICS
    if metric not in table:
        raise ConfigurationError(f"cost_metric {metric!r} has no column in a {export.format} export")
    return table[metric]


def metric_column(metric: str) -> str:
    """The result column holding this metric's sum."""
    return f"m_{metric.lower()}"


@dataclass(frozen=True)
class Snapshot:
    """The latest snapshot of one billing period, as its manifest names it."""

    billing_period: str  # YYYY-MM
    folder: str  # s3://.../data/BILLING_PERIOD=YYYY-MM/<snapshot>/  (every data file of the snapshot is inside)
    estimated: bool  # the snapshot was taken before the billing period ended: the month is still open


@dataclass(frozen=True)
class ExportQuery:
    sql: str
    parameters: list[str]


def _literal(value: str) -> str:
    """An ExecutionParameter holding a string: a quoted SQL literal (Athena substitutes it as written)."""
    if len(value) > 1000:
        raise ConfigurationError(f"a query parameter is longer than Athena allows: {value[:60]}...")
    return "'" + value.replace("'", "''") + "'"


def _timestamp(day: date) -> str:
    return f"TIMESTAMP '{day.isoformat()} 00:00:00'"


def build_query(export: ExportDeclaration, run_id: str, start: date, end: date, snapshots: Sequence[Snapshot],
                metrics: Iterable[str]) -> ExportQuery:
    """The run's one query over this export: rows of [start, end) of the run's export accounts, each
    with the client it belongs to (from the run-accounts table), ordered by client so the split can
    write one client's dataset at a time whatever the number of clients."""
    if not snapshots:
        raise ConfigurationError(f"export {export.name}: no billing period of the window has a snapshot")
    metrics = sorted(set(metrics))
    columns = _cur_columns() if export.family == "cur" else _focus_columns(export)
    period_start = "line_item_usage_start_date" if export.family == "cur" else "chargeperiodstart"
    account = "line_item_usage_account_id" if export.family == "cur" else "subaccountid"
    select = ["run_accounts.client_id AS client_id", *(f"{columns[name]} AS {name}" for name in LABELS)]
    # decimal(38, 10) per line: the sum is exact to the tenth decimal, as Cost Explorer reports amounts
    select += [f"coalesce(sum(CAST({metric_expression(export, m)} AS decimal(38, 10))), 0) AS {metric_column(m)}"
               for m in metrics]
    snapshot_filter = " OR ".join('(billing_period = ? AND starts_with("$path", ?))' for _ in snapshots)
    # placeholders are numbered in the order they appear: the join's run id comes first
    parameters = [_literal(run_id)]
    parameters += [p for s in snapshots for p in (_literal(s.billing_period), _literal(s.folder))]
    parameters += [_timestamp(start), _timestamp(end)]
    sql = (
        f"SELECT {', '.join(select)}\n"
        f'FROM "{export.database}"."{export.table}"\n'
        f'JOIN (SELECT account_id, client_id FROM "{export.database}"."{export.accounts_table}" WHERE run_id = ?) '
        f"AS run_accounts ON run_accounts.account_id = {account}\n"
        f"WHERE ({snapshot_filter})\n"
        f"  AND {period_start} >= ? AND {period_start} < ?\n"
        f"GROUP BY {', '.join(str(i) for i in range(1, len(LABELS) + 2))}\n"
        f"ORDER BY 1"
    )
    return ExportQuery(sql=sql, parameters=parameters)

"""Period summaries from day buckets (days, weeks and months from days; years from months).

Pure: takes tallies, returns the summary items to store and the view people read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from chalicelib.core.constants import PK_SUMMARY_PREFIX
from chalicelib.metrics.calendar import SummaryPeriod
from chalicelib.metrics.tally import Tally

# The flat figures every summary view has (the `summaries --json` and summaries.json shape).
VIEW_COUNTS: tuple[str, ...] = ("runs", "runs_with_failures", "clients_delivered", "clients_skipped", "clients_failed",
                                "emails_sent", "ce_requests", "clients_unknown")


def summary_item(tenant: str, period: SummaryPeriod, tally: Tally, days_with_data: int, run_id: str) -> dict[str, Any]:
    return {
        "pk": f"{PK_SUMMARY_PREFIX}{tenant}",
        "sk": period.key,
        "tenant": tenant,
        "period_type": period.period_type,
        "period_start": period.start.isoformat(),
        "period_end": period.last_day.isoformat(),  # inclusive, as people read periods
        "days_with_data": days_with_data,
        "computed_by": run_id,
        **tally.to_item(),
    }


def summaries_from_days(tenant: str, periods: Iterable[SummaryPeriod], days: Mapping[date, Tally], run_id: str,
                        keep_empty: bool) -> list[dict[str, Any]]:
    """One summary item per period (yearly periods excluded: they come from months). A period
    without any day bucket is left out unless `keep_empty` (the deployment always gets one:
    "no runs yesterday" is news)."""
    items = []
    for period in periods:
        if period.period_type == "yearly":
            continue
        present = [days[day] for day in period.each_day() if day in days]
        if present or keep_empty:
            items.append(summary_item(tenant, period, Tally.total(present), len(present), run_id))
    return items


def yearly_from_months(tenant: str, period: SummaryPeriod, monthly_items: Iterable[Mapping[str, Any]], run_id: str,
                       keep_empty: bool) -> dict[str, Any] | None:
    start, end = period.start.isoformat(), period.end.isoformat()
    months = [item for item in monthly_items if start <= str(item.get("period_start", "")) < end]
    if not months and not keep_empty:
        return None
    days = sum(int(item.get("days_with_data", 0)) for item in months)
    return summary_item(tenant, period, Tally.total(Tally.from_item(item) for item in months), days, run_id)


def summary_view(item: Mapping[str, Any]) -> dict[str, Any]:
    """A stored summary as people read it (JSON-ready)."""
    tally = Tally.from_item(item)
    return {
        "tenant": item["tenant"],
        "period_type": item["period_type"],
        "period_start": item["period_start"],
        "period_end": item["period_end"],
        **{name: getattr(tally, name) for name in VIEW_COUNTS},
        "spend_reported": float(round(tally.spend_reported, 2)),
        "failed_by_category": dict(sorted(tally.failed_by_category.items())),
        "client_duration": tally.client.stats(),
        "run_duration": tally.run.stats(),
        "days_with_data": int(item.get("days_with_data", 0)),
        "computed_by": item.get("computed_by"),
    }

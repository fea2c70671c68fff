"""Credit fund marks: each BDC's portfolio at fair value against its cost, quarter over quarter.

Form PF is confidential (the SEC publishes only aggregate Private Fund Statistics), so private credit
marks are read from public filings instead: the BDCs' XBRL `InvestmentOwnedAtFairValue` and
`InvestmentOwnedAtCost` (companyfacts, instants at quarter ends, filed before as-of). Alert: a fund's
fair value / cost fell by more than a threshold (percentage points) in its latest quarter. Fair values
and costs must be finite numbers above zero (figures.py): a bad one fails that fund with the reason.
"""

from __future__ import annotations

from statistics import mean
from typing import Any, ClassVar

from chalicelib.core.errors import DataValidationError
from chalicelib.scraping import figures
from chalicelib.scraping.contracts import Alert, ItemOutcome, Summary
from chalicelib.scraping.parsers import xbrl
from chalicelib.scraping.scrapers.base import JobContext, company_facts_document, company_items

FAIR_VALUE, COST = "InvestmentOwnedAtFairValue", "InvestmentOwnedAtCost"


class CreditFund:
    name = "credit-fund"
    figure_rules: ClassVar[dict[str, figures.FigureRule]] = {
        "fair_value_usd": figures.positive, "cost_usd": figures.positive, "mark_pct": figures.finite,
        "previous_mark_pct": figures.finite, "change_pp": figures.finite}

    def plan(self, job: JobContext) -> list[dict[str, Any]]:
        return company_items(job.settings.credit_fund.funds)

    def process(self, item: dict[str, Any], job: JobContext) -> ItemOutcome:
        document = company_facts_document(job, item["cik"])

        def by_end(concept: str) -> dict[Any, xbrl.Fact]:
            facts = [f for f in xbrl.company_facts(document, concept, as_of=job.as_of) if f.unit == "USD" and f.start is None]
            if not facts:
                raise DataValidationError(f"{item['name']}: no {concept} facts filed before {job.as_of} in XBRL")
            return xbrl.by_period_end(facts)

        fair, cost = by_end(FAIR_VALUE), by_end(COST)
        ends = sorted(set(fair) & set(cost))
        if len(ends) < 2:
            raise DataValidationError(f"{item['name']}: fair value and cost for two quarter ends are needed, found {len(ends)}")
        latest, previous = ends[-1], ends[-2]

        def mark(end: Any) -> float:
            value = figures.positive(fair[end].val, f"{item['name']}: {FAIR_VALUE} at {end}")
            return value / figures.positive(cost[end].val, f"{item['name']}: {COST} at {end}") * 100

        ratio, prior = mark(latest), mark(previous)
        return ItemOutcome(key=item["key"], status="ok", data={
            "name": item["name"], "period_end": latest.isoformat(), "fair_value_usd": fair[latest].val,
            "cost_usd": cost[latest].val, "mark_pct": round(ratio, 2), "previous_mark_pct": round(prior, 2),
            "change_pp": round(ratio - prior, 2)})

    def aggregate(self, outcomes: list[ItemOutcome], job: JobContext) -> Summary:
        ok = [o for o in outcomes if o.status == "ok"]
        rows = [{"cik": o.key, "name": o.data.get("name", ""), "status": o.status, "period_end": o.data.get("period_end"),
                 "mark_pct": o.data.get("mark_pct"), "change_pp": o.data.get("change_pp"), "reason": o.reason}
                for o in outcomes]
        marks = [float(o.data["mark_pct"]) for o in ok]
        changes = [float(o.data["change_pp"]) for o in ok]
        return Summary(headline={"average_mark_pct": round(mean(marks), 2) if marks else None,
                                 "worst_change_pp": min(changes) if changes else None, "fund_count": len(ok)}, rows=rows)

    def alerts(self, summary: Summary, job: JobContext) -> list[Alert]:
        config = job.settings.credit_fund
        alerts = []
        for row in summary.rows:
            change = row["change_pp"]
            if row["status"] != "ok" or change is None or -change < config.alert_decline_pp:
                continue
            critical = -change >= config.critical_decline_pp
            alerts.append(Alert(rule=f"mark-decline-{row['cik']}", severity="critical" if critical else "normal",
                                title=f"{row['name']}: portfolio marked down {-change:.1f} points",
                                message=f"{row['name']}: fair value / cost {row['mark_pct']:.1f}% at {row['period_end']}, "
                                        f"{change:+.1f} points on the previous quarter (XBRL, 10-Q/10-K)",
                                value=float(-change),
                                threshold=config.critical_decline_pp if critical else config.alert_decline_pp))
        return alerts


SCRAPER = CreditFund()

"""Bank provisions: each bank's provision for credit losses in its latest quarter against the one before.

Banks tag the provision differently; per filer the concept with the most recent quarter wins among
ProvisionForLoanLeaseAndOtherLosses, ProvisionForLoanLossesExpensed and
FinancingReceivableExcludingAccruedInterestCreditLossExpenseReversal (companyfacts, filed before as-of).
Quarters are the 3-month facts of 10-Qs; Q4 is the 10-K year less the 9-month year-to-date.
Alert: a quarter-over-quarter rise past a threshold. A provision can be negative (a release) but must be a
finite number (figures.py): a bad one fails that bank with the reason.
"""

from __future__ import annotations

from statistics import mean
from typing import Any, ClassVar

from chalicelib.core.errors import DataValidationError
from chalicelib.scraping import figures
from chalicelib.scraping.contracts import Alert, ItemOutcome, Summary
from chalicelib.scraping.parsers import xbrl
from chalicelib.scraping.scrapers.base import JobContext, company_facts_document, company_items

CONCEPTS = ("ProvisionForLoanLeaseAndOtherLosses", "ProvisionForLoanLossesExpensed",
            "FinancingReceivableExcludingAccruedInterestCreditLossExpenseReversal")


class BankProvision:
    name = "bank-provision"
    figure_rules: ClassVar[dict[str, figures.FigureRule]] = {
        "provision_usd": figures.finite, "previous_usd": figures.finite, "change_pct": figures.finite_or_none}

    def plan(self, job: JobContext) -> list[dict[str, Any]]:
        return company_items(job.settings.bank_provision.banks)

    def process(self, item: dict[str, Any], job: JobContext) -> ItemOutcome:
        document = company_facts_document(job, item["cik"])
        best: tuple[str, list[xbrl.Fact]] | None = None
        for concept in CONCEPTS:
            facts = [f for f in xbrl.company_facts(document, concept, as_of=job.as_of) if f.unit == "USD"]
            quarters = xbrl.quarters_with_q4(facts)
            if len(quarters) >= 2 and (best is None or quarters[-1].end > best[1][-1].end):
                best = (concept, quarters)
        if best is None:
            raise DataValidationError(f"{item['name']}: two quarters of a provision concept ({', '.join(CONCEPTS)}) "
                                      f"filed before {job.as_of} are needed")
        concept, quarters = best
        latest, previous = quarters[-1], quarters[-2]
        change = (latest.val - previous.val) / abs(previous.val) * 100 if previous.val else None
        return ItemOutcome(key=item["key"], status="ok", data={
            "name": item["name"], "concept": concept, "period_end": latest.end.isoformat(), "provision_usd": latest.val,
            "previous_usd": previous.val, "change_pct": round(change, 2) if change is not None else None})

    def aggregate(self, outcomes: list[ItemOutcome], job: JobContext) -> Summary:
        ok = [o for o in outcomes if o.status == "ok"]
        rows = [{"cik": o.key, "name": o.data.get("name", ""), "status": o.status, "concept": o.data.get("concept"),
                 "period_end": o.data.get("period_end"), "provision_usd": o.data.get("provision_usd"),
                 "change_pct": o.data.get("change_pct"), "reason": o.reason} for o in outcomes]
        changes = [float(o.data["change_pct"]) for o in ok if o.data.get("change_pct") is not None]
        return Summary(headline={"total_provision_usd": sum(float(o.data["provision_usd"]) for o in ok) if ok else None,
                                 "average_change_pct": round(mean(changes), 2) if changes else None,
                                 "bank_count": len(ok)}, rows=rows)

    def alerts(self, summary: Summary, job: JobContext) -> list[Alert]:
        config = job.settings.bank_provision
        alerts = []
        for row in summary.rows:
            change = row["change_pct"]
            if row["status"] != "ok" or change is None or change < config.alert_rise_pct:
                continue
            critical = change >= config.critical_rise_pct
            alerts.append(Alert(rule=f"provision-rise-{row['cik']}", severity="critical" if critical else "normal",
                                title=f"{row['name']}: provision for credit losses up {change:.0f}% on the quarter",
                                message=f"{row['name']}: {row['concept']} ${row['provision_usd'] / 1e6:,.0f}m in the quarter "
                                        f"to {row['period_end']}, {change:+.1f}% on the previous quarter",
                                value=float(change),
                                threshold=config.critical_rise_pct if critical else config.alert_rise_pct))
        return alerts


SCRAPER = BankProvision()

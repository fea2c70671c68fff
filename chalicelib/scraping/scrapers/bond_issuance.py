"""Bond issuance: the week's 424B2/424B3/424B5 supplements of investment-grade tech issuers, parsed to deals.

Plan: EDGAR full-text search for the forms filed in the `lookback_days` before as-of (every page), or the
daily form indexes of those days (`plan_source: daily-index`); kept: filers in the issuer CIK list (or
the SIC list). Item: one filing. Process: fetch the document, parse the cover (amount, coupon, maturity
per tranche). A preliminary supplement or a rejected document (exchange offer, structured note) is
skipped with the reason and never counted. Alert: the week's total notional past a threshold. A deal's
amount must be a whole number of dollars above zero (figures.py).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar
from urllib.parse import urlencode

from chalicelib.core.errors import DataValidationError
from chalicelib.scraping import figures
from chalicelib.scraping.contracts import Alert, ItemOutcome, Summary
from chalicelib.scraping.parsers.efts import parse_search
from chalicelib.scraping.parsers.form_index import parse_form_index, unique_filings
from chalicelib.scraping.parsers.prospectus import parse_prospectus
from chalicelib.scraping.scrapers.base import JobContext

MAX_SEARCH_PAGES = 100  # the full-text search pages by 100 and stops at 10,000 hits


def _tranches(value: Any, what: str) -> Any:
    """The rule for a deal's tranches: a non-empty list of {amount_usd (above 0 or null), coupon_pct (finite
    or null), floating (bool), maturity (text)}."""
    if not isinstance(value, list) or not value:
        raise DataValidationError(f"{what} is {str(value)[:80]!r}: not a list of tranches")
    for index, tranche in enumerate(value):
        where = f"{what}[{index}]"
        if not isinstance(tranche, dict) or not isinstance(tranche.get("floating"), bool) \
                or not isinstance(tranche.get("maturity"), str):
            raise DataValidationError(f"{where} is {str(tranche)[:80]!r}: not a tranche")
        if tranche.get("amount_usd") is not None:
            figures.positive(tranche["amount_usd"], f"{where}.amount_usd")
        figures.finite_or_none(tranche.get("coupon_pct"), f"{where}.coupon_pct")
    return value


class BondIssuance:
    name = "bond-issuance"
    figure_rules: ClassVar[dict[str, figures.FigureRule]] = {"amount_usd": figures.positive, "tranches": _tranches}

    def plan(self, job: JobContext) -> list[dict[str, Any]]:
        config = job.settings.bond_issuance
        start, end = job.as_of - timedelta(days=config.lookback_days), job.as_of - timedelta(days=1)
        issuers = {company.cik: company.name for company in config.issuers}
        if config.plan_source == "daily-index":
            return self._plan_from_daily_index(job, start, end, issuers)
        sics = set(config.sics)
        items: dict[str, dict[str, Any]] = {}
        offset = 0
        for _ in range(MAX_SEARCH_PAGES):
            query = urlencode({"q": "", "forms": ",".join(config.forms), "startdt": start.isoformat(),
                               "enddt": end.isoformat(), "from": offset})
            page = parse_search(job.sec_json(f"{job.settings.sec_search_url}/LATEST/search-index?{query}"))
            for hit in page.hits:
                cik = next((c for c in hit.ciks if c in issuers), None)
                if cik is None and sics.intersection(hit.sics):
                    cik = hit.ciks[0]
                if cik is None or hit.accession in items:
                    continue
                folder = hit.accession.replace("-", "")
                items[hit.accession] = {
                    "key": hit.accession, "cik": cik, "issuer": issuers.get(cik) or (hit.names[0] if hit.names else str(cik)),
                    "form": hit.form, "filed": hit.filed.isoformat(),
                    "url": f"{job.settings.sec_archives_url}/Archives/edgar/data/{cik}/{folder}/{hit.filename}"}
            offset += len(page.hits)
            if not page.hits or offset >= page.total:
                return list(items.values())
        raise DataValidationError(f"full-text search: more than {MAX_SEARCH_PAGES} pages for {start}..{end}")

    def _plan_from_daily_index(self, job: JobContext, start: Any, end: Any, issuers: dict[int, str]) -> list[dict[str, Any]]:
        forms = set(job.settings.bond_issuance.forms)
        entries = []
        day = start
        while day <= end:
            url = (f"{job.settings.sec_archives_url}/Archives/edgar/daily-index/{day.year}/QTR{(day.month - 1) // 3 + 1}/"
                   f"form.{day.strftime('%Y%m%d')}.idx")
            reply = job.http.get_or_none(url, limiter="sec")  # weekends and holidays have no index
            if reply is not None:
                try:
                    entries.extend(parse_form_index(reply.text, forms))
                except ValueError as exc:
                    raise DataValidationError(f"daily index {day}: {exc}") from exc
            day += timedelta(days=1)
        return [{"key": e.accession, "cik": e.cik, "issuer": issuers[e.cik], "form": e.form, "filed": e.filed.isoformat(),
                 "url": f"{job.settings.sec_archives_url}/Archives/{e.path}"}
                for e in unique_filings(entries) if e.cik in issuers]

    def process(self, item: dict[str, Any], job: JobContext) -> ItemOutcome:
        terms = parse_prospectus(job.sec_text(item["url"]))
        base = {"issuer": item["issuer"], "form": item["form"], "filed": item["filed"], "url": item["url"]}
        if terms.status != "priced":
            return ItemOutcome(key=item["key"], status="skipped", reason=terms.reason, data=base)
        if terms.amount_usd is None:
            raise DataValidationError(f"{item['url']}: priced supplement but the deal amount could not be read")
        tranches = [{"amount_usd": t.amount_usd, "coupon_pct": t.coupon_pct, "floating": t.floating,
                     "maturity": t.maturity} for t in terms.tranches]
        return ItemOutcome(key=item["key"], status="ok", data={**base, "amount_usd": terms.amount_usd, "tranches": tranches})

    def aggregate(self, outcomes: list[ItemOutcome], job: JobContext) -> Summary:
        deals = [o for o in outcomes if o.status == "ok"]
        rows = []
        for outcome in outcomes:
            data = outcome.data
            tranches = data.get("tranches", [])
            rows.append({"filing": outcome.key, "issuer": data.get("issuer", ""), "form": data.get("form", ""),
                         "status": outcome.status, "amount_usd": data.get("amount_usd"),
                         "coupons": ", ".join(
                             "FRN" if t["floating"] else (f"{t['coupon_pct']:g}%" if t["coupon_pct"] is not None else "?")
                             for t in tranches),
                         "maturities": ", ".join(str(t["maturity"]) for t in tranches),
                         "url": data.get("url", ""), "reason": outcome.reason})
        return Summary(headline={"total_notional_usd": sum(int(d.data["amount_usd"]) for d in deals),
                                 "deal_count": len(deals),
                                 "skipped_count": sum(o.status == "skipped" for o in outcomes),
                                 "failed_count": sum(o.status == "failed" for o in outcomes)}, rows=rows)

    def alerts(self, summary: Summary, job: JobContext) -> list[Alert]:
        config = job.settings.bond_issuance
        total = float(summary.headline["total_notional_usd"] or 0)
        if total < config.alert_total_usd:
            return []
        critical = total >= config.critical_total_usd
        deals = sorted((r for r in summary.rows if r["status"] == "ok"), key=lambda r: -(r["amount_usd"] or 0))
        lines = [f"{r['issuer']}: ${r['amount_usd'] / 1e9:.2f}bn ({r['coupons']}; due {r['maturities']})" for r in deals]
        return [Alert(rule="weekly-notional", severity="critical" if critical else "normal",
                      title=f"Tech IG issuance ${total / 1e9:.1f}bn in the week before {job.as_of}",
                      message="\n".join(lines), value=total,
                      threshold=config.critical_total_usd if critical else config.alert_total_usd)]


SCRAPER = BondIssuance()

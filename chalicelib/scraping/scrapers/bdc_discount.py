"""BDC discount to NAV: the latest close (Yahoo chart JSON) against the latest NAV per share (XBRL).

Plan: the configured BDCs; one SEC frames request (`NetAssetValuePerShare`, the last completed quarter,
instant) gives the NAV of the BDCs that filed it. Process: NAV from the frame, else from companyconcept
(the latest fact filed before as-of); the close from the chart: the latest bar on or before as-of. No price
(a delisted symbol, an empty answer) fails the BDC with Yahoo's reason: no number is made up. A NAV or a
close that is not a finite number above zero fails the BDC with the reason (figures.py).
Alert: the sector's average discount past a threshold.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from statistics import mean
from typing import Any, ClassVar
from urllib.parse import quote, urlencode

from chalicelib.core.errors import DataValidationError
from chalicelib.scraping import figures
from chalicelib.scraping.contracts import Alert, ItemOutcome, Summary
from chalicelib.scraping.parsers import xbrl
from chalicelib.scraping.parsers.yahoo import latest_close
from chalicelib.scraping.scrapers.base import JobContext, cik10, sec_json_or_none
from chalicelib.scraping.secrets import scraper_secrets

CONCEPT = "NetAssetValuePerShare"
PRICE_LOOKBACK_DAYS = 10  # covers long weekends and holidays


class BdcDiscount:
    name = "bdc-discount"
    figure_rules: ClassVar[dict[str, figures.FigureRule]] = {
        "price": figures.positive, "nav": figures.positive, "discount_pct": figures.finite}

    def plan(self, job: JobContext) -> list[dict[str, Any]]:
        """The frame only saves requests: a frame that cannot be read, or a BDC's row in it with a bad value
        or a period after as-of, leaves that NAV to companyconcept (the reason travels with the item)."""
        period = xbrl.frame_period(job.as_of, instant=True)
        document = sec_json_or_none(
            job, f"{job.settings.sec_data_url}/api/xbrl/frames/us-gaap/{CONCEPT}/USD-per-shares/{period}.json")
        frame_note = ""
        try:
            frame = xbrl.parse_frame(document) if document else None
        except DataValidationError as exc:
            frame, frame_note = None, f"frames {period} not used: {exc}"
        in_frame = frame.by_cik() if frame else {}
        items = []
        for bdc in job.settings.bdc_discount.bdcs:
            row = in_frame.get(bdc.cik)
            note = frame_note or (frame.rejected.get(bdc.cik, "") if frame else "")
            if row is not None and row.end > job.as_of:
                row, note = None, f"frames {period} CIK {bdc.cik}: period end {row.end} is after {job.as_of}"
            items.append({"key": bdc.ticker, "cik": bdc.cik, "name": bdc.name, "ticker": bdc.ticker,
                          "nav": row.val if row else None, "nav_date": row.end.isoformat() if row else None,
                          "nav_source": f"frames {period}" if row else None, "nav_note": note[:300]})
        return items

    def process(self, item: dict[str, Any], job: JobContext) -> ItemOutcome:
        nav, nav_date, source = item.get("nav"), item.get("nav_date"), item.get("nav_source")
        if nav is None:
            nav, nav_date, source = self._nav_from_concept(item, job)
        nav = figures.positive(nav, f"{item['name']}: NAV per share ({CONCEPT}, {source})")
        end = datetime(job.as_of.year, job.as_of.month, job.as_of.day, tzinfo=UTC)
        query = urlencode({"period1": int((end - timedelta(days=PRICE_LOOKBACK_DAYS)).timestamp()),
                           "period2": int(end.timestamp()), "interval": "1d"})
        key = scraper_secrets().prices_api_key  # optional (Secrets Manager): a keyed price endpoint
        chart = job.http.get(f"{job.settings.prices_url}/v8/finance/chart/{quote(item['ticker'])}?{query}",
                             headers={"X-API-KEY": key.get_secret_value()} if key else None).json()
        close = latest_close(chart, item["ticker"], job.as_of)
        if close.close is None:
            raise DataValidationError(f"no price: {close.reason}")
        discount = round((nav - close.close) / nav * 100, 2)
        return ItemOutcome(key=item["key"], status="ok", data={
            "name": item["name"], "ticker": item["ticker"], "price": close.close,
            "price_date": close.session.isoformat() if close.session else None,
            "nav": nav, "nav_date": nav_date, "nav_source": source, "discount_pct": discount})

    def _nav_from_concept(self, item: dict[str, Any], job: JobContext) -> tuple[Any, str, str]:
        """(NAV, period end, source) of the latest NetAssetValuePerShare fact known at as-of."""
        note = f"{item['nav_note']}; " if item.get("nav_note") else ""
        url = f"{job.settings.sec_data_url}/api/xbrl/companyconcept/CIK{cik10(item['cik'])}/us-gaap/{CONCEPT}.json"
        try:
            fact = xbrl.latest(xbrl.concept_facts(job.sec_json(url), as_of=job.as_of), unit="USD/shares")
        except DataValidationError as exc:
            raise DataValidationError(f"{item['name']}: {note}{exc}") from exc
        if fact is None:
            raise DataValidationError(f"{item['name']}: {note}no {CONCEPT} fact filed before {job.as_of}")
        return fact.val, fact.end.isoformat(), f"companyconcept {fact.form} {fact.accn}"

    def aggregate(self, outcomes: list[ItemOutcome], job: JobContext) -> Summary:
        ok = [o for o in outcomes if o.status == "ok"]
        rows = [{"ticker": o.key, "status": o.status, "price": o.data.get("price"), "nav": o.data.get("nav"),
                 "discount_pct": o.data.get("discount_pct"), "nav_date": o.data.get("nav_date"),
                 "nav_source": o.data.get("nav_source"), "reason": o.reason} for o in outcomes]
        discounts = [float(o.data["discount_pct"]) for o in ok]
        return Summary(headline={"average_discount_pct": round(mean(discounts), 2) if discounts else None,
                                 "widest_discount_pct": max(discounts) if discounts else None,
                                 "bdc_count": len(ok)}, rows=rows)

    def alerts(self, summary: Summary, job: JobContext) -> list[Alert]:
        config = job.settings.bdc_discount
        average = summary.headline.get("average_discount_pct")
        if average is None or average < config.alert_discount_pct:
            return []
        critical = average >= config.critical_discount_pct
        lines = [f"{r['ticker']}: price {r['price']:g} vs NAV {r['nav']:g} ({r['discount_pct']:+.1f}% discount)"
                 for r in sorted(summary.rows, key=lambda r: -(r["discount_pct"] or -999)) if r["status"] == "ok"]
        return [Alert(rule="sector-discount", severity="critical" if critical else "normal",
                      title=f"BDCs trade {average:.1f}% below NAV on average",
                      message="\n".join(lines), value=float(average),
                      threshold=config.critical_discount_pct if critical else config.alert_discount_pct)]


SCRAPER = BdcDiscount()

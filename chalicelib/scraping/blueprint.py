"""The scrapers' Lambda functions: the chunked job's stages and one trigger per scraper (its schedule).

Each function is one line into chalicelib/scraping; the stage modules are imported on first use.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from chalice import Blueprint, Cron
from chalice.app import CloudWatchEvent

from chalicelib.core.blueprints import stage_function

bp = Blueprint(__name__)

# Schedules (UTC): the names are the execution input's `scraper` values.
SCHEDULES = {
    "bond-issuance": Cron(0, 8, "?", "*", "MON", "*"),  # Mondays 08:00: the previous week's deals
    "bdc-discount": Cron(0, 6, "*", "*", "?", "*"),  # daily 06:00
    "credit-fund": Cron(0, 7, 1, "*", "?", "*"),  # the 1st, 07:00
    "bank-provision": Cron(0, 9, 1, "1,4,7,10", "?", "*"),  # the 1st of Jan/Apr/Jul/Oct, 09:00
}


class TriggerEvent(CloudWatchEvent):
    """A scheduled EventBridge event, or the manual event (only `source` and `detail`): Chalice's own class
    requires every EventBridge field and would fail on the manual one before our code runs."""

    def _extract_attributes(self, event_dict: dict[str, Any]) -> None:
        self.version = event_dict.get("version", "")
        self.account = event_dict.get("account", "")
        self.region = event_dict.get("region", "")
        self.detail = event_dict.get("detail")
        self.detail_type = event_dict.get("detail-type", "")
        self.source = event_dict.get("source", "")
        self.time = event_dict.get("time", "")
        self.event_id = event_dict.get("id", "")
        self.resources = event_dict.get("resources", [])


STAGES: dict[str, str] = {}  # Lambda function -> the stage it runs (read by the ASL contract test too)
_stage = partial(stage_function, bp, STAGES)  # _stage(function name, "module:function")

scrape_plan = _stage("scrape_plan", "chalicelib.scraping.stages.plan:plan")
scrape_chunk = _stage("scrape_chunk", "chalicelib.scraping.stages.chunk:process_chunk")
scrape_aggregate = _stage("scrape_aggregate", "chalicelib.scraping.stages.aggregate:aggregate")
scrape_evaluate = _stage("scrape_evaluate", "chalicelib.scraping.stages.evaluate:evaluate_alerts")
scrape_publish = _stage("scrape_publish", "chalicelib.scraping.stages.publish:publish_alerts")


def _trigger(scraper: str) -> Any:
    def trigger(event: Any) -> Any:
        from chalicelib.scraping.trigger import handle

        return handle(scraper, event, event.context)

    function_name = scraper.replace("-", "_") + "_trigger"
    trigger.__name__ = trigger.__qualname__ = function_name
    handler = bp.schedule(SCHEDULES[scraper], name=function_name, description=f"start the {scraper} scraper job")(trigger)
    # the manual event {"source": "manual", "detail": {...}} lacks EventBridge's other fields
    handler.event_class = TriggerEvent
    return handler


bond_issuance_trigger = _trigger("bond-issuance")
bdc_discount_trigger = _trigger("bdc-discount")
credit_fund_trigger = _trigger("credit-fund")
bank_provision_trigger = _trigger("bank-provision")

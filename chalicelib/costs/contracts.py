"""The one cost dataset a report or a budget check is computed from, whatever the source.

A source (Cost Explorer, or a billing export read through Athena) answers a `CostWindowRequest` for
one client with a `ClientCosts`: the client's rows over one window. Every figure (both periods, the
trend, the 7-day average, month to date, monthly charges, credits and refunds, the why-line, the
forecast, a budget's spend) is derived from these rows, so no two figures can disagree.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import Field, model_validator

from chalicelib.core.models import Money, StrictModel
from chalicelib.core.periods import Period

# What a charge is, for the report's rules (docs/reports.md, "What the figures mean"):
# usage       consumption, including discounted and commitment-covered usage
# credit      credits granted by the provider (promotional, support, corrections to credits)
# refund      money returned for an earlier charge
# tax         taxes levied on the bill
# support     the support plan's fee
# fee         recurring commitment fees (reserved instances, savings plans) and marketplace or other fees
# purchase    upfront commitment purchases
# adjustment  what the provider applies that fits none of the above
ChargeCategory = Literal["usage", "credit", "refund", "tax", "support", "fee", "purchase", "adjustment"]
CHARGE_CATEGORIES: tuple[str, ...] = ("usage", "credit", "refund", "tax", "support", "fee", "purchase", "adjustment")
Granularity = Literal["DAILY", "MONTHLY"]
SourceKind = Literal["cost_explorer", "export"]
# Account level: rows without service, usage type and region (a budget's spend needs no more).
Detail = Literal["account", "service"]


class CostRow(StrictModel):
    """One bucket of one (provider, account, service, category, charge type, usage type, region)."""

    day: date  # the bucket's first day, UTC: the day (DAILY) or the 1st of the month (MONTHLY)
    provider: str = "AWS"  # Cost Explorer: AWS; an export: its ProviderName as written
    account_id: str  # Cost Explorer LINKED_ACCOUNT; FOCUS SubAccountId; CUR 2.0 line_item_usage_account_id
    service: str = ""  # "" at account detail
    category: ChargeCategory
    charge_type: str = ""  # the source's own finer label (a CE RECORD_TYPE such as RIFee), for labels only
    usage_type: str = ""  # "" where the source was not asked for it (see ClientCosts.detail_services)
    region: str = ""
    amount: Money  # in the client's cost metric and the dataset's currency, full precision
    estimated: bool = False  # the source marks it estimated (the bill is still open)


class SourceUsage(StrictModel):
    """What reading the dataset cost: what the run's bill counts."""

    ce_requests: int = 0  # every Cost Explorer request, each page counted ($0.01 each)
    athena_queries: int = 0  # this client's share is counted once per run, by the run's query stage
    athena_bytes_scanned: int = 0


class CostWindowRequest(StrictModel):
    """What a run asks of a source for one client: one window, one granularity, one level of detail."""

    client_id: str
    window: Period  # [start, end): the union of every window the run's figures need
    granularity: Granularity = "DAILY"
    detail: Detail = "service"


class ClientCosts(StrictModel):
    """A client's rows over one window from one source: the only input of its figures."""

    client_id: str
    source: SourceKind
    export: str | None = None  # the export's name when source is "export"
    metric: str  # the client's cost_metric, as the source names it (documented per source)
    currency: str
    granularity: Granularity
    detail: Detail = "service"
    window: Period
    rows: list[CostRow] = Field(default_factory=list)
    # None: every row carries usage_type and region. Otherwise only the rows of these services do,
    # in the periods they were detailed (Cost Explorer groups by two dimensions at most).
    detail_services: list[str] | None = None
    usage: SourceUsage = Field(default_factory=SourceUsage)

    @model_validator(mode="after")
    def _rows_inside_the_window(self) -> ClientCosts:
        outside = next((r for r in self.rows if not self.window.start <= r.day < self.window.end), None)
        if outside is not None:
            raise ValueError(f"rows: a row of {outside.day.isoformat()} is outside the window {self.window.label()}")
        return self

    def total(self, start: date, end: date, categories: tuple[str, ...] | None = None) -> Decimal:
        """The sum of the rows in [start, end), of the given categories (all when None)."""
        return sum((r.amount for r in self.rows
                    if start <= r.day < end and (categories is None or r.category in categories)), Decimal(0))


class SpendForecast(StrictModel):
    """A forecast of the client's usage over [start, end), from the dataset or from Cost Explorer."""

    start: date
    end: date
    total: Decimal
    lower: Decimal | None = None
    upper: Decimal | None = None
    daily: list[tuple[date, Decimal]] = Field(default_factory=list)
    method: str  # "weekday_level", "flat_mean", "empty_period" (costs/forecast.py) or "cost_explorer"

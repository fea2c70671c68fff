"""A tally: the numbers a day bucket holds, and that a week, month or year adds up from days.

Stored flat on the DynamoDB item (UpdateItem ADD cannot add into a map that may not exist yet):
  runs, runs_with_failures, clients_delivered, clients_skipped, clients_failed,
  emails_sent, ce_requests, spend_reported          counters
  clients_unknown                                    outcomes of ids with no client config (deployment only)
  failed#<category>                                  failed clients per error category
  client_ms_h00..h17, client_ms_sum, client_ms_max  per-client durations (histogram.py)
  run_ms_h00..h17,    run_ms_sum,    run_ms_max     run durations (deployment tenant only)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.core.constants import DEPLOYMENT_TENANT
from chalicelib.core.metric_events import ClientOutcome, RunEnd
from chalicelib.metrics import histogram

COUNTERS: tuple[str, ...] = ("runs", "runs_with_failures", "clients_delivered", "clients_skipped", "clients_failed",
                             "emails_sent", "ce_requests", "clients_unknown")
FAILED_PREFIX = "failed#"
MEASURES: tuple[str, ...] = ("client", "run")


class Durations(BaseModel):
    model_config = ConfigDict(extra="forbid")

    bins: list[int] = Field(default_factory=lambda: [0] * histogram.BIN_COUNT)
    sum_ms: int = 0
    max_ms: int = 0

    @property
    def count(self) -> int:
        return sum(self.bins)

    def add(self, other: Durations) -> None:
        self.bins = [a + b for a, b in zip(self.bins, other.bins, strict=True)]
        self.sum_ms += other.sum_ms
        self.max_ms = max(self.max_ms, other.max_ms)

    def stats(self) -> dict[str, float | int | None]:
        """count, p50/p95/max/mean in seconds (None when nothing was measured)."""
        count = self.count
        return {
            "count": count,
            "p50_seconds": histogram.percentile_seconds(self.bins, 0.50, self.max_ms),
            "p95_seconds": histogram.percentile_seconds(self.bins, 0.95, self.max_ms),
            "max_seconds": self.max_ms / 1000 if count else None,
            "mean_seconds": round(self.sum_ms / count / 1000, 3) if count else None,
        }


class Tally(BaseModel):
    model_config = ConfigDict(extra="forbid")

    runs: int = 0
    runs_with_failures: int = 0
    clients_delivered: int = 0
    clients_skipped: int = 0
    clients_failed: int = 0
    emails_sent: int = 0
    ce_requests: int = 0
    clients_unknown: int = 0  # client outcomes counted for the deployment only (no such client: no tenant)
    spend_reported: Decimal = Decimal(0)
    failed_by_category: dict[str, int] = Field(default_factory=dict)
    client: Durations = Field(default_factory=Durations)
    run: Durations = Field(default_factory=Durations)

    def add(self, other: Tally) -> None:
        for name in COUNTERS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.spend_reported += other.spend_reported
        for category, count in other.failed_by_category.items():
            self.failed_by_category[category] = self.failed_by_category.get(category, 0) + count
        self.client.add(other.client)
        self.run.add(other.run)

    @classmethod
    def total(cls, tallies: Iterable[Tally]) -> Tally:
        result = cls()
        for tally in tallies:
            result.add(tally)
        return result

    # ---- the stored form ---------------------------------------------------------------------

    @classmethod
    def from_item(cls, item: Mapping[str, Any]) -> Tally:
        tally = cls(**{name: int(item.get(name, 0)) for name in COUNTERS},
                    spend_reported=Decimal(str(item.get("spend_reported", 0))))
        tally.failed_by_category = {name[len(FAILED_PREFIX):]: int(value) for name, value in item.items()
                                    if name.startswith(FAILED_PREFIX)}
        for measure in MEASURES:
            setattr(tally, measure, Durations(
                bins=[int(item.get(histogram.bin_attribute(measure, i), 0)) for i in range(histogram.BIN_COUNT)],
                sum_ms=int(item.get(f"{measure}_ms_sum", 0)),
                max_ms=int(item.get(f"{measure}_ms_max", 0)),
            ))
        return tally

    def to_item(self) -> dict[str, Any]:
        """Attributes as stored (zeros left out: a missing attribute reads as 0)."""
        item: dict[str, Any] = {name: getattr(self, name) for name in COUNTERS if getattr(self, name)}
        if self.spend_reported:
            item["spend_reported"] = self.spend_reported
        item.update({FAILED_PREFIX + category: count for category, count in self.failed_by_category.items() if count})
        for measure in MEASURES:
            durations: Durations = getattr(self, measure)
            item.update({histogram.bin_attribute(measure, i): n for i, n in enumerate(durations.bins) if n})
            if durations.count:
                item[f"{measure}_ms_sum"] = durations.sum_ms
                item[f"{measure}_ms_max"] = durations.max_ms
        return item


def bucket_changes(event: ClientOutcome | RunEnd, known_client: bool = True) -> list[tuple[str, dict[str, Any], dict[str, int]]]:
    """[(tenant, attributes to ADD, maxima to raise)] for every day bucket one event changes: the
    client's and the deployment's (which also collects the day's active clients as a set).

    An outcome whose client is not known (`known_client` False: no config stored under its id) changes
    the deployment's bucket only, counted in `clients_unknown`, and never joins `tenants`: it makes
    no tenant of its own in the summaries."""
    changes = []
    attributed = isinstance(event, ClientOutcome) and known_client
    tenants = [event.client_id, DEPLOYMENT_TENANT] if attributed else [DEPLOYMENT_TENANT]
    for tenant in tenants:
        deployment = tenant == DEPLOYMENT_TENANT
        adds, maxima = increments(event, deployment)
        if deployment and isinstance(event, ClientOutcome):
            if attributed:
                adds["tenants"] = {event.client_id}  # set ADD: idempotent, and inside the same transaction
            else:
                adds["clients_unknown"] = 1
        changes.append((tenant, adds, maxima))
    return changes


def increments(event: ClientOutcome | RunEnd, deployment: bool) -> tuple[dict[str, Any], dict[str, int]]:
    """(attributes to ADD, maxima to raise) that one event makes to one tenant's day bucket.

    A client's own bucket counts the run it took part in; the deployment's counts runs from
    run_end events, so a run is counted once however many clients it had."""
    adds: dict[str, Any] = {}
    maxima: dict[str, int] = {}
    if isinstance(event, ClientOutcome):
        if not deployment:
            adds["runs"] = 1
        adds[f"clients_{event.status}"] = 1
        if event.category:
            adds[FAILED_PREFIX + event.category] = 1
        adds.update({"emails_sent": event.emails_sent, "ce_requests": event.ce_requests,
                     "spend_reported": event.spend_reported})
        measure = "client"
    else:
        adds.update({"runs": 1, "runs_with_failures": int(event.had_failures)})
        measure = "run"
    if event.duration_ms is not None:
        adds[histogram.bin_attribute(measure, histogram.bin_index(event.duration_ms))] = 1
        adds[f"{measure}_ms_sum"] = event.duration_ms
        maxima[f"{measure}_ms_max"] = event.duration_ms
    return {name: value for name, value in adds.items() if value}, maxima

"""Stage contracts of the aggregation state machine (statemachines/aggregate_summaries.asl.json).

  execution input   AggregationInput   {} | {"run_date": D} | {"backfill": true, "start_date": S, "end_date": E}
  PlanAggregation   PlanInput -> PlanOutput {"run": AggregationRun, "items": {bucket, key}, "tenants_planned": n}
  AggregateBatch    TenantBatch -> BatchResult   (one child execution of the Distributed Map per batch of
                                                 tenants; a tenant's own failure is recorded, not raised)
  RecordBatchFailure   BatchFailure -> BatchResult (the whole batch failed after its retries)
  PublishSummaries  PublishInput -> the published message (the execution output)

The run travels as a compact spec (dates, not the list of periods): every stage derives the
same periods from it, and a 366-day backfill stays a few hundred bytes per Map item.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import Field, StrictBool, field_validator

from chalicelib.core.constants import AGGREGATION_BATCH_TENANTS
from chalicelib.core.executions import CaughtError
from chalicelib.core.models import IsoDate, StrictModel
from chalicelib.metrics.calendar import MAX_BACKFILL_DAYS, SummaryPeriod, backfill_periods, scheduled_periods


class AggregationInput(StrictModel):
    """What the schedule sends and what a person types in the console."""

    backfill: StrictBool = False  # a JSON boolean: "yes" or 1 is refused, naming the field
    # YYYY-MM-DD within IsoDate's range: every day, week, month and year they touch fits the calendar
    start_date: IsoDate | None = None
    end_date: IsoDate | None = None
    run_date: IsoDate | None = None  # act as the schedule would on this day (default: the execution's start day)

    def problems(self) -> list[str]:
        """Cross-field rules, each naming its field (pydantic checks the types first)."""
        if not self.backfill:
            return [f"{name}: only with \"backfill\": true" for name in ("start_date", "end_date")
                    if getattr(self, name) is not None]
        found = [f"{name}: field required for a backfill" for name in ("start_date", "end_date")
                 if getattr(self, name) is None]
        if self.run_date is not None:
            found.append("run_date: not with a backfill (the range says which periods)")
        if not found and self.end_date < self.start_date:  # type: ignore[operator]
            found.append(f"end_date: {self.end_date} is before start_date {self.start_date}")
        elif not found and (self.end_date - self.start_date).days + 1 > MAX_BACKFILL_DAYS:  # type: ignore[operator]
            days = (self.end_date - self.start_date).days + 1  # type: ignore[operator]
            found.append(f"end_date: the range covers {days} days, at most {MAX_BACKFILL_DAYS}")
        return found


class AggregationRun(StrictModel):
    run_id: str = Field(min_length=1)
    mode: Literal["scheduled", "backfill"]
    run_date: date | None = None  # scheduled
    start_date: date | None = None  # backfill
    end_date: date | None = None  # backfill
    started_at: datetime
    max_concurrency: int = Field(default=10, ge=1, le=40)

    def periods(self) -> list[SummaryPeriod]:
        if self.mode == "backfill":
            return backfill_periods(self.start_date, self.end_date)  # type: ignore[arg-type]
        return scheduled_periods(self.run_date)  # type: ignore[arg-type]


class PlanInput(StrictModel):
    input: Any = None
    execution_name: str = Field(min_length=1)
    started_at: datetime


class ObjectRef(StrictModel):
    bucket: str = Field(min_length=1)
    key: str = Field(min_length=1)


class PlanOutput(StrictModel):
    """The tenants themselves are in S3 (`items`, a JSON list of batches of tenant ids, each one
    Map item, that the Distributed Map's ItemReader reads): the state carries a key and a count,
    whatever the number of clients."""

    run: AggregationRun
    items: ObjectRef
    tenants_planned: int = Field(ge=0)


class TenantBatch(StrictModel):
    """One Map item: a batch of tenants the plan wrote together (at most AGGREGATION_BATCH_TENANTS)."""

    run: AggregationRun
    tenants: list[str] = Field(min_length=1, max_length=AGGREGATION_BATCH_TENANTS)

    @field_validator("tenants")
    @classmethod
    def _named(cls, tenants: list[str]) -> list[str]:
        if not all(tenants) or len(set(tenants)) != len(tenants):
            raise ValueError("tenants: each a non-empty id, each once")
        return tenants


class BatchFailure(TenantBatch):
    error: CaughtError


class BatchResult(StrictModel):
    tenants: int = Field(ge=0)
    ok: int = Field(ge=0)
    failed: int = Field(ge=0)
    summaries_written: int = 0


class PublishInput(StrictModel):
    run: AggregationRun
    tenants_planned: int = Field(ge=0)  # tenants the Map was given (a tenant with no outcome is counted missing)


class DeploymentFigures(StrictModel):
    """The deployment's counts for one period (what downstream alerting reads)."""

    period_type: str
    period_start: date
    period_end: date
    runs: int
    runs_with_failures: int
    clients_delivered: int
    clients_skipped: int
    clients_failed: int
    emails_sent: int
    ce_requests: int
    spend_reported: float  # every report type's together
    spend_by_report_type: dict[str, float] = Field(default_factory=dict)  # what to read: weekly and daily apart


class FailedTenant(StrictModel):
    tenant: str
    error: str | None = None
    category: str | None = None
    reason: str | None = None


class PublishedSummaries(StrictModel):
    """The SNS message (and the execution output): counts, never report bodies."""

    run_id: str
    mode: Literal["scheduled", "backfill"]
    run_date: date | None = None
    start_date: date | None = None
    end_date: date | None = None
    periods: dict[str, int]  # period type -> periods summarized
    tenants: int
    tenants_failed: int
    tenants_missing: int  # no outcome recorded at all (recording the failure failed too)
    summaries_written: int
    failed_tenants: list[FailedTenant]
    deployment: list[DeploymentFigures]
    message_id: str | None = None

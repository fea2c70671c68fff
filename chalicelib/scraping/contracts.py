"""Typed inputs and outputs of the chunked job's stages (what `statemachines/chunked_job.asl.json` passes)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import Field, StrictBool

from chalicelib.core.constants import ScraperName
from chalicelib.core.models import IsoDate, StrictModel


class JobInput(StrictModel):
    """The execution input: what schedules send and what a person types in the console."""

    scraper: ScraperName
    as_of: IsoDate | None = None  # default: the execution's start date (UTC)
    dry_run: StrictBool = False  # no alerts published, no metric recorded: results only ("yes" is refused)


class JobRef(StrictModel):
    job_id: str  # <scraper>#<as_of>: the same input resumes the same job
    scraper: ScraperName
    as_of: date
    dry_run: bool
    execution_name: str


class PlanRequest(StrictModel):
    input: JobInput
    execution_name: str
    started_at: datetime


class PlanResult(StrictModel):
    job: JobRef
    chunks: list[int]  # chunks still to process (finished ones are skipped on a rerun)
    chunk_count: int
    item_count: int
    resumed: bool  # the plan already existed: this execution continues an earlier one
    max_concurrency: int


class ChunkRequest(StrictModel):
    job: JobRef
    chunk: int = Field(ge=0)


class ChunkResult(StrictModel):
    job: JobRef
    chunk: int
    done: bool
    cursor: int  # items of the chunk finished so far
    size: int
    processed_now: int  # items this invocation finished


class MapEntry(StrictModel):
    """One element of the Map's output: a finished chunk, or the error that stopped it (from the Catch)."""

    chunk: int
    done: bool = False
    error: dict[str, Any] | None = None


class AggregateRequest(StrictModel):
    job: JobRef
    chunks: list[MapEntry] = Field(default_factory=list)


class ItemOutcome(StrictModel):
    key: str
    status: Literal["ok", "failed", "skipped"]  # skipped: looked at and excluded with a reason (a preliminary deal)
    reason: str = ""
    data: dict[str, Any] = Field(default_factory=dict)


class Summary(StrictModel):
    """A scraper's aggregate: headline figures (None when not measurable) and one row per item."""

    headline: dict[str, float | int | None]
    rows: list[dict[str, Any]]


class AggregateResult(StrictModel):
    job: JobRef
    status: Literal["complete", "partial"]
    counts: dict[str, int]
    coverage: float  # share of items with a result (ok or skipped); 1.0 when there was nothing to do
    headline: dict[str, float | int | None]


class Alert(StrictModel):
    rule: str  # the alert's key within the job: published at most once per job and rule
    severity: Literal["normal", "critical"]
    title: str
    message: str
    value: float
    threshold: float


class EvaluateResult(StrictModel):
    job: JobRef
    status: Literal["complete", "partial"]
    headline: dict[str, float | int | None]
    alerts: list[Alert]
    note: str = ""  # why no alert was evaluated (coverage too low)


class PublishResult(StrictModel):
    job: JobRef
    published: list[str]  # rules published by this execution
    already_published: list[str]  # rules an earlier execution (or attempt) already published
    metric_recorded: bool

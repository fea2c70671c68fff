"""The cost report's stage contracts: each stage's input as the ASL passes it, its result as the
next state reads it (statemachines/cost_report.asl.json). `run_stage` parses every input and dumps
every result through these models; tests/test_asl_contracts.py checks them against the ASL, so a
field renamed on one side fails a unit test.

Data travels between states as S3 keys and ids, never report bodies (256 KB payload limit).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any, Literal

from pydantic import ConfigDict, Field, field_validator

from chalicelib.core.models import ClientConfig, ClientId, Money, Period, ReportType, StrictModel

# ---- the execution input and what every state carries ------------------------------------------


class RunInput(StrictModel):
    """The execution input: what the schedule sends and what a person types in the console."""

    report_type: ReportType
    as_of: date | None = None
    client_id: ClientId | None = None
    force: bool = False

    @field_validator("as_of", mode="before")
    @classmethod
    def _iso_date_only(cls, value: object) -> object:
        if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValueError("must be a date written YYYY-MM-DD")
        if value is not None and not isinstance(value, (str, date)):
            raise ValueError("must be a date written YYYY-MM-DD")
        return value


class RunContext(StrictModel):
    """What plan computes once per execution; every later state receives it."""

    run_id: str
    report_type: ReportType
    as_of: date
    current: Period
    previous: Period
    force: bool = False
    client_id: str | None = None
    started_at: datetime
    max_concurrency: int = 10


class ClientTask(StrictModel):
    """A Map item: one client of one run."""

    run: RunContext
    client_id: ClientId


class CostLine(StrictModel):
    account_id: str
    service: str
    current_amount: Money
    previous_amount: Money


class CostDataset(StrictModel):
    """What collect writes to S3: the client's own costs for both periods plus a config snapshot."""

    client: ClientConfig
    run: RunContext
    currency: str = "USD"
    estimated: bool = False
    lines: list[CostLine]
    ce_requests: int = 0


# ---- run-level states ---------------------------------------------------------------------------


class PlanInput(StrictModel):
    """Plan's Parameters. `input` is the execution input as typed: plan validates it as a RunInput
    itself, so a bad one fails with the field named (DataValidationError) instead of a shape error."""

    input: Any = None
    execution_name: str | None = None
    started_at: str | None = None


class PlanResult(StrictModel):
    """ResultPath "$": the state every later run-level state reads."""

    run: RunContext


class EligibilityInput(StrictModel):
    run: RunContext


class EligibilityResult(StrictModel):
    """$.eligibility; `client_ids` are the Map's items."""

    client_ids: list[ClientId]
    eligible: int
    skipped: int
    invalid: int


class SummarizeRunInput(StrictModel):
    run: RunContext


class FailedClient(StrictModel):
    client_id: str
    category: str | None
    reason: str
    recommended_action: str | None


class RunSummary(StrictModel):
    """$.summary, the execution output (OutputPath)."""

    run_id: str
    report_type: ReportType
    period: Period
    clients_total: int
    delivered: int
    skipped: int
    failed: int
    ce_requests: int
    status: Literal["completed", "completed_with_failures"]
    failures: list[FailedClient]
    alert_message_id: str | None = None


# ---- one client's branch (the Map item and what each task adds to it) ---------------------------


class CollectCostsResult(StrictModel):
    """$.collected: where collect wrote the CostDataset."""

    data_key: str
    ce_requests: int


class RenderReportInput(ClientTask):
    collected: CollectCostsResult


class RenderReportResult(StrictModel):
    """$.rendered: the MIME message deliver sends as is."""

    message_key: str
    html_bytes: int
    recipients: int


class DeliverReportInput(RenderReportInput):
    rendered: RenderReportResult


class DeliverReportResult(StrictModel):
    """$.delivery: `duplicate` when another run (or an earlier attempt) had already sent it."""

    message_id: str
    sent_by_run: str
    duplicate: bool


class CaughtError(StrictModel):
    """What a Catch writes at its ResultPath (Step Functions' own field names)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    error: str = Field(alias="Error")
    cause: str | None = Field(default=None, alias="Cause")


class RecordResultInput(ClientTask):
    """RecordSuccess gets every result; RecordFailure what the branch had when it failed, plus `error`."""

    collected: CollectCostsResult | None = None
    rendered: RenderReportResult | None = None
    delivery: DeliverReportResult | None = None
    error: CaughtError | None = None


class RecordResultOutput(StrictModel):
    client_id: str
    status: Literal["completed", "skipped", "failed"]

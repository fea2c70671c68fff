"""The cost report's stage contracts: each stage's input as the ASL passes it, its result as the
next state reads it (statemachines/cost_report.asl.json). `run_stage` parses every input and dumps
every result through these models; tests/unit/test_asl_contracts.py checks them against the ASL, so a
field renamed on one side fails a unit test.

Data travels between states as S3 keys and ids, never report bodies (256 KB payload limit).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import AwareDatetime, Field, StrictBool, field_validator

from chalicelib.core.amounts import StoredAmount
from chalicelib.core.clients import Fingerprint
from chalicelib.core.executions import CaughtError, FailedClient, ProblemSkip
from chalicelib.core.models import AsOfDate, ClientConfig, ClientId, Money, ReportType, StrictModel
from chalicelib.core.periods import Period

# ---- the execution input and what every state carries ------------------------------------------


class RunInput(StrictModel):
    """The execution input: what the schedule sends and what a person types in the console."""

    report_type: ReportType
    as_of: AsOfDate | None = None  # at most tomorrow (UTC) from the execution's start
    client_id: ClientId | None = None
    force: StrictBool = False  # "yes", 1 or "false" are refused: a typo must not force a re-send
    # The hourly schedule's runs: only the clients whose local send time falls in this UTC hour slot
    # (chalicelib/core/send_times.py). The stage's UTC schedule sets utc_schedule: clients with a
    # send_hour are left to their own slot. A manual run sets neither: every client, now.
    send_slot: AwareDatetime | None = None
    utc_schedule: StrictBool = False

    @field_validator("send_slot")
    @classmethod
    def _on_the_hour(cls, value: datetime | None) -> datetime | None:
        if value is not None and (value.utcoffset() or value.minute or value.second or value.microsecond):
            raise ValueError("must be a UTC hour, e.g. 2026-11-23T14:00:00Z")
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
    send_slot: datetime | None = None
    utc_schedule: bool = False


class ClientTask(StrictModel):
    """A Map item: one client of one run. `fingerprint` names the config eligibility checked against
    every other client (chalicelib/core/clients.py); collect reports on that config or on none."""

    run: RunContext
    client_id: ClientId
    fingerprint: Fingerprint | None = None  # every stage after collect carries it along, unused


class CollectCostsInput(ClientTask):
    fingerprint: Fingerprint


class CostLine(StrictModel):
    account_id: str
    service: str
    current_amount: Money
    previous_amount: Money


class ChargeLine(StrictModel):
    """A charge that is not usage (a credit, a refund, a monthly-posted fee), by account and record type."""

    account_id: str
    record_type: str
    current_amount: Money
    previous_amount: Money


class CostDataset(StrictModel):
    """What collect writes to S3: the client's own costs for both periods plus a config snapshot."""

    client: ClientConfig
    run: RunContext
    currency: str = "USD"
    estimated: bool = False
    lines: list[CostLine]  # usage by service (every record type when charges_separated is false)
    charges: list[ChargeLine] = Field(default_factory=list)
    charges_separated: bool = False  # credits, refunds and monthly charges fetched apart (in `charges`)
    ce_requests: int = 0

    def has_data(self) -> bool:
        return bool(self.lines or self.charges)


# ---- run-level states ---------------------------------------------------------------------------


class PlanResult(StrictModel):
    """ResultPath "$": the state every later run-level state reads."""

    run: RunContext


class EligibilityInput(StrictModel):
    run: RunContext


class ItemsLocation(StrictModel):
    """Where eligibility wrote the eligible client ids (a JSON list): the Map's ItemReader reads it."""

    bucket: str
    key: str


class EligibilityResult(StrictModel):
    """$.eligibility; the Map's items are the ids at `items` (never inline: 256 KB payload limit)."""

    items: ItemsLocation
    eligible: int
    skipped: int
    invalid: int
    # Eligible clients whose costs come from a billing export, and where their plan is
    # (chalicelib/costs/export/contracts.ExportPlan): the export steps run only when there are some.
    export_clients: int = 0
    export_plan_key: str = ""


class SummarizeRunInput(StrictModel):
    run: RunContext


class PeriodDays(StrictModel):
    """A period as people read it: first and last day, both inclusive."""

    start: date
    end: date

    @classmethod
    def of(cls, period: Period) -> PeriodDays:
        return cls(start=period.start, end=period.last_day)


class RunSummary(StrictModel):
    """$.summary, the execution output (OutputPath)."""

    run_id: str
    report_type: ReportType
    period: PeriodDays
    clients_total: int
    delivered: int
    skipped: int
    failed: int
    problems: int  # failed + skipped as a problem
    ce_requests: int
    status: Literal["completed", "completed_with_problems", "completed_with_failures"]
    failures: list[FailedClient]
    problem_skips: list[ProblemSkip] = Field(default_factory=list)
    alert_notification_id: str | None = None  # the operator alert, queued (chalicelib/notify)


# ---- one client's branch (the Map item and what each task adds to it) ---------------------------


class CollectCostsResult(StrictModel):
    """$.collected: where collect wrote the CostDataset and the ReportContext (trend, forecast, why),
    one object, or why there is no report (the HasCostData choice sends the branch straight to
    RecordSuccess when `skip_reason` is a string)."""

    data_key: str | None = None
    skip_reason: str | None = None
    ce_requests: int  # every Cost Explorer request of the client: main pages and the extra ones
    started_at: datetime | None = None  # when the client's branch began (its duration metric)


class CostsToRender(StrictModel):
    """$.collected as RenderReport reads it: HasCostData sends only branches with data its way."""

    data_key: str  # the CollectedReport: the dataset and its context
    skip_reason: str | None = None
    ce_requests: int
    started_at: datetime | None = None


class RenderReportInput(ClientTask):
    collected: CostsToRender


class RenderReportResult(StrictModel):
    """$.rendered: the MIME message deliver sends as is."""

    message_key: str
    html_bytes: int
    recipients: int
    spend_reported: StoredAmount | None = None  # the report's current-period total (the spend metric), as stored
    change_reported: str | None = None  # the headline's change as the report words it: "+$1,227.98 (+11.4%)"


class DeliverReportInput(RenderReportInput):
    rendered: RenderReportResult


class RecipientOutcome(StrictModel):
    """What deliver did for one recipient (its address masked, as in logs)."""

    to: str
    status: Literal["sent", "already_sent", "unsubscribed"]
    message_id: str | None = None  # sent / already_sent: the SES message id
    sent_by_run: str | None = None


class DeliverReportResult(StrictModel):
    """$.delivery: one message per recipient. `duplicate` when another run (or an earlier attempt) had
    already sent it to every recipient still subscribed; `message_id` None when nothing was sent
    because every recipient has unsubscribed (never counted as delivered)."""

    message_id: str | None  # the first recipient's message
    sent_by_run: str | None
    duplicate: bool
    recipients: list[RecipientOutcome] = Field(default_factory=list)
    unsubscribed: int = 0  # recipients skipped: they unsubscribed (chalicelib/core/subscriptions.py)


class RecordResultInput(ClientTask):
    """RecordSuccess gets every result; RecordFailure what the branch had when it failed, plus `error`."""

    collected: CollectCostsResult | None = None
    rendered: RenderReportResult | None = None
    delivery: DeliverReportResult | None = None
    error: CaughtError | None = None


# ---- report_pdf: a report on demand (invoked synchronously, no state machine) ---------------------


class OnDemandReportInput(StrictModel):
    """{"client_id", "report_type", "as_of"}: the report whose period ends before as_of, any past one."""

    client_id: ClientId
    report_type: ReportType
    as_of: AsOfDate  # later than tomorrow (UTC) is refused, as for a run
    format: Literal["pdf", "xlsx", "html"] = "pdf"


class OnDemandReportResult(StrictModel):
    report_key: str  # runs/on-demand-.../<client_id>/report.<format>, SSE-encrypted, expires with runs/
    report_url: str  # presigned GET, valid ON_DEMAND_URL_SECONDS
    ce_requests: int


class RecordResultOutput(StrictModel):
    client_id: str
    status: Literal["completed", "skipped", "failed"]

"""What the run's export stages pass each other (small: Step Functions carries it) and the run's export
plan (in S3: it lists every export client, whatever their number).

    eligibility     writes runs/<run>/export-plan.json (ExportPlan) and the run's accounts
    query_exports   ExportsInput -> ExportsState (one query per export, started)
    check_exports   ExportsState -> ExportsState (running or not; the Choice loops, bounded)
    split_exports   SplitInput -> SplitResult (each client's slice, or the reason it has none)
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from chalicelib.core.models import StrictModel
from chalicelib.core.periods import Period


class ExportClientEntry(StrictModel):
    client_id: str
    accounts: list[str]
    metric: str


class ExportPlan(StrictModel):
    """A run's export clients by export, and the window every client's dataset covers."""

    run_id: str
    window: Period
    granularity: Literal["DAILY", "MONTHLY"] = "DAILY"
    detail: Literal["account", "service"] = "service"
    exports: dict[str, list[ExportClientEntry]] = Field(default_factory=dict)


class QueryRef(StrictModel):
    export: str
    execution_id: str


class ExportsInput(StrictModel):
    run_id: str
    plan_key: str


class ExportsState(StrictModel):
    run_id: str
    plan_key: str
    queries: list[QueryRef] = Field(default_factory=list)
    running: bool = False
    checks: int = 0
    wait_seconds: int = 10


class SplitInput(StrictModel):
    run_id: str
    plan_key: str
    queries: list[QueryRef] = Field(default_factory=list)
    # Set when an earlier export step failed (the Catch's {"Error", "Cause"}): every export client is
    # then refused with that reason, so its report fails saying why while Cost Explorer clients go on.
    error: dict[str, Any] | None = None


class SplitResult(StrictModel):
    exports: int
    clients: int
    refused: int

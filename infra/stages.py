"""Per-stage settings (infra/stages.json): sizes, concurrency, log level, sender, tracing.

A validated contract (pydantic, unknown fields rejected) so a typo in stages.json is named, not
ignored. `python -m infra stage add staging --like dev` copies a stage's entry; the generated
files (.chalice/config.json, policies, resources.yaml) then follow with `python -m infra generate`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from chalicelib.core import constants as c
from chalicelib.core.models import Branding

STAGES_FILE = Path(__file__).resolve().parent / "stages.json"
STAGE_NAME = re.compile(r"^[a-z][a-z0-9]{0,15}$")


class FunctionSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    memory: int | None = Field(default=None, ge=128, le=10240)
    timeout: int | None = Field(default=None, ge=1, le=900)  # default: the description's
    reserved_concurrency: int | None = Field(default=None, ge=0)


class ExportSettings(BaseModel):
    """A billing export the stage reads (AWS Data Exports FOCUS 1.0 / 1.2 or CUR 2.0; docs/DEPLOY.md).
    Unset names default from the stage (infra/stage.Stage.cost_exports)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_-]{0,62}$")  # what a client's cost_source names
    format: Literal["focus-1.0", "focus-1.2", "cur-2.0"]
    s3_uri: str = Field(pattern=r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/(.+/)?[^/]+/?$")  # the export's own folder
    database: str | None = Field(default=None, pattern=r"^[a-z0-9_]{1,255}$")
    table: str | None = Field(default=None, pattern=r"^[a-z0-9_]{1,255}$")
    workgroup: str | None = Field(default=None, pattern=r"^[A-Za-z0-9._-]{1,128}$")
    results_uri: str | None = Field(default=None, pattern=r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/(.+/)?$")
    aws_columns: bool = True  # FOCUS with AWS's x_ columns (x_UsageType, x_ServiceCode)
    first_billing_period: str = Field(default="2024-01", pattern=r"^[0-9]{4}-[0-9]{2}$")  # projection's range start


class StageSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    memory: int = Field(default=256, ge=128, le=10240)  # for functions without their own
    xray: bool = False
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    metrics_disabled: bool = False  # Powertools EMF off (the local stage: tests switch it on)
    sender: str = Field(min_length=3)  # SENDER_EMAIL: the default From of reports
    # Domains a client's own sender/reply_to may use (ALLOWED_SENDER_DOMAINS and the deliver role's
    # ses:FromAddress condition); empty: the sender's own domain.
    allowed_sender_domains: tuple[str, ...] = ()
    # SEC_USER_AGENT: "<who> <contact address>", declared on every SEC request (fair access); the scrapers
    # refuse to run without a contact address, so a stage without it runs no scraper
    sec_user_agent: str = ""
    max_concurrency: int = Field(default=10, ge=1, le=40)  # the Map's MaxConcurrency
    loopback: bool = False  # deployed into a plain-HTTP endpoint on 127.0.0.1 (no TLS to enforce)
    bucket_names: dict[str, str] = Field(default_factory=dict)  # bucket key -> a name of your own (names are global)
    functions: dict[str, FunctionSettings] = Field(default_factory=dict)
    # Days a run's records (RUN#, RUNS, BUDGETRUN#) are kept (table TTL; RUN_RECORD_DAYS): at least the
    # 14 days Step Functions can redrive an execution, plus a day.
    run_record_days: int = Field(default=90, ge=c.MIN_RUN_RECORD_DAYS, le=3650)
    # A customer-managed KMS key of the stage's account and region (its key ARN: IAM grants name keys by
    # ARN, not alias): encrypts the bucket, table, queues and topics; the secrets are created under it.
    kms_key_arn: str | None = Field(default=None, pattern=r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]{1,128}$")
    # The deployment's white-label look (company_name, sender_name, accent_colour, footer_text, logo: an
    # asset under assets/_deployment/); the client config's branding overrides it field by field.
    branding: Branding | None = None
    # Billing exports read through Athena, and where clients that name no cost_source read costs.
    exports: tuple[ExportSettings, ...] = ()
    default_cost_source: str = "cost_explorer"
    export_poll_seconds: int = Field(default=10, ge=1, le=300)  # the report machine's wait between checks
    # The unsubscribe route's public base URL in emails (UNSUBSCRIBE_BASE_URL): a custom domain mapped to
    # the API, https://host[/path]; empty: the API's own https://<id>.execute-api.<region>.amazonaws.com/api.
    unsubscribe_base_url: str = Field(default="", max_length=200,
                                      pattern=r"^(|https://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~/-]*)?"
                                              r"|http://127\.0\.0\.1(:[0-9]{1,5})?(/[A-Za-z0-9._~/-]*)?)$")

    @model_validator(mode="after")
    def _known_default_source(self) -> StageSettings:
        names = [e.name for e in self.exports]
        if len(set(names)) != len(names):
            raise ValueError(f"exports: duplicate names in {names}")
        if self.default_cost_source not in ("cost_explorer", *names):
            raise ValueError(f"default_cost_source: {self.default_cost_source!r} is neither cost_explorer nor a "
                             f"declared export ({', '.join(names) or 'none declared'})")
        return self

    def sender_domains(self) -> tuple[str, ...]:
        return tuple(d.lower() for d in self.allowed_sender_domains) or (self.sender.rpartition("@")[2].lower(),)


def load(path: Path = STAGES_FILE) -> dict[str, StageSettings]:
    data = json.loads(path.read_text())
    stages = {}
    for name, entry in data.items():
        if not STAGE_NAME.match(name):
            raise ValueError(f"{path.name}: stage name {name!r} must match {STAGE_NAME.pattern}")
        try:
            stages[name] = StageSettings.model_validate(entry)
        except ValueError as exc:
            raise ValueError(f"{path.name}: stage {name!r}: {exc}") from exc
    return stages


def add_stage(name: str, like: str, path: Path = STAGES_FILE) -> None:
    """Copy stage `like`'s settings under `name` (bucket name overrides are not copied: names are global)."""
    data = json.loads(path.read_text())
    if not STAGE_NAME.match(name):
        raise ValueError(f"stage name {name!r} must match {STAGE_NAME.pattern} (it goes into every resource name)")
    if name in data:
        raise ValueError(f"stage {name!r} exists already in {path.name}")
    if like not in data:
        raise ValueError(f"no stage {like!r} to copy in {path.name} (stages: {', '.join(sorted(data))})")
    entry = json.loads(json.dumps(data[like]))
    entry.pop("bucket_names", None)
    entry.pop("loopback", None)
    data[name] = entry
    StageSettings.model_validate(entry)
    path.write_text(json.dumps(data, indent=2) + "\n")

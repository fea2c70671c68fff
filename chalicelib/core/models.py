"""Models every subsystem shares: the client config (with its parsing from storage) and periods.

Defaults a user can configure are documented here, in one place. The cost report's stage
contracts live in chalicelib/reports/contracts.py.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from chalicelib.core.constants import REPORT_TYPES, ReportType  # noqa: F401 (REPORT_TYPES: re-exported)
from chalicelib.core.email import has_control_chars

ClientStatus = Literal["ACTIVE", "PAUSED", "DISABLED"]
CostMetric = Literal["UnblendedCost", "AmortizedCost", "NetAmortizedCost", "BlendedCost"]

def _no_control_chars(value: str) -> str:
    # Header-bound text: a CR/LF would let a config inject email headers (the sanitiser's definition).
    if has_control_chars(value):
        raise ValueError("must not contain control characters (CR, LF, TAB, ...)")
    return value


def _ascii_address(value: str) -> str:
    _no_control_chars(value)
    if not value.isascii():
        raise ValueError("must be an ASCII email address (SES needs punycode domains)")
    if "=?" in value:
        # RFC 2047 encoded-word syntax: the email library decodes it inside an address header
        raise ValueError("must not contain '=?' (email header encoded-word syntax)")
    return value.lower()


HeaderText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), AfterValidator(_no_control_chars)]
EmailAddress = Annotated[EmailStr, AfterValidator(_ascii_address)]
AccountId = Annotated[str, StringConstraints(pattern=r"^[0-9]{12}$")]
ClientId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")]
Money = Annotated[Decimal, Field(allow_inf_nan=False)]


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ChangeAlert(StrictModel):
    """A change is flagged when it passes BOTH thresholds (keeps tiny services quiet)."""

    pct: Annotated[Decimal, Field(ge=0, allow_inf_nan=False)] = Decimal("20")
    absolute: Annotated[Decimal, Field(ge=0, allow_inf_nan=False)] = Decimal("50")


DEFAULT_MIN_INTERVAL_HOURS: dict[str, int] = {"daily": 20, "weekly": 144, "monthly": 624}


class ClientConfig(StrictModel):
    """One client: a set of AWS accounts, who gets the reports, and how they are built."""

    client_id: ClientId
    name: HeaderText
    status: ClientStatus
    accounts: list[AccountId]
    recipients: Annotated[list[EmailAddress], Field(max_length=50)]
    reports: list[ReportType]

    # Payer access: assume this role (with its ExternalId) when costs live in another account.
    role_arn: Annotated[str, StringConstraints(pattern=r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]{1,512}$")] | None = None
    external_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9+=,.@:/_-]{2,1224}$")] | None = None

    cost_metric: CostMetric = "UnblendedCost"
    include_credits: bool = False
    include_refunds: bool = False
    include_tax: bool = True
    # Hours that must pass between two deliveries of one report type (force bypasses).
    min_interval_hours: dict[ReportType, Annotated[int, Field(ge=0, le=24 * 400)]] = Field(default_factory=dict)
    # Budget per period of a report type, in the report currency. Bounded so the figures derived from it
    # (used %, remaining) stay within Decimal's 28 digits when rounded: 1e30 or 1e-30 crashed rendering.
    budgets: dict[ReportType, Annotated[Decimal, Field(ge=Decimal("0.01"), le=Decimal("1e12"), allow_inf_nan=False)]] = Field(default_factory=dict)
    change_alert: ChangeAlert = ChangeAlert()
    sender: EmailAddress | None = None
    reply_to: Annotated[list[EmailAddress], Field(max_length=10)] = Field(default_factory=list)

    @field_validator("accounts", "reports", "recipients")
    @classmethod
    def _unique(cls, values: list[str]) -> list[str]:
        seen: set[str] = set()
        duplicates = sorted({v for v in values if v in seen or seen.add(v)})  # type: ignore[func-returns-value]
        if duplicates:
            raise ValueError(f"duplicate entries: {', '.join(duplicates)}")
        return values

    @model_validator(mode="after")
    def _role_needs_external_id(self) -> "ClientConfig":
        if self.role_arn and not self.external_id:
            raise ValueError("external_id is required when role_arn is set (confused-deputy protection)")
        if self.external_id and not self.role_arn:
            raise ValueError("external_id is set but role_arn is missing")
        return self

    def min_interval_for(self, report_type: str) -> int:
        return self.min_interval_hours.get(report_type, DEFAULT_MIN_INTERVAL_HOURS[report_type])  # type: ignore[arg-type]

    def record_types_excluded(self) -> list[str]:
        excluded = []
        if not self.include_credits:
            excluded.append("Credit")
        if not self.include_refunds:
            excluded.append("Refund")
        if not self.include_tax:
            excluded.append("Tax")
        return excluded


class Period(StrictModel):
    """A half-open date range [start, end), as Cost Explorer takes it."""

    start: date
    end: date

    @model_validator(mode="after")
    def _ordered(self) -> "Period":
        if self.end <= self.start:
            raise ValueError("period end must be after its start")
        return self

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def label(self) -> str:
        from datetime import timedelta

        last = self.end - timedelta(days=1)
        return self.start.isoformat() if last == self.start else f"{self.start.isoformat()} to {last.isoformat()}"


def describe_validation_error(exc: ValidationError, prefix: str = "") -> str:
    """One line per problem, each naming the field: `recipients[1]: value is not a valid email address`."""
    parts = []
    for err in exc.errors(include_url=False):
        loc = prefix
        for item in err["loc"]:
            loc += f"[{item}]" if isinstance(item, int) else (f".{item}" if loc else str(item))
        message = err["msg"]
        if err["type"] == "extra_forbidden":
            message = "unknown field"
        elif err["type"] == "missing":
            message = "field required"
        parts.append(f"{loc or '<root>'}: {message}")
    return "; ".join(parts)


def parse_client_config(key: str, raw: str) -> ClientConfig | str:
    """A stored config (raw JSON, kept as written) as a ClientConfig, or why it is invalid."""
    try:
        config = ClientConfig.model_validate_json(raw)
    except ValidationError as exc:
        return f"invalid client config: {describe_validation_error(exc)}"
    if config.client_id != key:
        return f"invalid client config: client_id: {config.client_id!r} does not match its stored key {key!r}"
    return config

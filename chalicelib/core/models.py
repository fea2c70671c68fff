"""Models every subsystem shares: the strict-model base, the input field types and the client config.

Defaults a user can configure are documented here, in one place. The cost report's stage
contracts live in chalicelib/reports/contracts.py.
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from chalicelib.core.constants import (  # noqa: F401 - REPORT_TYPES is re-exported
    COST_EXPLORER_SOURCE,
    EXPORT_ACCOUNT_ID_MAX_LENGTH,
    EXTERNAL_ID_MIN_LENGTH,
    PAYER_ROLE_NAME_PREFIX,
    REPORT_TYPES,
    ReportType,
)
from chalicelib.core.text import has_control_chars  # not core.email: the stdlib email package is a cold-start cost

ClientStatus = Literal["ACTIVE", "PAUSED", "DISABLED"]
CostMetric = Literal["UnblendedCost", "AmortizedCost", "NetAmortizedCost", "BlendedCost"]
_PAYER_ROLE_ARN = re.compile(rf"arn:aws[a-z-]*:iam::[0-9]{{12}}:role/{PAYER_ROLE_NAME_PREFIX}[A-Za-z0-9+=,.@_-]{{0,52}}")

AttachmentFormat = Literal["csv", "xlsx", "pdf"]

def _no_control_chars(value: str) -> str:
    # Header-bound text: a CR/LF would let a config inject email headers (the sanitiser's definition).
    if has_control_chars(value):
        raise ValueError("must not contain control characters (CR, LF, TAB, ...)")
    return value


def _ascii_address(value: str) -> str:
    _no_control_chars(value)
    value = value.strip()
    if not value.isascii():
        raise ValueError("must be an ASCII email address (SES needs punycode domains)")
    if "=?" in value:
        # RFC 2047 encoded-word syntax: the email library decodes it inside an address header
        raise ValueError("must not contain '=?' (email header encoded-word syntax)")
    from email_validator import EmailNotValidError, validate_email  # only when an address is validated (cold start)

    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"value is not a valid email address: {exc}") from None
    # Kept as written (lower-cased): a punycode domain (xn--...) stays punycode, as SES needs it.
    return value.lower()


def _iana_zone(value: str) -> str:
    from chalicelib.core.send_times import known_zone

    return known_zone(value)


HeaderText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
                       AfterValidator(_no_control_chars)]
EmailAddress = Annotated[str, StringConstraints(max_length=320), AfterValidator(_ascii_address)]
CostSourceName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]{0,62}$")]
AWS_ACCOUNT_ID = re.compile(r"^[0-9]{12}$")
# Which rule a client's account ids follow while its config is validated: set from the config's own
# cost_source (or the stage default) by ClientConfig before its fields are read (see _source_rule).
_ACCOUNT_RULE: ContextVar[str] = ContextVar("account_rule", default=COST_EXPLORER_SOURCE)


def _account_id(value: str) -> str:
    """The one account id rule. Cost Explorer clients: a 12-digit AWS account id. Export clients: the
    export's SubAccountId as written (an AWS account id, an Azure /subscriptions/<guid>, a Google
    project id, an OCI OCID): non-empty, printable, no control characters, at most 256 characters."""
    if _ACCOUNT_RULE.get() == COST_EXPLORER_SOURCE:
        if not AWS_ACCOUNT_ID.fullmatch(value):
            raise ValueError("must be a 12-digit AWS account id (a client reading an export may use the ids its "
                             "export writes: set cost_source)")
        return value
    if not value or len(value) > EXPORT_ACCOUNT_ID_MAX_LENGTH:
        raise ValueError(f"must be 1 to {EXPORT_ACCOUNT_ID_MAX_LENGTH} characters")
    if not value.isprintable() or value != value.strip():
        raise ValueError("must be printable, without control characters or surrounding spaces")
    return value


AccountId = Annotated[str, AfterValidator(_account_id)]
CLIENT_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
ClientId = Annotated[str, StringConstraints(pattern=CLIENT_ID_PATTERN.pattern)]
Money = Annotated[Decimal, Field(allow_inf_nan=False)]
AccountName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
                        AfterValidator(_no_control_chars)]


class StrictModel(BaseModel):
    # defer_build: a model's validator is built when it first validates, not at import: each Lambda
    # builds only the few models it uses (cold start; `python -m bench.cold_import`).
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


def _refuse_duplicates(keys: list[str], what: str) -> None:
    seen: set[str] = set()
    duplicates = sorted({k for k in keys if k in seen or seen.add(k)})  # type: ignore[func-returns-value]
    if duplicates:
        raise ValueError(f"duplicate {what}: {', '.join(duplicates)}")


def _iso_date_only(value: object) -> object:
    if isinstance(value, str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("must be a date written YYYY-MM-DD")
    if value is not None and not isinstance(value, (str, date)):
        raise ValueError("must be a date written YYYY-MM-DD")
    return value


# Every period derived from an input date (a previous month, a 6-month trend, a budget year, a summary
# year) reaches at most a year back or ahead: a year of margin on each side of the calendar's range
# (years 1 to 9999) keeps that date math from overflowing, whatever the report or summary type.
EARLIEST_INPUT_DATE = date(2, 1, 1)
LATEST_INPUT_DATE = date(9998, 12, 31)


def _within_calendar_margin(value: date) -> date:
    if not EARLIEST_INPUT_DATE <= value <= LATEST_INPUT_DATE:
        raise ValueError(f"{value.isoformat()} is out of range: use a date from {EARLIEST_INPUT_DATE.isoformat()} "
                         f"to {LATEST_INPUT_DATE.isoformat()}")
    return value


def latest_as_of(now: datetime) -> date:
    """The latest `as_of` worth asking for at `now`: tomorrow (UTC). Periods end before as_of, so a
    later one covers days that have no costs yet."""
    return now.astimezone(UTC).date() + timedelta(days=1)


def refuse_future_as_of(as_of: date, latest: date) -> date:
    """The one rule for `as_of` in every input (report runs, reports on demand, budget checks): later
    than `latest` (latest_as_of) could only give a "$0, within budget" answer."""
    if as_of > latest:
        raise ValueError(f"{as_of.isoformat()} is later than tomorrow ({latest.isoformat()}, UTC); periods end "
                         f"before as_of and later days have no costs yet, so use at most {latest.isoformat()}")
    return as_of


def _as_of_in_reach(value: date, info: ValidationInfo) -> date:
    # `latest_as_of` from the validation context: the execution's start (plan passes it, so a retried
    # plan decides the same); without one (a report on demand), tomorrow from now.
    latest = (info.context or {}).get("latest_as_of") or latest_as_of(datetime.now(UTC))
    return _within_calendar_margin(refuse_future_as_of(value, latest))


# An input's date (execution inputs): only YYYY-MM-DD (pydantic would also take a timestamp or a
# number), within the range every derived period fits in.
IsoDate = Annotated[date, BeforeValidator(_iso_date_only), AfterValidator(_within_calendar_margin)]
# The `as_of` of a report run, a report on demand or a budget check: an IsoDate no later than tomorrow.
AsOfDate = Annotated[date, BeforeValidator(_iso_date_only), AfterValidator(_as_of_in_reach)]


class ChangeAlert(StrictModel):
    """A change is flagged when it passes BOTH thresholds (keeps tiny services quiet)."""

    pct: Annotated[Decimal, Field(ge=0, allow_inf_nan=False)] = Decimal("20")
    absolute: Annotated[Decimal, Field(ge=0, allow_inf_nan=False)] = Decimal("50")
    # Change alerts fire on increases; a client opts in to hear about flagged decreases too.
    decreases: bool = False


# ---- budgets ----------------------------------------------------------------------------------------
# "daily" and "weekly" budgets come from the older `{"weekly": 12000}` form: they feed the budget bar of
# those reports; the daily budget check evaluates the weekly, monthly, quarterly and yearly ones.
BudgetPeriod = Literal["daily", "weekly", "monthly", "quarterly", "yearly"]
BUDGET_PERIODS: tuple[str, ...] = ("daily", "weekly", "monthly", "quarterly", "yearly")
BudgetAmount = Annotated[Decimal, Field(ge=Decimal("0.01"), le=Decimal("1e12"), allow_inf_nan=False)]


class BudgetThreshold(StrictModel):
    """Alert when spend reaches `percent` of the budget: spent so far (actual) or expected by the
    period's end (forecast: actual to date plus Cost Explorer's forecast for the rest)."""

    percent: Annotated[Decimal, Field(gt=0, le=1000, allow_inf_nan=False)]
    on: Literal["actual", "forecast"] = "actual"

    @property
    def key(self) -> str:
        return f"{self.on}-{self.percent.normalize():f}"


# Built without validation (known-good constants): validating here would build the model's validator
# at import, on every cold start, for functions that never read a budget.
DEFAULT_THRESHOLDS = (BudgetThreshold.model_construct(percent=Decimal(80), on="actual"),
                      BudgetThreshold.model_construct(percent=Decimal(100), on="forecast"))


class Budget(StrictModel):
    """A spending limit per period, in the report currency. Bounded so derived figures (used %,
    remaining) stay within Decimal's 28 digits when rounded: 1e30 or 1e-30 crashed rendering."""

    amount: BudgetAmount
    period: BudgetPeriod = "monthly"
    thresholds: Annotated[list[BudgetThreshold], Field(min_length=1, max_length=10)] = Field(
        default_factory=lambda: list(DEFAULT_THRESHOLDS))

    @field_validator("thresholds")
    @classmethod
    def _distinct_thresholds(cls, thresholds: list[BudgetThreshold]) -> list[BudgetThreshold]:
        _refuse_duplicates([t.key for t in thresholds], "thresholds")
        return thresholds

    @property
    def key(self) -> str:
        """Names this budget in the once-per-crossing ledger: a changed amount re-arms its thresholds."""
        return f"{self.period}-{self.amount.normalize():f}"


def _budgets_from_mapping(value: object) -> object:
    """The older form `{"monthly": 5000}` is read as `[{"amount": 5000, "period": "monthly"}]`."""
    if isinstance(value, dict):
        return [{"amount": amount, "period": period} for period, amount in value.items()]
    return value


# ---- notification channels -------------------------------------------------------------------------
# A secret name under the deployment's secrets prefix (env SECRETS_PREFIX, `<app>/<stage>/`): the Lambda can read
# nothing else, and the URL itself never appears in a config, a message or a log.
SecretName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9/_+=.@-]{0,200}$")]
SnsTopicArn = Annotated[str, StringConstraints(pattern=r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$")]


class NotificationChannels(StrictModel):
    """Where a client's alerts (budget, change) go. Email to `alert_recipients`, or to the report
    `recipients` when that list is empty; chat webhooks by the name of the secret holding the URL."""

    email: bool = True
    alert_recipients: Annotated[list[EmailAddress], Field(max_length=50)] = Field(default_factory=list)
    sns_topic_arn: SnsTopicArn | None = None
    slack_secret: SecretName | None = None
    teams_secret: SecretName | None = None
    webhook_secret: SecretName | None = None
    # A short daily digest of the daily report in the client's Slack and Teams channels (opt-in).
    daily_digest: bool = False


class ClientConfig(StrictModel):
    """One client: a set of AWS accounts, who gets the reports, and how they are built."""

    client_id: ClientId
    name: HeaderText
    status: ClientStatus
    accounts: list[AccountId]
    recipients: Annotated[list[EmailAddress], Field(max_length=50)]
    reports: list[ReportType]

    # Payer access: assume this role (with its ExternalId) when costs live in another account.
    # The role must be named CostReporter... (docs/DEPLOY.md): collect_costs may assume no other role.
    role_arn: str | None = None
    external_id: Annotated[
        str, StringConstraints(pattern=rf"^[A-Za-z0-9+=,.@:/_-]{{{EXTERNAL_ID_MIN_LENGTH},1224}}$")] | None = None

    cost_metric: CostMetric = "UnblendedCost"
    # Where this client's costs are read: "cost_explorer", or the name of a billing export declared for
    # the stage; None: the stage's default (chalicelib/costs/sources.py decides, for every entry point).
    cost_source: CostSourceName | None = None
    # The month-end forecast: "dataset" computes it from the client's own daily history (no request);
    # "cost_explorer" asks Cost Explorer's GetCostForecast (one billed request per forecast).
    forecast: Literal["dataset", "cost_explorer"] = "dataset"
    include_credits: bool = False
    include_refunds: bool = False
    include_tax: bool = True
    # Whether a report is due is decided by the delivery ledger (client, report type, period) alone.
    # This only limits *forced* re-sends of a period already delivered: none within this many hours
    # of the last send of that same period (a repeated forced run does not flood the inbox). 0 = no limit.
    min_interval_hours: dict[ReportType, Annotated[int, Field(ge=0, le=24 * 400)]] = Field(default_factory=dict)
    # Opt in to a "$0" report when Cost Explorer has no rows for any of the accounts in both periods.
    send_empty_reports: bool = False
    # Accounts this client knowingly shares with another client (both must declare it).
    shared_accounts: list[AccountId] = Field(default_factory=list)
    budgets: Annotated[list[Budget], BeforeValidator(_budgets_from_mapping), Field(max_length=20)] = Field(default_factory=list)
    change_alert: ChangeAlert = Field(default_factory=ChangeAlert)  # a factory: no validator built at import
    notifications: NotificationChannels = Field(default_factory=NotificationChannels)
    sender: EmailAddress | None = None
    reply_to: Annotated[list[EmailAddress], Field(max_length=10)] = Field(default_factory=list)
    # Shown as "Prod (1111 1111 1111)"; names from the payer's organization fill the gaps.
    account_names: dict[AccountId, AccountName] = Field(default_factory=dict)
    # Files attached to the email: the CSV, an Excel workbook, a PDF of the report.
    attachments: Annotated[list[AttachmentFormat], Field(min_length=1)] = Field(default_factory=lambda: ["csv"])
    # Local send time: reports go out at send_hour in this IANA zone (chalicelib/core/send_times.py);
    # periods stay UTC days. Without send_hour: the stage's UTC schedule.
    timezone: Annotated[str, StringConstraints(max_length=64), AfterValidator(_iana_zone)] | None = None
    send_hour: Annotated[int, Field(ge=0, le=23)] | None = None
    # White-label look of this client's reports over the deployment's (chalicelib/core/branding.py).
    branding: Branding | None = None

    @model_validator(mode="wrap")
    @classmethod
    def _source_rule(cls, data: Any, handler: Any) -> Any:
        """Account ids are checked by the rule of the client's source: its cost_source, else the stage's default."""
        source = data.get("cost_source") if isinstance(data, dict) else getattr(data, "cost_source", None)
        if not isinstance(source, str) or not source:
            from chalicelib.core.settings import get_settings  # lazily: settings are for the stages only

            source = get_settings().default_cost_source
        token = _ACCOUNT_RULE.set(source)
        try:
            return handler(data)
        finally:
            _ACCOUNT_RULE.reset(token)

    @field_validator("role_arn")
    @classmethod
    def _payer_role_name(cls, value: str | None) -> str | None:
        if value is not None and not _PAYER_ROLE_ARN.fullmatch(value):
            raise ValueError(
                f"must be the ARN of a role named {PAYER_ROLE_NAME_PREFIX}... without a path, e.g. "
                f"arn:aws:iam::111122223333:role/{PAYER_ROLE_NAME_PREFIX}ReadCosts (docs/DEPLOY.md)"
            )
        return value

    @field_validator("external_id", mode="before")
    @classmethod
    def _external_id_long_enough(cls, value: object) -> object:
        if isinstance(value, str) and len(value) < EXTERNAL_ID_MIN_LENGTH:
            raise ValueError(f"must be at least {EXTERNAL_ID_MIN_LENGTH} characters (use a random value such as a UUID)")
        return value

    @field_validator("accounts", "reports", "recipients", "shared_accounts", "attachments")
    @classmethod
    def _unique(cls, values: list[str]) -> list[str]:
        _refuse_duplicates(values, "entries")
        return values

    @model_validator(mode="after")
    def _names_for_own_accounts(self) -> ClientConfig:
        unknown = sorted(set(self.account_names) - set(self.accounts))
        if unknown:
            raise ValueError(f"account_names: {', '.join(unknown)} not in the client's accounts")
        return self

    @model_validator(mode="after")
    def _role_needs_external_id(self) -> ClientConfig:
        if self.role_arn and not self.external_id:
            raise ValueError("external_id is required when role_arn is set (confused-deputy protection)")
        if self.external_id and not self.role_arn:
            raise ValueError("external_id is set but role_arn is missing")
        strangers = [a for a in self.shared_accounts if a not in self.accounts]
        if strangers:
            raise ValueError(f"shared_accounts: {', '.join(strangers)} not in accounts")
        return self

    @field_validator("budgets")
    @classmethod
    def _one_budget_per_period_and_amount(cls, budgets: list[Budget]) -> list[Budget]:
        _refuse_duplicates([b.key for b in budgets], "budgets")
        return budgets

    @model_validator(mode="after")
    def _zone_needs_send_hour(self) -> ClientConfig:
        if self.timezone and self.send_hour is None:
            raise ValueError("send_hour is required when timezone is set (the local hour reports go out)")
        return self

    def budget_for(self, period: str) -> Decimal | None:
        """The budget shown in a report of this period (the first one of that period)."""
        return next((b.amount for b in self.budgets if b.period == period), None)

    def alert_recipients(self) -> list[str]:
        return list(self.notifications.alert_recipients or self.recipients)

    def min_interval_for(self, report_type: str) -> int:
        return self.min_interval_hours.get(report_type, 0)  # type: ignore[call-overload]

    def record_types_excluded(self) -> list[str]:
        excluded = []
        if not self.include_credits:
            excluded.append("Credit")
        if not self.include_refunds:
            excluded.append("Refund")
        if not self.include_tax:
            excluded.append("Tax")
        return excluded


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


# ---- white-label branding (chalicelib/core/branding.py applies it) ----------------------------------
# A logo is an asset in the stage's bucket, assets/<client_id>/<name> (or assets/_deployment/<name>
# for the deployment's own), uploaded and checked by `python -m admin clients upload-logo`.
AssetName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,59}\.(png|jpg|jpeg)$")]
AccentColour = Annotated[str, StringConstraints(pattern=r"^#[0-9a-fA-F]{6}$")]
FooterText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500),
                       AfterValidator(_no_control_chars)]


class Branding(StrictModel):
    """How a report looks: per deployment (infra/stages.json `branding`) and per client (its config's
    `branding`, each field set there wins). Every field is optional; none set is the default look."""

    company_name: HeaderText | None = None  # the report's header line (the MSP's name)
    sender_name: HeaderText | None = None  # the From display name
    accent_colour: AccentColour | None = None  # the header bar, as #RRGGBB
    footer_text: FooterText | None = None
    logo: AssetName | None = None  # PNG or JPEG, at most 200 KB and 800 px wide

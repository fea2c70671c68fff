"""Deployment settings, read once from the Lambda environment (the infra description sets it).

Each field reads the environment variable named in chalicelib/core/constants.py. A plain pydantic
model over the environment (EnvironmentSettings), not pydantic-settings: that library cost about a
third of `import boto3` on every cold start for what is here a dozen strings and numbers
(docs/decisions.md, "Settings without pydantic-settings").
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from typing import Any, ClassVar, get_origin

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, model_validator

from chalicelib.core import constants as c


class EnvironmentSettings(BaseModel):
    """A frozen model whose missing fields are read from the environment, as pydantic-settings did:
    a field's variable is its validation alias (each choice of an AliasChoices) or else
    `env_prefix` + its name, matched without regard to case; a field that holds a model, a dict or
    a list reads JSON. Values given to the constructor win over the environment."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)
    env_prefix: ClassVar[str] = ""

    @model_validator(mode="before")
    @classmethod
    def _read_environment(cls, data: Any) -> Any:
        given = dict(data) if isinstance(data, dict) else {}
        environment = {name.upper(): value for name, value in os.environ.items()}
        for name, field in cls.model_fields.items():
            variables = _variables(field.validation_alias, cls.env_prefix + name)
            if name in given or any(variable in given for variable in variables):
                continue
            variable = next((v for v in variables if v.upper() in environment), None)
            if variable is None:
                continue
            raw = environment[variable.upper()]
            # Under its alias when it has one: an error then names the variable, not the field.
            key = variable if field.validation_alias is not None else name
            if _reads_json(field.annotation):
                try:
                    given[key] = json.loads(raw)
                except ValueError as exc:
                    raise ValueError(f"{variable}: not valid JSON ({exc})") from None
            else:
                given[key] = raw
        return given


def _variables(alias: Any, default: str) -> list[str]:
    if isinstance(alias, str):
        return [alias]
    if isinstance(alias, AliasChoices):
        return [choice for choice in alias.choices if isinstance(choice, str)]
    return [default]


def _reads_json(annotation: Any) -> bool:
    origin = get_origin(annotation) or annotation
    return origin in (dict, list) or (isinstance(origin, type) and issubclass(origin, BaseModel))


class Settings(EnvironmentSettings):

    table_name: str = Field(default=c.APP_NAME, min_length=3, validation_alias=c.ENV_TABLE_NAME)
    bucket_name: str = Field(default=f"{c.APP_NAME}-reports", min_length=3, validation_alias=c.ENV_BUCKET_NAME)
    state_machine_arn: str = Field(default="", validation_alias=c.ENV_STATE_MACHINE_ARN)
    default_sender: str = Field(default="reports@example.com", validation_alias=c.ENV_SENDER_EMAIL)
    configuration_set: str = Field(default="", validation_alias=c.ENV_SES_CONFIGURATION_SET)
    alert_topic_arn: str = Field(default="", validation_alias=c.ENV_ALERT_TOPIC_ARN)
    max_concurrency: int = Field(default=10, ge=1, le=40, validation_alias=c.ENV_MAX_CONCURRENCY)
    notify_queue_url: str = Field(default="", validation_alias=c.ENV_NOTIFY_QUEUE_URL)
    budget_state_machine_arn: str = Field(default="", validation_alias=c.ENV_BUDGET_STATE_MACHINE_ARN)
    secrets_prefix: str = Field(default=f"{c.APP_NAME}/", validation_alias=c.ENV_SECRETS_PREFIX)
    webhook_timeout_seconds: float = Field(default=c.WEBHOOK_TIMEOUT_SECONDS, gt=0, le=c.WEBHOOK_TIMEOUT_MAX_SECONDS,
                                           validation_alias=c.ENV_WEBHOOK_TIMEOUT_SECONDS)
    # Deliveries are deduplicated per (client, report type, period) for this long.
    idempotency_days: int = Field(default=40, ge=1, validation_alias=c.ENV_IDEMPOTENCY_DAYS)
    # Domains a client's sender/reply_to may use, comma-separated (the deliver role's ses:FromAddress
    # condition allows the same); empty: the default sender's own domain.
    allowed_sender_domains_setting: str = Field(default="", validation_alias=c.ENV_ALLOWED_SENDER_DOMAINS)
    # Run metrics (chalicelib/metrics): the queue events go to, the topic each aggregation announces
    # its summaries on, and the aggregation state machine the daily schedule starts.
    metrics_queue_url: str = Field(default="", validation_alias=c.ENV_METRICS_QUEUE_URL)
    summary_topic_arn: str = Field(default="", validation_alias=c.ENV_SUMMARY_TOPIC_ARN)
    aggregation_state_machine_arn: str = Field(default="", validation_alias=c.ENV_AGGREGATION_STATE_MACHINE_ARN)
    # Costs (chalicelib/costs): the source of clients that do not name one.
    default_cost_source: str = Field(default=c.COST_EXPLORER_SOURCE, min_length=1,
                                     validation_alias=c.ENV_DEFAULT_COST_SOURCE)
    # Runs' records (RUN#, RUNS, BUDGETRUN#) expire this many days after their last write (table TTL).
    run_record_days: int = Field(default=90, ge=c.MIN_RUN_RECORD_DAYS, validation_alias=c.ENV_RUN_RECORD_DAYS)
    # The stage's customer-managed KMS key: objects are written SSE-KMS under it (bucket key on); '' is SSE-S3.
    kms_key_arn: str = Field(default="", validation_alias=c.ENV_KMS_KEY_ARN)
    # The deployment's white-label look (a Branding as JSON); '' is the default look.
    branding_json: str = Field(default="", validation_alias=c.ENV_BRANDING)
    # The stage's billing exports (JSON list; chalicelib/costs/export/declarations.py reads it).
    cost_exports_setting: str = Field(default="[]", validation_alias=c.ENV_COST_EXPORTS)
    export_poll_seconds: int = Field(default=10, ge=1, le=300, validation_alias=c.ENV_EXPORT_POLL_SECONDS)
    # The unsubscribe route's public base URL (chalicelib/core/subscriptions.py checks it); '' : emails
    # carry no List-Unsubscribe (a stage without a public route cannot honour one).
    unsubscribe_base_url: str = Field(default="", validation_alias=c.ENV_UNSUBSCRIBE_BASE_URL)

    @property
    def allowed_sender_domains(self) -> tuple[str, ...]:
        domains = tuple(d.strip().lower() for d in self.allowed_sender_domains_setting.split(",") if d.strip())
        return domains or (self.default_sender.rpartition("@")[2].lower(),)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    from pydantic import ValidationError

    try:
        return Settings()
    except ValidationError as exc:
        from chalicelib.core.errors import ConfigurationError

        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_url=False))
        raise ConfigurationError(f"invalid function environment: {problems}") from exc

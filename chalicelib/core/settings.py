"""Deployment settings, read once from the Lambda environment (the infra description sets it).

Each field reads the environment variable named in chalicelib/core/constants.py. Imported by the
stage modules only (pydantic-settings costs tens of ms at import): `import app` never loads it.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from chalicelib.core import constants as c


class Settings(BaseSettings):
    model_config = SettingsConfigDict(frozen=True, extra="ignore", populate_by_name=True)

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
    # The stage's billing exports (JSON list; chalicelib/costs/export/declarations.py reads it).
    cost_exports_setting: str = Field(default="[]", validation_alias=c.ENV_COST_EXPORTS)
    export_poll_seconds: int = Field(default=10, ge=1, le=300, validation_alias=c.ENV_EXPORT_POLL_SECONDS)

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

"""Deployment settings, read once from the Lambda environment (set in .chalice/config.json)."""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True)

    table_name: str = Field(min_length=3)
    bucket_name: str = Field(min_length=3)
    state_machine_arn: str = ""
    default_sender: str = "reports@example.com"
    configuration_set: str = ""
    alert_topic_arn: str = ""
    max_concurrency: int = Field(default=10, ge=1, le=40)
    report_retention_days: int = 30
    # Deliveries are deduplicated per (client, report type, period) for this long.
    idempotency_days: int = Field(default=40, ge=1)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    env = os.environ
    return Settings(
        table_name=env.get("TABLE_NAME", "cost-reporter"),
        bucket_name=env.get("BUCKET_NAME", "cost-reporter-reports"),
        state_machine_arn=env.get("STATE_MACHINE_ARN", ""),
        default_sender=env.get("SENDER_EMAIL", "reports@example.com"),
        configuration_set=env.get("SES_CONFIGURATION_SET", ""),
        alert_topic_arn=env.get("ALERT_TOPIC_ARN", ""),
        max_concurrency=int(env.get("MAX_CONCURRENCY", "10")),
        idempotency_days=int(env.get("IDEMPOTENCY_DAYS", "40")),
    )

"""publish_summaries: one SNS message per aggregation run with what it wrote (counts, never report
bodies), published once (Powertools idempotency keyed on the run)."""

from __future__ import annotations

import json
from typing import Any

from chalicelib.core import aws
from chalicelib.core.constants import DEPLOYMENT_TENANT, ENV_SUMMARY_TOPIC_ARN, PK_IDEMPOTENCY_PUBLISH_SUMMARIES
from chalicelib.core.errors import ConfigurationError, classify_aws_error
from chalicelib.core.settings import get_settings
from chalicelib.metrics import store
from chalicelib.metrics.aggregation import summary_view
from chalicelib.metrics.calendar import PERIOD_TYPES
from chalicelib.metrics.contracts import AggregationRun, DeploymentFigures, FailedTenant, PublishedSummaries, PublishInput

MAX_LISTED_FAILURES = 50  # keeps the SNS message and the execution output small
MAX_DEPLOYMENT_PERIODS = 40  # a longer backfill lists the deployment's monthly and yearly figures only


def publish_summaries(publication: PublishInput, lambda_context: Any) -> PublishedSummaries:
    """One SNS message per aggregation run with what it wrote (counts, never report bodies)."""
    topic = get_settings().summary_topic_arn
    if not topic:
        raise ConfigurationError(f"{ENV_SUMMARY_TOPIC_ARN}: environment variable not set for publish_summaries")
    message = run_report(publication.run, publication.tenants_planned)
    reply = _idempotent_publish(lambda_context)(publication={"run_id": publication.run.run_id}, topic=topic,
                                                message=message.model_dump_json(exclude={"message_id"}))
    return message.model_copy(update={"message_id": reply["message_id"]})


def run_report(run: AggregationRun, tenants_planned: int) -> PublishedSummaries:
    outcomes = store.tenant_outcomes(run.run_id)
    failed = [o for o in outcomes if o.get("status") == "failed"]
    periods = run.periods()
    listed = periods if len(periods) <= MAX_DEPLOYMENT_PERIODS else [p for p in periods if p.period_type in ("monthly", "yearly")]
    deployment = []
    for period in listed:
        item = store.get_summary(DEPLOYMENT_TENANT, period)
        if item:
            view = summary_view(item)
            deployment.append(DeploymentFigures(**{k: view[k] for k in DeploymentFigures.model_fields}))
    return PublishedSummaries(
        run_id=run.run_id, mode=run.mode, run_date=run.run_date, start_date=run.start_date, end_date=run.end_date,
        periods={kind: sum(p.period_type == kind for p in periods) for kind in PERIOD_TYPES},
        tenants=tenants_planned,
        tenants_failed=len(failed),
        tenants_missing=max(0, tenants_planned - len(outcomes)),
        summaries_written=sum(int(o.get("summaries_written", 0)) for o in outcomes),
        failed_tenants=[FailedTenant(**{k: o.get(k) for k in FailedTenant.model_fields}) for o in failed][:MAX_LISTED_FAILURES],
        deployment=deployment,
    )


def _idempotent_publish(lambda_context: Any) -> Any:
    """The SNS publish behind Powertools idempotency keyed on the run: a Retry of this stage
    replays the first message id instead of publishing again."""
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function

    config = IdempotencyConfig(expires_after_seconds=30 * 86400, raise_on_no_idempotency_key=True,
                               lambda_context=lambda_context)
    return idempotent_function(data_keyword_argument="publication", persistence_store=_persistence(),
                               config=config)(_publish)


def _persistence() -> Any:
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    return DynamoDBPersistenceLayer(table_name=get_settings().table_name, key_attr="pk", sort_key_attr="sk",
                                    static_pk_value=PK_IDEMPOTENCY_PUBLISH_SUMMARIES, boto3_client=aws.client("dynamodb"))


def _publish(publication: dict[str, Any], topic: str, message: str) -> dict[str, Any]:
    counts = json.loads(message)
    subject = f"cost-reporter summaries: {counts['summaries_written']} written, {counts['tenants_failed']} tenant(s) failed"
    try:
        reply = aws.client("sns").publish(TopicArn=topic, Subject=subject[:100], Message=message)
    except Exception as exc:
        raise classify_aws_error(exc, "SNS Publish summaries") from exc
    return {"message_id": reply["MessageId"]}

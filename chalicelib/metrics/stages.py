"""The aggregation state machine's stages, its daily trigger, and the metrics queue's record handler.

Each stage takes its input contract (contracts.py) and returns its result contract; run_stage
parses and dumps them (a payload that does not match fails as a DataValidationError).
"""

from __future__ import annotations

import json
from datetime import timezone
from typing import Any

from chalicelib.core.constants import (DEPLOYMENT_TENANT, ENV_AGGREGATION_STATE_MACHINE_ARN, ENV_SUMMARY_TOPIC_ARN,
                                       PK_IDEMPOTENCY_PUBLISH_SUMMARIES)
from chalicelib.core.periods import utcnow

from . import store
from .aggregation import summaries_from_days, summary_view, yearly_from_months
from .calendar import PERIOD_TYPES, covered_days
from .contracts import (AggregationInput, AggregationRun, DeploymentFigures, FailedTenant, PlanInput, PlanOutput,
                        PublishedSummaries, PublishInput, TenantFailure, TenantResult, TenantTask)
from chalicelib.core.metric_events import METRIC_EVENT, ClientOutcome

MAX_LISTED_FAILURES = 50  # keeps the SNS message and the execution output small
MAX_DEPLOYMENT_PERIODS = 40  # a longer backfill lists the deployment's monthly and yearly figures only


def _settings() -> Any:
    from chalicelib.core.settings import get_settings

    return get_settings()


# ---- metrics queue -----------------------------------------------------------------------------

def apply_metric_record(body: str) -> str:
    """One SQS message body -> one event applied exactly once. A malformed body raises, so the
    record is reported as a batch item failure and ends in the DLQ after the receive limit.
    A client outcome whose client is not known is counted for the deployment only (no tenant)."""
    event = METRIC_EVENT.validate_json(body)
    unknown = store.unknown_client_reason(event.client_id) if isinstance(event, ClientOutcome) else None
    if unknown:
        from chalicelib.core.observability import logger

        logger().warning("metric event of an unknown client: counted for the deployment only",
                         extra={"event_id": event.event_id[:200], "reason": unknown})
    return store.apply_event(event, unknown_client=unknown)


# ---- aggregation state machine --------------------------------------------------------------------

def plan_aggregation(plan: PlanInput) -> PlanOutput:
    """The execution input, its name and start time (set by the ASL) -> the run and its tenants.
    Invalid input fails the execution here, naming the field."""
    from chalicelib.core.errors import DataValidationError
    from chalicelib.core.executions import parse_execution_input

    requested = parse_execution_input({} if plan.input is None else plan.input, AggregationInput,
                                      '{"backfill": true, "start_date": "2026-01-01", "end_date": "2026-03-31"}')
    problems = requested.problems()
    if problems:
        raise DataValidationError("invalid execution input: " + "; ".join(problems))
    run = AggregationRun(
        run_id=plan.execution_name,
        mode="backfill" if requested.backfill else "scheduled",
        run_date=None if requested.backfill else (requested.run_date or plan.started_at.astimezone(timezone.utc).date()),
        start_date=requested.start_date,
        end_date=requested.end_date,
        started_at=plan.started_at,
        max_concurrency=_settings().max_concurrency,
    )
    span = covered_days(run.periods())
    clients = sorted(store.active_tenants(*span)) if span else []
    return PlanOutput(run=run, tenants=[DEPLOYMENT_TENANT, *clients])


def aggregate_tenant(task: TenantTask) -> TenantResult:
    """Every period of the run for one tenant: days/weeks/months from one Query of its day
    buckets, then years from its (just written) monthly summaries."""
    run, tenant = task.run, task.tenant
    keep_empty = tenant == DEPLOYMENT_TENANT
    periods = run.periods()
    from_days = [p for p in periods if p.period_type != "yearly"]
    span = covered_days(from_days)
    days = store.day_tallies(tenant, *span) if span else {}
    items = summaries_from_days(tenant, from_days, days, run.run_id, keep_empty)
    written = store.put_summaries(tenant, items) if items else 0
    for period in (p for p in periods if p.period_type == "yearly"):
        item = yearly_from_months(tenant, period, store.monthly_summaries(tenant, period.start.year), run.run_id, keep_empty)
        if item:
            written += store.put_summaries(tenant, [item])
    store.put_tenant_outcome(run.run_id, tenant, {"status": "ok", "summaries_written": written,
                                                  "finished_at": utcnow().isoformat()})
    return TenantResult(tenant=tenant, status="ok", summaries_written=written)


def record_tenant_failure(failure: TenantFailure) -> TenantResult:
    """A tenant's caught error, recorded with its category; the Map goes on with the others."""
    from chalicelib.core.errors import error_details

    details = error_details(failure.error.error, failure.error.cause)
    store.put_tenant_outcome(failure.run.run_id, failure.tenant, {
        "status": "failed", "error": details["error"], "category": details["category"],
        "reason": details["message"] or details["error"], "recommended_action": details["recommended_action"],
        "finished_at": utcnow().isoformat()})
    return TenantResult(tenant=failure.tenant, status="failed")


def publish_summaries(publication: PublishInput, lambda_context: Any) -> PublishedSummaries:
    """One SNS message per aggregation run with what it wrote (counts, never report bodies)."""
    from chalicelib.core.errors import ConfigurationError

    topic = _settings().summary_topic_arn
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

    from chalicelib.core import aws

    return DynamoDBPersistenceLayer(table_name=_settings().table_name, key_attr="pk", sort_key_attr="sk",
                                    static_pk_value=PK_IDEMPOTENCY_PUBLISH_SUMMARIES, boto3_client=aws.client("dynamodb"))


def _publish(publication: dict[str, Any], topic: str, message: str) -> dict[str, Any]:
    from chalicelib.core import aws
    from chalicelib.core.errors import classify_aws_error

    counts = json.loads(message)
    subject = f"cost-reporter summaries: {counts['summaries_written']} written, {counts['tenants_failed']} tenant(s) failed"
    try:
        reply = aws.client("sns").publish(TopicArn=topic, Subject=subject[:100], Message=message)
    except Exception as exc:  # noqa: BLE001
        raise classify_aws_error(exc, "SNS Publish summaries") from exc
    return {"message_id": reply["MessageId"]}


# ---- the daily schedule -------------------------------------------------------------------------

def scheduled_execution_name(run_date: str) -> str:
    return f"aggregate-{run_date}"


def start_scheduled_aggregation(event_time: str | None) -> dict[str, Any]:
    """One execution per day, named after the day the event fired (EventBridge and async Lambda
    retries repeat a trigger; the second start hits ExecutionAlreadyExists)."""
    from chalicelib.core.executions import start_execution_once
    from chalicelib.core.periods import parse_timestamp

    run_date = (parse_timestamp(event_time) or utcnow()).date().isoformat()
    return start_execution_once(_settings().aggregation_state_machine_arn, scheduled_execution_name(run_date),
                                {"run_date": run_date}, arn_variable=ENV_AGGREGATION_STATE_MACHINE_ARN)

"""The metrics subsystem's Lambda functions: the metrics queue consumer, the aggregation state
machine's stages and its daily schedule. Each is one line into stages.py."""

from chalice import Blueprint, Cron

from ..core.constants import METRICS_BATCH_SIZE, METRICS_QUEUE_NAME
from ..observability import run_stage

bp = Blueprint(__name__)


@bp.on_sqs_message(queue=METRICS_QUEUE_NAME, batch_size=METRICS_BATCH_SIZE, name="apply_metric_events")
def apply_metric_events(event):
    """Partial batch failures: one bad or failing message is retried alone (and ends in the DLQ
    after the receive limit); the rest of the batch is deleted."""
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    from .stages import apply_metric_record

    return process_partial_response(event=event.to_dict(), record_handler=lambda record: apply_metric_record(record.body),
                                    processor=BatchProcessor(event_type=EventType.SQS), context=event.context)


@bp.lambda_function(name="plan_aggregation")
def plan_aggregation(event, context):
    from .stages import plan_aggregation as stage

    return run_stage(stage, event)


@bp.lambda_function(name="aggregate_tenant")
def aggregate_tenant(event, context):
    from .stages import aggregate_tenant as stage

    return run_stage(stage, event)


@bp.lambda_function(name="record_tenant_failure")
def record_tenant_failure(event, context):
    from .stages import record_tenant_failure as stage

    return run_stage(stage, event)


@bp.lambda_function(name="publish_summaries")
def publish_summaries(event, context):
    from .stages import publish_summaries as stage

    return run_stage(stage, event, context)


@bp.schedule(Cron(0, 2, "*", "*", "?", "*"), name="aggregation_trigger")
def aggregation_trigger(event):
    from .stages import start_scheduled_aggregation

    return start_scheduled_aggregation(event.time)

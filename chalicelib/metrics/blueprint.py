"""The metrics subsystem's Lambda functions: the metrics queue consumer, the four stages of
statemachines/aggregate_summaries.asl.json and its daily schedule.

STAGES maps each stage function name to the stage it runs ("module:function"); the handlers and
the ASL contract test both read it. Stage modules are imported when a handler first runs.
"""

from typing import Any

from chalice import Blueprint, Cron

from chalicelib.core.constants import METRICS_BATCH_SIZE, METRICS_QUEUE_NAME
from chalicelib.core.observability import run_stage

bp = Blueprint(__name__)
STAGES: dict[str, str] = {
    "plan_aggregation": "chalicelib.metrics.stages:plan_aggregation",
    "aggregate_tenant": "chalicelib.metrics.stages:aggregate_tenant",
    "record_tenant_failure": "chalicelib.metrics.stages:record_tenant_failure",
    "publish_summaries": "chalicelib.metrics.stages:publish_summaries",
}


@bp.lambda_function(name="plan_aggregation")
def plan_aggregation(event: Any, context: Any) -> Any:
    return run_stage(STAGES["plan_aggregation"], event, context)


@bp.lambda_function(name="aggregate_tenant")
def aggregate_tenant(event: Any, context: Any) -> Any:
    return run_stage(STAGES["aggregate_tenant"], event, context)


@bp.lambda_function(name="record_tenant_failure")
def record_tenant_failure(event: Any, context: Any) -> Any:
    return run_stage(STAGES["record_tenant_failure"], event, context)


@bp.lambda_function(name="publish_summaries")
def publish_summaries(event: Any, context: Any) -> Any:
    return run_stage(STAGES["publish_summaries"], event, context)


@bp.schedule(Cron(0, 2, "*", "*", "?", "*"), name="aggregation_trigger")  # 02:00 UTC daily
def aggregation_trigger(event: Any) -> Any:
    from chalicelib.metrics.stages import start_scheduled_aggregation

    return start_scheduled_aggregation(event.time)


@bp.on_sqs_message(queue=METRICS_QUEUE_NAME, batch_size=METRICS_BATCH_SIZE, name="apply_metric_events")
def apply_metric_events(event: Any) -> Any:
    """Partial batch failures (the event source mapping reports batch item failures): a bad or
    failing message is retried alone and ends in the DLQ after the receive limit."""
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    from chalicelib.metrics.stages import apply_metric_record

    return process_partial_response(event=event.to_dict(), record_handler=lambda record: apply_metric_record(record.body),
                                    processor=BatchProcessor(event_type=EventType.SQS), context=event.context)

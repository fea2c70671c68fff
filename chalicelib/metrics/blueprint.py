"""The metrics subsystem's Lambda functions: the metrics queue consumer, the four stages of
statemachines/aggregate_summaries.asl.json and its daily schedule.

STAGES maps each stage function name to the stage it runs ("module:function"); the handlers and
the ASL contract test both read it. Stage modules are imported when a handler first runs.
"""

from typing import Any

from chalice import Blueprint, Cron

from chalicelib.core.blueprints import stage_function
from chalicelib.core.constants import METRICS_BATCH_SIZE, METRICS_QUEUE, queue_name

bp = Blueprint(__name__)
STAGES: dict[str, str] = {}
_STAGES = "chalicelib.metrics.stages"

plan_aggregation = stage_function(bp, STAGES, "plan_aggregation", f"{_STAGES}:plan_aggregation")
aggregate_tenant = stage_function(bp, STAGES, "aggregate_tenant", f"{_STAGES}:aggregate_tenant")
record_tenant_failure = stage_function(bp, STAGES, "record_tenant_failure", f"{_STAGES}:record_tenant_failure")
publish_summaries = stage_function(bp, STAGES, "publish_summaries", f"{_STAGES}:publish_summaries")


@bp.schedule(Cron(0, 2, "*", "*", "?", "*"), name="aggregation_trigger")  # 02:00 UTC daily
def aggregation_trigger(event: Any) -> Any:
    from chalicelib.metrics.stages import start_scheduled_aggregation

    return start_scheduled_aggregation(event.time)


@bp.on_sqs_message(queue=queue_name(METRICS_QUEUE), batch_size=METRICS_BATCH_SIZE, name="apply_metric_events")
def apply_metric_events(event: Any) -> Any:
    """Partial batch failures (the event source mapping reports batch item failures): a bad or
    failing message is retried alone and ends in the DLQ after the receive limit."""
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    from chalicelib.metrics.stages import apply_metric_record

    return process_partial_response(event=event.to_dict(), record_handler=lambda record: apply_metric_record(record.body),
                                    processor=BatchProcessor(event_type=EventType.SQS), context=event.context)

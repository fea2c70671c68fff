"""The metrics subsystem's Lambda functions: the four stages of statemachines/aggregate_summaries.asl.json,
its daily schedule and the metrics queue's consumer.

STAGES maps each stage function name to the stage it runs ("module:function"); the handlers and
the ASL contract test both read it. Stage modules are imported when a handler first runs.
"""

from functools import partial
from typing import Any

from chalice import Blueprint, Cron

from chalicelib.core.blueprints import stage_function
from chalicelib.core.constants import METRICS_BATCH_SIZE, METRICS_QUEUE, queue_name

bp = Blueprint(__name__)
STAGES: dict[str, str] = {}
_stage = partial(stage_function, bp, STAGES)  # _stage(function name, "module:function")

plan_aggregation = _stage("plan_aggregation", "chalicelib.metrics.stages.plan_aggregation:plan_aggregation")
aggregate_tenants = _stage("aggregate_tenants", "chalicelib.metrics.stages.aggregate_tenants:aggregate_tenants")
record_batch_failure = _stage("record_batch_failure",
                              "chalicelib.metrics.stages.record_batch_failure:record_batch_failure")
publish_summaries = _stage("publish_summaries", "chalicelib.metrics.stages.publish_summaries:publish_summaries")


@bp.schedule(Cron(0, 2, "*", "*", "?", "*"), name="aggregation_trigger")  # 02:00 UTC daily
def aggregation_trigger(event: Any) -> Any:
    from chalicelib.metrics.trigger import start_scheduled_aggregation

    return start_scheduled_aggregation(event.time)


@bp.on_sqs_message(queue=queue_name(METRICS_QUEUE), batch_size=METRICS_BATCH_SIZE, name="apply_metric_events")
def apply_metric_events(event: Any) -> Any:
    from chalicelib.metrics.stages.apply_metric_events import handle_batch

    return handle_batch(event.to_dict(), event.context)

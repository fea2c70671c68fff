"""Run metrics and period summaries: the metrics queue's events counted exactly once into day
buckets, and a daily aggregation (statemachines/aggregate_summaries.asl.json) that sums them into
day, week, month and year summaries per client and for the whole deployment.

  blueprint.py     the Lambda functions: one line per stage, the daily schedule, the queue's consumer
  contracts.py     the execution input and each stage's input and result
  stages/          one module per Lambda: apply_metric_events (the queue), plan_aggregation,
                   aggregate_tenants, record_batch_failure, publish_summaries
  store.py         day buckets, applied events, summaries, aggregation outcomes
  trigger.py       the schedule's start: one aggregation per day
  calendar.py      which periods a run covers; tally.py, histogram.py, aggregation.py: the figures

The events are the message of chalicelib/core/metric_events.py (the report pipeline sends them).
The face below is what app.py registers; no other subsystem imports this package.
"""

from chalicelib.metrics.blueprint import STAGES, bp

__all__ = ["STAGES", "bp"]

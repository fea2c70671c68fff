"""The metrics subsystem's stages, one module per Lambda: the metrics queue's record handler
(apply_metric_events) and the four stages of statemachines/aggregate_summaries.asl.json.

Each state machine stage takes its input contract (contracts.py) and returns its result contract;
run_stage parses and dumps them (a payload that does not match fails as a DataValidationError).
"""

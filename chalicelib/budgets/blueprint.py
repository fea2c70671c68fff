"""The budget check's Lambda functions (statemachines/budget_check.asl.json) and its daily schedule.

Each line below is one Lambda: its function name and the stage it runs ("module:function"), as in
the reports blueprint; STAGES is what tests/unit/test_asl_contracts.py checks against the ASL.
"""

from functools import partial
from typing import Any

from chalice import Blueprint, Cron

from chalicelib.core.blueprints import stage_function

bp = Blueprint(__name__)
STAGES: dict[str, str] = {}
_stage = partial(stage_function, bp, STAGES)  # _stage(function name, "module:function")

budget_plan = _stage("budget_plan", "chalicelib.budgets.stages.plan:plan")
budget_spend = _stage("budget_spend", "chalicelib.budgets.stages.spend:spend")
budget_alert = _stage("budget_alert", "chalicelib.budgets.stages.alert:alert")
budget_record = _stage("budget_record", "chalicelib.budgets.stages.record:record_failure")
budget_summary = _stage("budget_summary", "chalicelib.budgets.stages.summarize:summarize")


@bp.schedule(Cron(30, 6, "*", "*", "?", "*"), name="budget_trigger")  # 06:30 UTC daily
def budget_trigger(event: Any) -> Any:
    """Starts the day's check, named after the day (a repeated trigger starts nothing)."""
    from chalicelib.budgets.trigger import start_daily_check

    return start_daily_check(event.time)

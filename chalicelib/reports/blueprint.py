"""The cost report subsystem's Lambda functions: seven Step Functions stages, three schedules and
report_pdf (a report on demand, invoked synchronously).

Each line below is one Lambda: its function name and the stage it runs ("module:function").
STAGES collects that map once; the handlers and the ASL contract test (tests/unit/test_asl_contracts.py)
both read it. A stage module is imported when its handler first runs, so each Lambda loads only
what it runs (jinja2 only in render_report, Powertools idempotency only in deliver_report).
"""

from collections.abc import Callable
from functools import partial
from typing import Any

from chalice import Blueprint, Cron

from chalicelib.core.blueprints import stage_function

bp = Blueprint(__name__)
STAGES: dict[str, str] = {}
_stage = partial(stage_function, bp, STAGES)  # _stage(function name, "module:function")


def _schedule(report_type: str, cron: Cron) -> Callable[..., Any]:
    """`<report_type>_trigger`: starts that report's execution, named after its period (at most once)."""

    def trigger(event: Any) -> Any:
        from chalicelib.reports.trigger import start_scheduled_run

        return start_scheduled_run(report_type, event.time)

    trigger.__name__ = trigger.__qualname__ = f"{report_type}_trigger"
    return bp.schedule(cron, name=trigger.__name__)(trigger)


plan = _stage("plan", "chalicelib.reports.stages.plan:plan")
eligibility = _stage("eligibility", "chalicelib.reports.stages.eligibility:eligibility")
collect_costs = _stage("collect_costs", "chalicelib.reports.stages.collect_costs:collect")
render_report = _stage("render_report", "chalicelib.reports.stages.render_report:render")
deliver_report = _stage("deliver_report", "chalicelib.reports.stages.deliver_report:deliver")
record_result = _stage("record_result", "chalicelib.reports.stages.record_result:record")
summarize_run = _stage("summarize_run", "chalicelib.reports.stages.summarize_run:summarize")
# Not a state machine stage: invoked synchronously for a report on demand (a PDF of any past period).
report_pdf = _stage("report_pdf", "chalicelib.reports.stages.report_pdf:report_pdf")

daily_trigger = _schedule("daily", Cron(0, 8, "*", "*", "?", "*"))  # 08:00 UTC
weekly_trigger = _schedule("weekly", Cron(0, 9, "?", "*", "MON", "*"))  # Monday 09:00 UTC
monthly_trigger = _schedule("monthly", Cron(0, 9, 1, "*", "?", "*"))  # the 1st, 09:00 UTC

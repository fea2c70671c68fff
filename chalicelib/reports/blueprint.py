"""The cost report subsystem's Lambda functions: seven Step Functions stages and three schedules.

STAGES is the one map from a Lambda function name to the stage it runs ("module:function"): the
handlers below and the ASL contract test (tests/test_asl_contracts.py) both read it. Stage modules
are imported when their handler first runs, so each Lambda loads only what it runs (jinja2 only in
render_report, Powertools idempotency only in deliver_report): cold starts stay short.
"""

from chalice import Blueprint, Cron

from chalicelib.core.observability import run_stage

bp = Blueprint(__name__)

STAGES: dict[str, str] = {
    "plan": "chalicelib.reports.stages.plan:plan",
    "eligibility": "chalicelib.reports.stages.eligibility:eligibility",
    "collect_costs": "chalicelib.reports.stages.collect_costs:collect_costs",
    "render_report": "chalicelib.reports.stages.render_report:render_report",
    "deliver_report": "chalicelib.reports.stages.deliver_report:deliver_report",
    "record_result": "chalicelib.reports.stages.record_result:record_result",
    "summarize_run": "chalicelib.reports.stages.summarize_run:summarize_run",
}


@bp.lambda_function(name="plan")
def plan(event, context):
    return run_stage(STAGES["plan"], event, context)


@bp.lambda_function(name="eligibility")
def eligibility(event, context):
    return run_stage(STAGES["eligibility"], event, context)


@bp.lambda_function(name="collect_costs")
def collect_costs(event, context):
    return run_stage(STAGES["collect_costs"], event, context)


@bp.lambda_function(name="render_report")
def render_report(event, context):
    return run_stage(STAGES["render_report"], event, context)


@bp.lambda_function(name="deliver_report")
def deliver_report(event, context):
    return run_stage(STAGES["deliver_report"], event, context)


@bp.lambda_function(name="record_result")
def record_result(event, context):
    return run_stage(STAGES["record_result"], event, context)


@bp.lambda_function(name="summarize_run")
def summarize_run(event, context):
    return run_stage(STAGES["summarize_run"], event, context)


@bp.schedule(Cron(0, 8, "*", "*", "?", "*"), name="daily_trigger")
def daily_trigger(event):
    from chalicelib.reports.triggers import start_scheduled_run

    return start_scheduled_run("daily", event.time)


@bp.schedule(Cron(0, 9, "?", "*", "MON", "*"), name="weekly_trigger")
def weekly_trigger(event):
    from chalicelib.reports.triggers import start_scheduled_run

    return start_scheduled_run("weekly", event.time)


@bp.schedule(Cron(0, 9, 1, "*", "?", "*"), name="monthly_trigger")
def monthly_trigger(event):
    from chalicelib.reports.triggers import start_scheduled_run

    return start_scheduled_run("monthly", event.time)

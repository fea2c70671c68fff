"""Chalice entry points only: one function per stage or trigger, each one line into chalicelib.

Stage modules are imported inside the handlers so each Lambda loads only what it runs
(jinja2 only in render, Powertools idempotency only in deliver): cold starts stay short.
"""

from chalice import Chalice, Cron

from chalicelib.observability import run_stage

# configure_logs=False: Chalice would add a plain-text stdout handler to the "cost-reporter" logger,
# the very logger Powertools uses for its JSON lines, and every log line would be written twice.
app = Chalice(app_name="cost-reporter", configure_logs=False)


@app.lambda_function(name="plan")
def plan(event, context):
    from chalicelib.stages.plan import plan as stage

    return run_stage(stage, event)


@app.lambda_function(name="eligibility")
def eligibility(event, context):
    from chalicelib.stages.eligibility import eligibility as stage

    return run_stage(stage, event)


@app.lambda_function(name="collect_costs")
def collect_costs(event, context):
    from chalicelib.stages.collect import collect as stage

    return run_stage(stage, event)


@app.lambda_function(name="render_report")
def render_report(event, context):
    from chalicelib.stages.render import render as stage

    return run_stage(stage, event)


@app.lambda_function(name="deliver_report")
def deliver_report(event, context):
    from chalicelib.stages.deliver import deliver as stage

    return run_stage(stage, event, context)


@app.lambda_function(name="record_result")
def record_result(event, context):
    from chalicelib.stages.record import record as stage

    return run_stage(stage, event)


@app.lambda_function(name="summarize_run")
def summarize_run(event, context):
    from chalicelib.stages.summary import summarize as stage

    return run_stage(stage, event)


@app.schedule(Cron(0, 8, "*", "*", "?", "*"), name="daily_trigger")
def daily_trigger(event):
    from chalicelib.triggers import start_scheduled_run

    return start_scheduled_run("daily", event.time)


@app.schedule(Cron(0, 9, "?", "*", "MON", "*"), name="weekly_trigger")
def weekly_trigger(event):
    from chalicelib.triggers import start_scheduled_run

    return start_scheduled_run("weekly", event.time)


@app.schedule(Cron(0, 9, 1, "*", "?", "*"), name="monthly_trigger")
def monthly_trigger(event):
    from chalicelib.triggers import start_scheduled_run

    return start_scheduled_run("monthly", event.time)

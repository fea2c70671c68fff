"""The alarms and the dashboard, part of the description, written once for both deploy paths (naming.py).

Alarms (all notify the description's alarm topic; docs/DEPLOY.md says what each means and what to do):
  lambda-errors           any function raised (errors of every function of the stage, summed per 5 minutes)
  duration-near-timeout   a pipeline function used 80 % of its timeout (worst ratio over 5 minutes)
  report-missing          no successful daily run for 26 hours (the daily schedule is the heartbeat;
                          CloudWatch cannot look back further than 7 days, so weekly/monthly absence
                          is covered by executions-failed and lambda-errors, not by a window here)
  executions-failed       an execution of any state machine failed, timed out or was aborted
  ses-bounces-complaints  a report bounced or a recipient complained (SES configuration set events)
  <queue>-dlq-not-empty   derived for every queue: a message reached its dead-letter queue
The specs use the CloudFormation property names, which are also PutMetricAlarm's parameter names.
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib.core.constants import (
    APP_NAME,
    METRIC_NAMESPACE as METRICS_NAMESPACE,
    REPORT_TYPES,
    SERVICE_NAME as METRICS_SERVICE,
)
from infra.model import Queue, dashed
from infra.naming import Naming
from infra.stage import Stage

NEAR_TIMEOUT_RATIO = 0.8
REPORT_MISSING_HOURS = 26
FIXED_ALARMS = ("lambda-errors", "duration-near-timeout", "report-missing", "executions-failed", "ses-bounces-complaints")


def alarm_kinds(stage: Stage) -> list[str]:
    return [*FIXED_ALARMS, *(dlq_alarm_kind(q) for q in stage.description.queues)]


def dlq_alarm_kind(queue: Queue) -> str:
    return f"{dashed(queue.key)}-dlq-not-empty"


def _logical(kind: str) -> str:
    return "Alarm" + "".join(part.capitalize() for part in kind.split("-"))


def _function_metric(n: Naming, stage: Stage, function: str, metric: str, stat: str, period: int) -> dict[str, Any]:
    logical = stage.function(function).logical_id
    return {
        "Metric": {
            "Namespace": "AWS/Lambda",
            "MetricName": metric,
            "Dimensions": [{"Name": "FunctionName", "Value": n.value(f"Function{logical}")}],
        },
        "Period": period,
        "Stat": stat,
    }


def alarms(stage: Stage, n: Naming) -> dict[str, dict[str, Any]]:
    """{logical id: alarm properties} for every alarm of the stage."""
    topic = n.arn(stage.description.alarm_topic)
    prefix = n.value("Prefix")
    actions = {"AlarmActions": [topic], "OKActions": [topic]}
    specs: dict[str, dict[str, Any]] = {}

    errors = [{"Id": f"m{i}", "MetricStat": _function_metric(n, stage, f.name, "Errors", "Sum", 300), "ReturnData": False}
              for i, f in enumerate(stage.functions, 1)]
    specs["lambda-errors"] = {
        "AlarmDescription": f"A {APP_NAME} function raised an error (sum over all functions, 5 minutes). "
                            "See docs/DEPLOY.md#alarms.",
        "Metrics": [*errors, {"Id": "errors", "Expression": f"SUM([{', '.join(m['Id'] for m in errors)}])",
                              "Label": "Errors, all functions", "ReturnData": True}],
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "Threshold": 1,
        "EvaluationPeriods": 1,
        "TreatMissingData": "notBreaching",
    }

    durations: list[dict[str, Any]] = []
    ratios: list[dict[str, Any]] = []
    for i, f in enumerate(stage.tasks, 1):
        durations.append({"Id": f"d{i}", "MetricStat": _function_metric(n, stage, f.name, "Duration", "Maximum", 300),
                          "ReturnData": False})
        ratios.append({"Id": f"r{i}", "Expression": n.sub(f"d{i} / ${{T}}", T=n.value(f"TimeoutMs{f.logical_id}")),
                       "Label": f"{f.name} duration / timeout", "ReturnData": False})
    specs["duration-near-timeout"] = {
        "AlarmDescription": f"A pipeline function ran for {int(NEAR_TIMEOUT_RATIO * 100)} % of its timeout or more "
                            "(worst ratio, 5 minutes). See docs/DEPLOY.md#alarms.",
        "Metrics": [*durations, *ratios, {"Id": "worst", "Expression": f"MAX([{', '.join(r['Id'] for r in ratios)}])",
                                          "Label": "Worst duration / timeout", "ReturnData": True}],
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "Threshold": NEAR_TIMEOUT_RATIO,
        "EvaluationPeriods": 1,
        "TreatMissingData": "notBreaching",
    }

    specs["report-missing"] = {
        "AlarmDescription": f"No successful daily run for {REPORT_MISSING_HOURS} hours (metric "
                            f"{METRICS_NAMESPACE}/ExecutionSucceeded, ReportType=daily). See docs/DEPLOY.md#alarms.",
        "Namespace": METRICS_NAMESPACE,
        "MetricName": "ExecutionSucceeded",
        "Dimensions": [{"Name": "ReportType", "Value": "daily"}, {"Name": "service", "Value": METRICS_SERVICE}],
        "Statistic": "Sum",
        "Period": 3600,
        "EvaluationPeriods": REPORT_MISSING_HOURS,
        "DatapointsToAlarm": REPORT_MISSING_HOURS,
        "ComparisonOperator": "LessThanThreshold",
        "Threshold": 1,
        "TreatMissingData": "breaching",
    }

    executions = [
        {"Id": f"e{i}", "MetricStat": {"Metric": {"Namespace": "AWS/States", "MetricName": metric,
                                                   "Dimensions": [{"Name": "StateMachineArn", "Value": n.arn(machine)}]},
                                        "Period": 300, "Stat": "Sum"}, "ReturnData": False}
        for i, (machine, metric) in enumerate(((m, metric) for m in stage.description.state_machines
                                               for metric in ("ExecutionsFailed", "ExecutionsTimedOut",
                                                              "ExecutionsAborted")), 1)
    ]
    specs["executions-failed"] = {
        "AlarmDescription": "An execution failed, timed out or was aborted (5 minutes). See docs/DEPLOY.md#alarms.",
        "Metrics": [*executions, {"Id": "failed", "Expression": f"SUM([{', '.join(e['Id'] for e in executions)}])",
                                  "Label": "Executions failed, timed out or aborted", "ReturnData": True}],
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "Threshold": 1,
        "EvaluationPeriods": 1,
        "TreatMissingData": "notBreaching",
    }

    ses = [
        {"Id": f"s{i}", "MetricStat": {"Metric": {"Namespace": "AWS/SES", "MetricName": metric,
                                                   "Dimensions": [{"Name": "ses:configuration-set",
                                                                   "Value": n.value("ConfigurationSet")}]},
                                        "Period": 3600, "Stat": "Sum"}, "ReturnData": False}
        for i, metric in enumerate(("Bounce", "Complaint"), 1)
    ]
    specs["ses-bounces-complaints"] = {
        "AlarmDescription": "A report bounced or a recipient marked it as spam (1 hour). See docs/DEPLOY.md#alarms.",
        "Metrics": [*ses, {"Id": "bounces", "Expression": "SUM([s1, s2])", "Label": "Bounces + complaints", "ReturnData": True}],
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "Threshold": 1,
        "EvaluationPeriods": 1,
        "TreatMissingData": "notBreaching",
    }

    for queue in stage.description.queues:
        specs[dlq_alarm_kind(queue)] = {
            "AlarmDescription": f"A message of the {queue.key} queue failed {queue.max_receive_count} times and moved to "
                                "its dead-letter queue. See docs/DEPLOY.md#alarms.",
            "Namespace": "AWS/SQS",
            "MetricName": "ApproximateNumberOfMessagesVisible",
            "Dimensions": [{"Name": "QueueName", "Value": n.value(f"{queue.dlq_logical_id}Name")}],
            "Statistic": "Maximum",
            "Period": 300,
            "EvaluationPeriods": 1,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "Threshold": 1,
            "TreatMissingData": "notBreaching",
        }

    return {
        _logical(kind): {"AlarmName": n.sub("${Prefix}-" + kind, Prefix=prefix), "ActionsEnabled": True, **actions, **spec}
        for kind, spec in specs.items()
    }


def dashboard_body(stage: Stage, n: Naming) -> tuple[str, dict[str, Any]]:
    """(JSON body with ${...} placeholders, {placeholder: value}) for naming.sub()."""
    variables: dict[str, Any] = {"Prefix": n.value("Prefix"), "ConfigurationSet": n.value("ConfigurationSet")}
    for spec in stage.functions:
        variables[f"F{spec.logical_id}"] = n.value(f"Function{spec.logical_id}")
    for machine in stage.description.state_machines:
        variables[f"M{machine.logical_id}"] = n.arn(machine)
    region = "${AWS::Region}"

    def fn_metrics(metric: str, stat: str) -> list[list[Any]]:
        return [["AWS/Lambda", metric, "FunctionName", f"${{F{f.logical_id}}}", {"stat": stat, "label": f.name}]
                for f in stage.functions]

    def widget(x: int, y: int, title: str, metrics: list[list[Any]], stat: str = "Sum", period: int = 300,
               w: int = 12, h: int = 6) -> dict[str, Any]:
        return {"type": "metric", "x": x, "y": y, "width": w, "height": h,
                "properties": {"title": title, "region": region, "view": "timeSeries", "stacked": False,
                               "stat": stat, "period": period, "metrics": metrics}}

    executions = [["AWS/States", metric, "StateMachineArn", f"${{M{machine.logical_id}}}",
                   {"label": f"{machine.key} {metric}"}]
                  for machine in stage.description.state_machines
                  for metric in ("ExecutionsStarted", "ExecutionsSucceeded", "ExecutionsFailed", "ExecutionsTimedOut",
                                 "ExecutionsAborted")]
    emails = [[METRICS_NAMESPACE, "EmailsSent", "ReportType", t, "service", METRICS_SERVICE, {"label": f"{t} emails sent"}]
              for t in REPORT_TYPES]
    emails += [["AWS/SES", metric, "ses:configuration-set", "${ConfigurationSet}", {"label": f"SES {metric}"}]
               for metric in ("Send", "Delivery", "Bounce", "Complaint", "Reject")]
    runs = [[METRICS_NAMESPACE, outcome, "ReportType", t, "service", METRICS_SERVICE, {"label": f"{t} {outcome}"}]
            for t in REPORT_TYPES for outcome in ("ExecutionSucceeded", "ExecutionFailed")]
    alarm_arns = [f"arn:aws:cloudwatch:{region}:${{AWS::AccountId}}:alarm:${{Prefix}}-{kind}" for kind in alarm_kinds(stage)]
    body = {
        "widgets": [
            {"type": "text", "x": 0, "y": 0, "width": 24, "height": 2,
             "properties": {"markdown": "## ${Prefix}: cost reports\nExecutions, per-stage errors and durations, emails. "
                                        "Alarms and what to do: docs/DEPLOY.md#alarms."}},
            {"type": "alarm", "x": 0, "y": 2, "width": 24, "height": 3,
             "properties": {"title": "Alarms", "alarms": alarm_arns}},
            widget(0, 5, "Executions", executions, period=3600),
            widget(12, 5, "Runs by report type (ExecutionSucceeded / ExecutionFailed)", runs, period=3600),
            widget(0, 11, "Errors per stage", fn_metrics("Errors", "Sum")),
            widget(12, 11, "Throttles per stage", fn_metrics("Throttles", "Sum")),
            widget(0, 17, "Duration per stage (p95)", fn_metrics("Duration", "p95"), stat="p95"),
            widget(12, 17, "Duration per stage (maximum)", fn_metrics("Duration", "Maximum"), stat="Maximum"),
            widget(0, 23, "Emails", emails, period=3600, w=24),
        ]
    }
    return json.dumps(body, indent=1), variables


def dashboard(stage: Stage, n: Naming) -> dict[str, Any]:
    """{"DashboardName": ..., "DashboardBody": ...} in the naming's rendering."""
    template, variables = dashboard_body(stage, n)
    return {"DashboardName": n.sub("${Prefix}", Prefix=n.value("Prefix")),
            "DashboardBody": n.sub(template, **variables)}

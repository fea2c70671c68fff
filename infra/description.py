"""THE description of the deployment: every resource beyond what `chalice deploy` makes, and what
each Lambda function may do. deploy.py, resources.yaml, .chalice/policies/, .chalice/config.json
and the local runtime (`python -m local run|serve`) are all derived from it; per-stage sizes and
settings are in infra/stages.json. After a change: `python -m infra generate` (docs/DEPLOY.md).

Adding a queue: one `Queue(...)` entry below, a `ConsumeQueue` grant on the function whose
`@bp.on_sqs_message(queue=...)` handler reads it (the queue's name is `<app>-<stage>-<key>`, see
infra.stage.Stage.queue_name) and `SendToQueue` on its producers (they get `<KEY>_QUEUE_URL`).
Adding a state machine: statemachines/<key>.asl.json plus one `StateMachine(...)` entry.
"""

from __future__ import annotations

from chalicelib.core import constants as c
from infra.model import (
    AssumePayerRoles,
    Bucket,
    BucketObjects,
    CostExplorer,
    Description,
    EmailConfigurationSet,
    Function,
    PublishTo,
    RunMapChildren,
    SecretsPrefix,
    SendEmail,
    StartExecution,
    StateMachine,
    Table,
    TableItems,
    Topic,
)

RUNS = c.RUNS_PREFIX
# The report's Cost Explorer calls: costs, history and the why's usage types; the month's forecast.
REPORT_CE_ACTIONS = ("ce:GetCostAndUsage", "ce:GetCostForecast")


def _trigger(name: str) -> Function:
    """A schedule handler (app.py: its cron) that starts a cost report execution."""
    return Function(name, timeout=30, grants=(StartExecution("cost_report"),))


DESCRIPTION = Description(
    app_name=c.APP_NAME,
    log_retention_days=30,
    tables=(
        Table("reports", env=c.ENV_TABLE_NAME, ttl_attribute=c.TTL_ATTRIBUTE),
    ),
    buckets=(
        Bucket("reports", env=c.ENV_BUCKET_NAME, suffix="-reports",
               expiring_prefixes=((RUNS, c.RUNS_EXPIRY_DAYS),)),
    ),
    queues=(),
    topics=(
        Topic("alerts", env=c.ENV_ALERT_TOPIC_ARN, alarm_target=True),
    ),
    email=EmailConfigurationSet(env=c.ENV_SES_CONFIGURATION_SET),
    secrets=SecretsPrefix(env=c.ENV_SECRETS_PREFIX),
    state_machines=(
        # ProcessClients is a Distributed Map: it reads the eligible ids (runs/<run>/eligible.json),
        # runs one child execution of this machine per client and writes their results
        # (ResultWriter, runs/map-results/...; multipart for large ones).
        StateMachine("cost_report", env=c.ENV_STATE_MACHINE_ARN, grants=(
            RunMapChildren("cost_report"),
            BucketObjects("reports", RUNS, ("s3:GetObject",), keys=f"*/{c.ELIGIBLE_IDS_OBJECT}"),
            BucketObjects("reports", RUNS, ("s3:PutObject", "s3:GetObject", "s3:ListMultipartUploadParts",
                                            "s3:AbortMultipartUpload"), keys=f"{c.MAP_RESULTS_PREFIX}*"),
        )),
    ),
    functions=(
        # Partition keys each function reads or writes: chalicelib/core/store/table.py.
        Function("plan", timeout=50, pipeline=True, grants=(
            TableItems("reports", ("dynamodb:UpdateItem",), (f"{c.PK_RUN_PREFIX}*",)),
        )),
        Function("eligibility", timeout=280, pipeline=True, grants=(
            TableItems("reports", ("dynamodb:Query", "dynamodb:GetItem"), (c.PK_CLIENTS,)),
            TableItems("reports", ("dynamodb:BatchGetItem",), (f"{c.PK_DELIVERY_PREFIX}*",)),
            TableItems("reports", ("dynamodb:BatchWriteItem",), (f"{c.PK_RUN_PREFIX}*",)),
            BucketObjects("reports", RUNS, ("s3:PutObject",), keys=f"*/{c.ELIGIBLE_IDS_OBJECT}"),  # the Map's items
        )),
        Function("collect_costs", timeout=110, pipeline=True, grants=(
            TableItems("reports", ("dynamodb:GetItem",), (c.PK_CLIENTS,)),
            # Its own artefacts only (message.eml, which deliver trusts as the envelope, is render's),
            # and the payer organizations' account names cached once per run.
            BucketObjects("reports", RUNS, ("s3:PutObject",), keys=f"*/*/{c.COSTS_ARTEFACT}"),
            BucketObjects("reports", RUNS, ("s3:PutObject",), keys=f"*/*/{c.CONTEXT_ARTEFACT}"),
            BucketObjects("reports", RUNS, ("s3:GetObject", "s3:PutObject"), keys=f"*/{c.ORGANIZATIONS_CACHE}/*"),
            CostExplorer(REPORT_CE_ACTIONS),
            # organizations:ListAccounts runs as the payer role (its own policy grants it), not as us
            AssumePayerRoles(c.ROLE_SESSION_PREFIX, c.PAYER_ROLE_NAME_PREFIX),
        )),
        Function("render_report", timeout=50, pipeline=True, grants=(
            BucketObjects("reports", RUNS, ("s3:GetObject", "s3:PutObject")),
        )),
        Function("deliver_report", timeout=50, pipeline=True, grants=(
            # Powertools idempotency (get/put/update/delete of its record) + the delivery ledger.
            TableItems("reports", ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem",
                                   "dynamodb:DeleteItem"), (c.PK_IDEMPOTENCY_DELIVER,)),
            TableItems("reports", ("dynamodb:PutItem",), (f"{c.PK_DELIVERY_PREFIX}*",)),
            BucketObjects("reports", RUNS, ("s3:GetObject",)),
            SendEmail(),
        )),
        Function("record_result", timeout=25, pipeline=True, grants=(
            TableItems("reports", ("dynamodb:PutItem",), (f"{c.PK_RUN_PREFIX}*",)),
        )),
        Function("summarize_run", timeout=280, pipeline=True, grants=(
            TableItems("reports", ("dynamodb:Query", "dynamodb:UpdateItem"), (f"{c.PK_RUN_PREFIX}*",)),
            TableItems("reports", ("dynamodb:PutItem",), (c.PK_RUNS,)),
            PublishTo("alerts"),
        )),
        # A report on demand (invoked synchronously): the PDF of any past period, presigned for an hour
        # (GetObject backs the presigned URL).
        Function("report_pdf", timeout=110, grants=(
            TableItems("reports", ("dynamodb:GetItem",), (c.PK_CLIENTS,)),
            # only its own runs: runs/on-demand-<time>-<id>/... (its reports and the names cache)
            BucketObjects("reports", RUNS, ("s3:GetObject", "s3:PutObject"), keys=f"{c.ON_DEMAND_RUN_PREFIX}*"),
            CostExplorer(REPORT_CE_ACTIONS),
            AssumePayerRoles(c.ROLE_SESSION_PREFIX, c.PAYER_ROLE_NAME_PREFIX),
        )),
        _trigger("daily_trigger"),
        _trigger("weekly_trigger"),
        _trigger("monthly_trigger"),
    ),
)

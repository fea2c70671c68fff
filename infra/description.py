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
    Api,
    AssumePayerRoles,
    Athena,
    Bucket,
    BucketObjects,
    ConsumeQueue,
    CostExplorer,
    Description,
    EmailConfigurationSet,
    Function,
    PublishTo,
    Queue,
    ReadExports,
    ReadSecrets,
    RunMapChildren,
    SecretsPrefix,
    SendEmail,
    SendToQueue,
    StartExecution,
    StateMachine,
    Table,
    TableItems,
    Topic,
    UnsubscribeKey,
)

RUNS = c.RUNS_PREFIX
# A single-client export query outside a run (the on-demand report, a budget check): its accounts go
# under runs/on-demand-*/export-accounts/, it polls Athena itself.
_READS_ONE_CLIENTS_EXPORT = (
    Athena(("athena:StartQueryExecution", "athena:GetQueryExecution")),
    ReadExports(),
    BucketObjects("reports", RUNS, ("s3:PutObject",), keys=f"{c.ON_DEMAND_RUN_PREFIX}*/{c.EXPORT_ACCOUNTS_FOLDER}/*"),
)
# The report's Cost Explorer calls: costs, history and the why's usage types; the month's forecast.
REPORT_CE_ACTIONS = ("ce:GetCostAndUsage", "ce:GetCostForecast")


# A producer of notifications: records it once (chalicelib/core/notifications.py) and sends it to the queue.
_QUEUES_NOTIFICATIONS = (
    TableItems("reports", ("dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:UpdateItem"), (f"{c.PK_NOTIFICATION_PREFIX}*",)),
    SendToQueue("notify"),
)
# Sends email per recipient: reads the client's unsubscribes (one Query) and signs each recipient's
# link with the key secret (chalicelib/core/subscriptions.py); the route's base URL comes with it.
_SIGNS_UNSUBSCRIBE_LINKS = (
    TableItems("reports", ("dynamodb:Query",), (f"{c.PK_UNSUBSCRIBE_PREFIX}*",)),
    UnsubscribeKey(),
)
_READS_CLIENTS = TableItems("reports", ("dynamodb:GetItem",), (c.PK_CLIENTS,))
_BUDGET_OUTCOMES = f"{c.PK_BUDGET_RUN_PREFIX}*"


def _trigger(name: str) -> Function:
    """A schedule handler (chalicelib/reports/blueprint.py: its cron) that starts a cost report execution."""
    return Function(name, timeout=30, grants=(StartExecution("cost_report"),))


SCRAPE_JOB = (f"{c.PK_SCRAPE_PREFIX}*",)  # the chunked job's plan, checkpoints, result and ledger
SEC_BUCKET = TableItems("reports", ("dynamodb:UpdateItem",), (f"{c.PK_RATE_LIMIT_PREFIX}*",))  # the SEC rate limit


def _scraper_trigger(name: str) -> Function:
    """A scraper's schedule handler (chalicelib/scraping/blueprint.py): starts a chunked job execution; a
    manual dry run waits for it (DescribeExecution) and returns the results table (its RESULT item)."""
    return Function(name, timeout=300, grants=(
        StartExecution("chunked_job", watch=True),
        TableItems("reports", ("dynamodb:GetItem",), SCRAPE_JOB),
    ))


DESCRIPTION = Description(
    app_name=c.APP_NAME,
    log_retention_days=30,
    tables=(
        Table("reports", env=c.ENV_TABLE_NAME, ttl_attribute=c.TTL_ATTRIBUTE),
    ),
    buckets=(
        Bucket("reports", env=c.ENV_BUCKET_NAME, suffix="-reports",
               expiring_prefixes=((RUNS, c.RUNS_EXPIRY_DAYS),
                                  (f"{RUNS}{c.ON_DEMAND_RUN_PREFIX}", c.ON_DEMAND_EXPIRY_DAYS))),
    ),
    queues=(
        # Run metric events (chalicelib/metrics): 6 x the consumer's 60 s timeout; DLQ after 5 receives.
        Queue(c.METRICS_QUEUE, visibility_timeout=360, env=c.ENV_METRICS_QUEUE_URL),
        # Every notification (budget, change alert, operator alert): chalicelib/notify. DLQ after 5 receives.
        Queue("notify", visibility_timeout=c.NOTIFY_VISIBILITY_TIMEOUT_SECONDS, max_receive_count=c.NOTIFY_MAX_RECEIVES,
              env=c.ENV_NOTIFY_QUEUE_URL),
    ),
    topics=(
        Topic("alerts", env=c.ENV_ALERT_TOPIC_ARN, alarm_target=True),
        Topic("summaries", env=c.ENV_SUMMARY_TOPIC_ARN),  # one message per aggregation run (counts)
        # market-signal alerts of the scrapers: normal and critical (subscribe paging to the second)
        Topic("market_alerts", env=c.ENV_SCRAPE_ALERT_TOPIC_ARN),
        Topic("market_alerts_critical", env=c.ENV_SCRAPE_CRITICAL_TOPIC_ARN),
        # Clients' budget and change alerts by SNS: subscribe per client with a filter policy on the
        # `client_id` message attribute (a client's `notifications.sns_topic_arn` names this topic).
        Topic("client_alerts"),
    ),
    email=EmailConfigurationSet(env=c.ENV_SES_CONFIGURATION_SET),
    secrets=SecretsPrefix(env=c.ENV_SECRETS_PREFIX),
    # One-click unsubscribe (chalicelib/subscriptions): the route, its HMAC key, its public base URL.
    api=Api(routes=(c.UNSUBSCRIBE_ROUTE,), key_secret=c.UNSUBSCRIBE_KEY_SECRET, base_url_env=c.ENV_UNSUBSCRIBE_BASE_URL),
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
        # AggregateTenants is a Distributed Map over the tenants plan_aggregation writes to S3
        # (metrics/aggregations/<run>/tenants.json); ResultWriter under metrics/aggregations/map-results/.
        StateMachine("aggregate_summaries", env=c.ENV_AGGREGATION_STATE_MACHINE_ARN, grants=(
            RunMapChildren("aggregate_summaries"),
            BucketObjects("reports", c.AGGREGATIONS_PREFIX, ("s3:GetObject",), keys=f"*/{c.AGGREGATION_TENANTS_OBJECT}"),
            BucketObjects("reports", c.AGGREGATIONS_PREFIX, ("s3:PutObject", "s3:GetObject", "s3:ListMultipartUploadParts",
                                                             "s3:AbortMultipartUpload"), keys=f"{c.MAP_RESULTS_PREFIX}*"),
        )),
        StateMachine("chunked_job", env=c.ENV_SCRAPE_STATE_MACHINE_ARN),
        StateMachine("budget_check", env=c.ENV_BUDGET_STATE_MACHINE_ARN),
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
            # the run's export plan and its accounts (what the run-accounts table reads)
            BucketObjects("reports", RUNS, ("s3:PutObject",), keys=f"*/{c.EXPORT_PLAN_OBJECT}"),
            BucketObjects("reports", RUNS, ("s3:PutObject",), keys=f"*/{c.EXPORT_ACCOUNTS_FOLDER}/*"),
        )),
        # ---- the run's billing-export steps (chalicelib/costs/stages; statemachines/cost_report.asl.json) ----
        Function("query_exports", timeout=110, pipeline=True, grants=(
            Athena(("athena:StartQueryExecution", "athena:GetQueryExecution")),
            ReadExports(),  # the manifests (latest snapshot) and what the query itself reads
            BucketObjects("reports", RUNS, ("s3:GetObject",), keys=f"*/{c.EXPORT_PLAN_OBJECT}"),
            BucketObjects("reports", RUNS, ("s3:PutObject",), keys=f"*/{c.EXPORT_QUERIES_FOLDER}/*"),
            BucketObjects("reports", RUNS, ("s3:PutObject",), keys=f"*/*/{c.COST_SOURCE_REFUSAL}"),
        )),
        Function("check_exports", timeout=50, pipeline=True, grants=(
            Athena(("athena:GetQueryExecution",)),
        )),
        Function("split_exports", timeout=880, pipeline=True, grants=(
            Athena(("athena:GetQueryExecution",)),
            ReadExports(),  # the query's result file
            BucketObjects("reports", RUNS, ("s3:GetObject",), keys=f"*/{c.EXPORT_PLAN_OBJECT}"),
            BucketObjects("reports", RUNS, ("s3:GetObject",), keys=f"*/{c.EXPORT_QUERIES_FOLDER}/*"),
            BucketObjects("reports", RUNS, ("s3:PutObject",), keys=f"*/*/{c.COST_SOURCE_ARTEFACT}"),
            BucketObjects("reports", RUNS, ("s3:PutObject",), keys=f"*/*/{c.COST_SOURCE_REFUSAL}"),
        )),
        Function("collect_costs", timeout=110, pipeline=True, grants=(
            TableItems("reports", ("dynamodb:GetItem",), (c.PK_CLIENTS,)),
            # Its own artefacts only (message.eml, which deliver trusts as the envelope, is render's),
            # and the payer organizations' account names cached once per run.
            BucketObjects("reports", RUNS, ("s3:PutObject",), keys=f"*/*/{c.COSTS_ARTEFACT}"),
            BucketObjects("reports", RUNS, ("s3:GetObject", "s3:PutObject"), keys=f"*/{c.ORGANIZATIONS_CACHE}/*"),
            # an export client's dataset, or why it has none (chalicelib/costs/store.py)
            BucketObjects("reports", RUNS, ("s3:GetObject",), keys=f"*/*/{c.COST_SOURCE_ARTEFACT}"),
            BucketObjects("reports", RUNS, ("s3:GetObject",), keys=f"*/*/{c.COST_SOURCE_REFUSAL}"),
            CostExplorer(REPORT_CE_ACTIONS),
            # organizations:ListAccounts runs as the payer role (its own policy grants it), not as us
            AssumePayerRoles(c.ROLE_SESSION_PREFIX, c.PAYER_ROLE_NAME_PREFIX),
        )),
        Function("render_report", timeout=50, pipeline=True, grants=(
            BucketObjects("reports", RUNS, ("s3:GetObject", "s3:PutObject")),
            BucketObjects("reports", "assets/", ("s3:GetObject",)),  # white-label logos (chalicelib/core/branding.py)
            *_QUEUES_NOTIFICATIONS,  # change alerts
        )),
        Function("deliver_report", timeout=50, pipeline=True, grants=(
            # Powertools idempotency (get/put/update/delete of its record) + the delivery ledger.
            TableItems("reports", ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem",
                                   "dynamodb:DeleteItem"), (c.PK_IDEMPOTENCY_DELIVER,)),
            TableItems("reports", ("dynamodb:PutItem",), (f"{c.PK_DELIVERY_PREFIX}*",)),
            BucketObjects("reports", RUNS, ("s3:GetObject",)),
            SendEmail(),
            *_SIGNS_UNSUBSCRIBE_LINKS,  # per-recipient messages skip the unsubscribed and link to the route
        )),
        Function("record_result", timeout=25, pipeline=True, grants=(
            TableItems("reports", ("dynamodb:PutItem",), (f"{c.PK_RUN_PREFIX}*",)),
        )),
        Function("summarize_run", timeout=280, pipeline=True, grants=(
            TableItems("reports", ("dynamodb:Query", "dynamodb:UpdateItem"), (f"{c.PK_RUN_PREFIX}*",)),
            TableItems("reports", ("dynamodb:PutItem",), (c.PK_RUNS,)),
            SendToQueue(c.METRICS_QUEUE),  # every outcome, once, and the run's end
            *_QUEUES_NOTIFICATIONS,  # the operator alert
        )),
        # A report on demand (invoked synchronously): the PDF of any past period, presigned for an hour
        # (GetObject backs the presigned URL).
        Function("report_pdf", timeout=110, grants=(
            TableItems("reports", ("dynamodb:GetItem",), (c.PK_CLIENTS,)),
            # only its own runs: runs/on-demand-<time>-<id>/... (its reports and the names cache)
            BucketObjects("reports", RUNS, ("s3:GetObject", "s3:PutObject"), keys=f"{c.ON_DEMAND_RUN_PREFIX}*"),
            *_READS_ONE_CLIENTS_EXPORT,
            CostExplorer(REPORT_CE_ACTIONS),
            AssumePayerRoles(c.ROLE_SESSION_PREFIX, c.PAYER_ROLE_NAME_PREFIX),
        )),
        _trigger("daily_trigger"),
        _trigger("weekly_trigger"),
        _trigger("monthly_trigger"),
        # local send times: reads the client configs to start only the runs some client sends this hour
        Function("hourly_trigger", timeout=60, grants=(StartExecution("cost_report"),
                                                       TableItems("reports", ("dynamodb:Query",), (c.PK_CLIENTS,)))),
        # ---- run metrics and summaries (chalicelib/metrics; item layout in chalicelib/metrics/store.py) ----
        Function("apply_metric_events", timeout=60, grants=(
            ConsumeQueue(c.METRICS_QUEUE),
            # one TransactWriteItems per event: its applied record (put: a client's active marker, or
            # the event id) + the day buckets (ADD, and SET of the maxima it raises)
            TableItems("reports", ("dynamodb:PutItem",), (f"{c.PK_METRIC_EVENT_PREFIX}*", f"{c.PK_METRIC_ACTIVE_PREFIX}*")),
            TableItems("reports", ("dynamodb:UpdateItem",), (f"{c.PK_METRICS_PREFIX}*",)),
            # is the outcome's client a client? (an unknown id is counted for the deployment only;
            # a batch's ids asked at once)
            TableItems("reports", ("dynamodb:GetItem", "dynamodb:BatchGetItem"), (c.PK_CLIENTS,)),
        )),
        Function("plan_aggregation", timeout=110, pipeline=True, grants=(
            TableItems("reports", ("dynamodb:Query",), (f"{c.PK_METRIC_ACTIVE_PREFIX}*",)),  # the active markers
            BucketObjects("reports", c.AGGREGATIONS_PREFIX, ("s3:PutObject",), keys=f"*/{c.AGGREGATION_TENANTS_OBJECT}"),
        )),
        Function("aggregate_tenants", timeout=280, pipeline=True, grants=(
            TableItems("reports", ("dynamodb:Query",), (f"{c.PK_METRICS_PREFIX}*", f"{c.PK_SUMMARY_PREFIX}*")),
            TableItems("reports", ("dynamodb:BatchWriteItem",), (f"{c.PK_SUMMARY_PREFIX}*", c.PK_METRIC_TENANTS,
                                                                  f"{c.PK_AGGREGATION_PREFIX}*")),
        )),
        Function("record_batch_failure", timeout=25, pipeline=True, grants=(
            TableItems("reports", ("dynamodb:BatchWriteItem",), (f"{c.PK_AGGREGATION_PREFIX}*",)),
        )),
        Function("publish_summaries", timeout=50, pipeline=True, grants=(
            TableItems("reports", ("dynamodb:Query",), (f"{c.PK_AGGREGATION_PREFIX}*",)),
            TableItems("reports", ("dynamodb:GetItem",), (f"{c.PK_SUMMARY_PREFIX}*",)),
            TableItems("reports", ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem",
                                   "dynamodb:DeleteItem"), (c.PK_IDEMPOTENCY_PUBLISH_SUMMARIES,)),
            PublishTo("summaries"),
        )),
        Function("aggregation_trigger", timeout=30, grants=(StartExecution("aggregate_summaries"),)),
        # The market-signal scrapers (chalicelib/scraping/store.py: the SCRAPE# items; http.py: RATELIMIT#).
        Function("scrape_plan", timeout=300, pipeline=True, grants=(
            TableItems("reports", ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"), SCRAPE_JOB),
            SEC_BUCKET,  # the bond search pages and the BDC NAV frame are SEC requests
        )),
        Function("scrape_chunk", timeout=300, pipeline=True, grants=(
            TableItems("reports", ("dynamodb:GetItem", "dynamodb:UpdateItem"), SCRAPE_JOB),
            SEC_BUCKET,
            ReadSecrets(),  # the optional `scraping` secret (chalicelib/scraping/secrets.py)
        )),
        Function("scrape_aggregate", timeout=110, pipeline=True, grants=(
            TableItems("reports", ("dynamodb:Query", "dynamodb:PutItem"), SCRAPE_JOB),
        )),
        Function("scrape_evaluate", timeout=50, pipeline=True, grants=(
            TableItems("reports", ("dynamodb:GetItem",), SCRAPE_JOB),
        )),
        Function("scrape_publish", timeout=50, pipeline=True, grants=(
            TableItems("reports", ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"), SCRAPE_JOB),
            PublishTo("market_alerts"), PublishTo("market_alerts_critical"),
        )),
        _scraper_trigger("bond_issuance_trigger"),
        _scraper_trigger("bdc_discount_trigger"),
        _scraper_trigger("credit_fund_trigger"),
        _scraper_trigger("bank_provision_trigger"),
        # ---- budgets (statemachines/budget_check.asl.json, chalicelib/budgets) ----
        Function("budget_plan", timeout=280, pipeline=True, grants=(
            TableItems("reports", ("dynamodb:Query", "dynamodb:GetItem"), (c.PK_CLIENTS,)),
            TableItems("reports", ("dynamodb:PutItem",), (_BUDGET_OUTCOMES,)),
            # the check's export plan and its accounts (what the run-accounts table reads)
            BucketObjects("reports", RUNS, ("s3:PutObject",), keys=f"*/{c.EXPORT_PLAN_OBJECT}"),
            BucketObjects("reports", RUNS, ("s3:PutObject",), keys=f"*/{c.EXPORT_ACCOUNTS_FOLDER}/*"),
        )),
        Function("budget_spend", timeout=110, pipeline=True, grants=(
            _READS_CLIENTS,
            # an export client's dataset from the check's one query, or why it has none
            BucketObjects("reports", RUNS, ("s3:GetObject",), keys=f"*/*/{c.COST_SOURCE_ARTEFACT}"),
            BucketObjects("reports", RUNS, ("s3:GetObject",), keys=f"*/*/{c.COST_SOURCE_REFUSAL}"),
            CostExplorer(("ce:GetCostAndUsage", "ce:GetCostForecast")),
            AssumePayerRoles(c.ROLE_SESSION_PREFIX, c.PAYER_ROLE_NAME_PREFIX),
        )),
        Function("budget_alert", timeout=50, pipeline=True, grants=(
            _READS_CLIENTS,
            # crossings and their outbox (chalicelib/budgets/store.py): one TransactWriteItems of puts
            # claims them with their notification; the queued announcement is deleted
            TableItems("reports", ("dynamodb:PutItem", "dynamodb:Query", "dynamodb:DeleteItem"), (f"{c.PK_BUDGET_PREFIX}*",)),
            TableItems("reports", ("dynamodb:PutItem",), (_BUDGET_OUTCOMES,)),
            *_QUEUES_NOTIFICATIONS,
        )),
        Function("budget_record", timeout=25, pipeline=True, grants=(
            TableItems("reports", ("dynamodb:PutItem",), (_BUDGET_OUTCOMES,)),
        )),
        Function("budget_summary", timeout=280, pipeline=True, grants=(
            TableItems("reports", ("dynamodb:Query",), (_BUDGET_OUTCOMES,)),
            *_QUEUES_NOTIFICATIONS,  # the operator alert
        )),
        Function("budget_trigger", timeout=30, grants=(StartExecution("budget_check"),)),
        # ---- the unsubscribe route (chalicelib/subscriptions): Chalice's API handler ----
        Function(c.API_HANDLER, timeout=10, grants=(
            TableItems("reports", ("dynamodb:PutItem",), (f"{c.PK_UNSUBSCRIBE_PREFIX}*",)),  # the suppression, once
            UnsubscribeKey(),  # verifies the token
        )),
        # ---- notifications (chalicelib/notify): the queue's consumer, every channel ----
        Function("notify_consumer", timeout=c.NOTIFY_HANDLER_TIMEOUT_SECONDS, grants=(
            ConsumeQueue("notify"),
            TableItems("reports", ("dynamodb:UpdateItem", "dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem"),
                       (f"{c.PK_NOTIFICATION_PREFIX}*",)),  # PutItem: an email recipient sent (RECIPIENT#...)
            *_SIGNS_UNSUBSCRIBE_LINKS,  # alert emails as report emails
            SendEmail(),
            PublishTo("alerts"),  # operator alerts
            PublishTo("client_alerts"),
            ReadSecrets(),  # webhook URLs, under the stage's prefix only
        )),
    ),
)

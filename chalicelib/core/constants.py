"""Names that the Lambda code, the deploy tooling (infra/) and the local runtime (local/) all use.

Dependency-free on purpose (typing only): deploy tooling and tests import it without pulling in
boto3, pydantic or Powertools. A name lives here once; everything else imports it.
"""

from __future__ import annotations

from typing import Literal, get_args

APP_NAME = "cost-reporter"
SERVICE_NAME = APP_NAME  # Powertools service name (logs, EMF `service` dimension)
METRIC_NAMESPACE = "CostReporter"  # EMF namespace of the pipeline's own metrics

ReportType = Literal["daily", "weekly", "monthly"]
REPORT_TYPES: tuple[str, ...] = get_args(ReportType)

# ---- DynamoDB: the project table's partition keys (pk) --------------------------------------------
PK_CLIENTS = "CLIENTS"  # sk: client_id -> a client config as written
PK_DELIVERY_PREFIX = "DELIVERY#"  # DELIVERY#<client_id> / <type>#<period start> -> the delivery ledger
PK_RUN_PREFIX = "RUN#"  # RUN#<run_id> / META | CLIENT#<client_id> -> a run and its per-client records
SK_RUN_META = "META"
SK_CLIENT_PREFIX = "CLIENT#"
PK_RUNS = "RUNS"  # RUNS / <started_at>#<run_id> -> run history
PK_IDEMPOTENCY_DELIVER = "idempotency#deliver"  # Powertools idempotency records of the deliver stage
TTL_ATTRIBUTE = "expiration"  # the table's TTL attribute (Powertools idempotency expiry)

# ---- S3: the reports bucket's key prefixes --------------------------------------------------------
RUNS_PREFIX = "runs/"  # runs/<run_id>/<client_id>/<artefact>; expires after RUNS_EXPIRY_DAYS (on demand: ON_DEMAND_EXPIRY_DAYS)
RUNS_EXPIRY_DAYS = 30
ELIGIBLE_IDS_OBJECT = "eligible.json"  # runs/<run_id>/eligible.json: the Distributed Map's items (ItemReader)
MAP_RESULTS_PREFIX = "map-results/"  # runs/map-results/<map run id>/: its ResultWriter (set in the ASL)

# ---- Cost Explorer through a client's payer role ----------------------------------------------------
ROLE_SESSION_PREFIX = "cost-report-"  # RoleSessionName = ROLE_SESSION_PREFIX + client_id (IAM condition)
CE_REGION = "us-east-1"  # Cost Explorer has one endpoint

# ---- Environment variables the functions read (chalicelib/core/settings.py) -------------------------
ENV_TABLE_NAME = "TABLE_NAME"
ENV_BUCKET_NAME = "BUCKET_NAME"
ENV_STATE_MACHINE_ARN = "STATE_MACHINE_ARN"
ENV_ALERT_TOPIC_ARN = "ALERT_TOPIC_ARN"
ENV_SENDER_EMAIL = "SENDER_EMAIL"
# Where clients without their own `cost_source` read costs: "cost_explorer" or an export's name.
ENV_DEFAULT_COST_SOURCE = "DEFAULT_COST_SOURCE"
COST_EXPLORER_SOURCE = "cost_explorer"
ENV_SES_CONFIGURATION_SET = "SES_CONFIGURATION_SET"
ENV_MAX_CONCURRENCY = "MAX_CONCURRENCY"
ENV_IDEMPOTENCY_DAYS = "IDEMPOTENCY_DAYS"
ENV_SECRETS_PREFIX = "SECRETS_PREFIX"
ENV_STAGE = "APP_STAGE"  # the deployment stage (set on every function, and while chalice deploys)

# ---- Secrets Manager: webhook URLs, API keys (never in configs or logs) ------------------------------
SECRETS_PREFIX_TEMPLATE = APP_NAME + "/{stage}/"  # a stage's secrets are named <app>/<stage>/<name>


# ---- SQS: queue names (infra/description.py declares the queues) ----------------------------------
def queue_name(key: str, stage: str | None = None) -> str:
    """The queue `key` of a stage: `<app>-<stage>-<key>`. A handler names its queue with it at import
    time (`@bp.on_sqs_message(queue=queue_name("metrics"))`): the stage then comes from APP_STAGE,
    which deploy.py sets while `chalice deploy` imports the app and every function has at run time."""
    import os

    return f"{APP_NAME}-{stage or os.environ.get(ENV_STAGE) or 'local'}-{key.replace('_', '-')}"

# ---- Who may be read and who may send -----------------------------------------------------------------
# A client's payer role must be named CostReporter... (docs/DEPLOY.md): collect_costs may assume no other role.
PAYER_ROLE_NAME_PREFIX = "CostReporter"
# Per-client sender/reply_to must be in one of these domains (comma-separated); default: SENDER_EMAIL's domain.
ENV_ALLOWED_SENDER_DOMAINS = "ALLOWED_SENDER_DOMAINS"
EXTERNAL_ID_MIN_LENGTH = 16  # a guessable ExternalId defeats its purpose (confused-deputy protection)

# ---- Run metrics and period summaries (item layout in chalicelib/metrics/store.py) -------------------
DEPLOYMENT_TENANT = "*"  # the tenant that stands for the whole deployment (client ids never contain "*")
PK_METRICS_PREFIX = "METRICS#"  # METRICS#<tenant> / DAY#<YYYY-MM-DD> -> a day bucket (counters, histograms)
PK_METRIC_EVENT_PREFIX = "METRICS#EVENT#"  # METRICS#EVENT#<event id> / EVENT -> an applied metric event
PK_METRIC_TENANTS = "METRICS#TENANTS"  # METRICS#TENANTS / <tenant> -> every tenant that has summaries
PK_SUMMARY_PREFIX = "SUMMARY#"  # SUMMARY#<tenant> / <period type>#<period start> -> a period summary
PK_IDEMPOTENCY_PUBLISH_SUMMARIES = "idempotency#publish_summaries"  # Powertools idempotency of the summary message
PK_AGGREGATION_PREFIX = "AGGREGATION#"  # AGGREGATION#<run_id> / TENANT#<tenant> -> a tenant's aggregation outcome
# METRICS#ACTIVE#<YYYY-MM>#<shard> / <day>#<client>#<event digest> -> an applied client outcome
PK_METRIC_ACTIVE_PREFIX = "METRICS#ACTIVE#"
# The deployment's day bucket and the month's active markers are spread over this many keys (no hot key).
METRIC_SHARDS = 16
# metrics/aggregations/<run_id>/tenants.json: the aggregation Map's items (ItemReader); map-results/: its ResultWriter
AGGREGATIONS_PREFIX = "metrics/aggregations/"
AGGREGATION_TENANTS_OBJECT = "tenants.json"
# Tenants per child execution of the aggregation Map (the plan writes them as batches): one child,
# one Lambda and one write stream per batch instead of per tenant; 200 tenants aggregate in a few
# seconds, far within the stage's timeout, and their ids stay far below a state's 256 KB.
AGGREGATION_BATCH_TENANTS = 200
METRIC_EVENT_RETENTION_DAYS = 90  # applied event ids are kept this long (SQS keeps a message 14 days at most)
ENV_METRICS_QUEUE_URL = "METRICS_QUEUE_URL"
ENV_SUMMARY_TOPIC_ARN = "SUMMARY_TOPIC_ARN"
ENV_AGGREGATION_STATE_MACHINE_ARN = "AGGREGATION_STATE_MACHINE_ARN"
METRICS_QUEUE = "metrics"  # the queue's key in infra/description.py; its name is queue_name(METRICS_QUEUE)
METRICS_BATCH_SIZE = 10
# ---- Market-signal scrapers (chalicelib/scraping) ---------------------------------------------------
ScraperName = Literal["bond-issuance", "bdc-discount", "credit-fund", "bank-provision"]
SCRAPER_NAMES: tuple[str, ...] = get_args(ScraperName)
PK_SCRAPE_PREFIX = "SCRAPE#"  # SCRAPE#<scraper>#<as_of> / PLAN | CHUNK#<n> | RESULT | ALERT#<rule> | METRIC
PK_RATE_LIMIT_PREFIX = "RATELIMIT#"  # RATELIMIT#<source> / BUCKET -> the next free request slot (ms)
SCRAPE_METRIC_NAMESPACE = "MarketSignals"
ENV_SCRAPE_STATE_MACHINE_ARN = "SCRAPE_STATE_MACHINE_ARN"
ENV_SCRAPE_ALERT_TOPIC_ARN = "SCRAPE_ALERT_TOPIC_ARN"
ENV_SCRAPE_CRITICAL_TOPIC_ARN = "SCRAPE_CRITICAL_TOPIC_ARN"
ENV_SEC_USER_AGENT = "SEC_USER_AGENT"  # "Company contact@domain": SEC fair access; scrapers refuse to run without
COSTS_ARTEFACT = "costs.json"  # runs/<run>/<client>/costs.json: what collect_costs writes for render (dataset, context)
COST_SOURCE_ARTEFACT = "costs-source.json"  # runs/<run>/<client>/costs-source.json: the client's ClientCosts slice
ON_DEMAND_RUN_PREFIX = "on-demand-"  # run id of report_pdf's renders: runs/on-demand-<time>-<id>/...
ORGANIZATIONS_CACHE = "organizations"  # runs/<run>/organizations/<payer account>.json: names, once per run

# ---- Budgets and notifications ----------------------------------------------------------------------
PK_BUDGET_PREFIX = "BUDGET#"  # BUDGET#<client_id> / <budget key>#<period start>#<threshold key> -> a crossing, once
PK_NOTIFICATION_PREFIX = "NOTIFY#"  # NOTIFY#<notification id> / META | CHANNEL#<channel> -> queued/sent/failed
PK_BUDGET_RUN_PREFIX = "BUDGETRUN#"  # BUDGETRUN#<run_id> / CLIENT#<client_id> -> one client's check outcome
NOTIFY_MAX_RECEIVES = 5  # the notification queue's redrive policy: the 5th failed receive moves it to the DLQ
NOTIFY_HANDLER_TIMEOUT_SECONDS = 60  # the SQS consumer's Lambda timeout
NOTIFY_VISIBILITY_TIMEOUT_SECONDS = 6 * NOTIFY_HANDLER_TIMEOUT_SECONDS  # AWS: at least 6x the function timeout
NOTIFY_BATCH_SIZE = 10
OPERATOR_CLIENT_ID = "_operator"  # the pseudo client of operator alerts (run failures)
WEBHOOK_USER_AGENT = f"{APP_NAME}-notify/1.0 (+https://github.com/cost-reporter)"
WEBHOOK_TIMEOUT_SECONDS = 10.0  # default of the WEBHOOK_TIMEOUT_SECONDS setting: one post's total deadline
# The setting's upper bound. The consumer starts a post only with this much time left (plus a margin
# for the ledger write), so no allowed timeout can outlive the function.
WEBHOOK_TIMEOUT_MAX_SECONDS = 30.0
ENV_NOTIFY_QUEUE_URL = "NOTIFY_QUEUE_URL"
ENV_BUDGET_STATE_MACHINE_ARN = "BUDGET_STATE_MACHINE_ARN"
ENV_WEBHOOK_TIMEOUT_SECONDS = "WEBHOOK_TIMEOUT_SECONDS"

# ---- Retention (docs/operations.md#retention: what is kept, how long, why) ------------------------
# Days a run's records (RUN#, RUNS, BUDGETRUN#, AGGREGATION#) are kept: per stage (infra/stages.json run_record_days).
ENV_RUN_RECORD_DAYS = "RUN_RECORD_DAYS"
# A run's records outlive anything that can still write or read them: Step Functions redrives an
# execution up to 14 days after it ended, so a stage keeps them at least a day longer than that.
MIN_RUN_RECORD_DAYS = 15
ON_DEMAND_EXPIRY_DAYS = 7  # runs/on-demand-*: reports on demand (their link is presigned for an hour)

# ---- A stage's own KMS key (optional; infra/stages.json kms_key_arn) ----------------------------------
ENV_KMS_KEY_ARN = "KMS_KEY_ARN"  # set when the stage has one: every object written is SSE-KMS under it
ENV_BRANDING = "BRANDING"  # the stage's white-label look as JSON (chalicelib/core/branding.py); unset: the default look
# ---- billing exports read through Athena (chalicelib/costs/export) ------------------------------------
# The stage's exports, as JSON (a list of chalicelib.costs.export.declarations.ExportDeclaration).
ENV_COST_EXPORTS = "COST_EXPORTS"
# runs/<run>/export-accounts/accounts.csv: the accounts of the run's export clients, one a line: the
# run-accounts table (partition projection on run_id) a run's export query joins.
EXPORT_ACCOUNTS_FOLDER = "export-accounts"
EXPORT_ACCOUNTS_OBJECT = "accounts.csv"

EXPORT_ACCOUNT_ID_MAX_LENGTH = 256  # an export's SubAccountId as written (Azure /subscriptions/<guid>, OCIDs)
EXPORT_PLAN_OBJECT = "export-plan.json"  # runs/<run>/export-plan.json: the run's export clients by export
EXPORT_QUERIES_FOLDER = "export-queries"  # runs/<run>/export-queries/<export>.json: a started query's snapshots
COST_SOURCE_REFUSAL = "costs-source-refused.json"  # runs/<run>/<client>/...: why the client has no slice
ENV_EXPORT_POLL_SECONDS = "EXPORT_POLL_SECONDS"  # the report machine's wait between checks of its queries
EXPORT_MAX_CHECKS = 180  # checks of a run's export queries before the run gives up on them (ASL Choice)
ATHENA_RESULTS_PREFIX = "athena-results/"  # the stage bucket's prefix for Athena's result files (unless declared)
RUN_ACCOUNTS_TABLE = "run_accounts"  # the Glue table over runs/<run>/export-accounts/ (projection on run_id)

# ---- One-click unsubscribe (RFC 8058; chalicelib/core/subscriptions.py, chalicelib/subscriptions) -----
PK_UNSUBSCRIBE_PREFIX = "UNSUB#"  # UNSUB#<client_id> / <normalised address> -> a suppression (when, how)
# The HMAC key(s) of unsubscribe tokens, under the stage's secrets prefix: JSON
# {"current": "<key id>", "<key id>": "<random, at least 32 characters>", ...} (rotation: docs/clients.md).
UNSUBSCRIBE_KEY_SECRET = "unsubscribe-key"
UNSUBSCRIBE_ROUTE = "/unsubscribe"  # the Chalice route (chalicelib/subscriptions/blueprint.py)
UNSUBSCRIBE_TOKEN_PARAMETER = "token"  # <base url>/unsubscribe?token=<token>
# The route's public base URL (https://..., the API's stage URL or a custom domain): per stage, infra/stages.json.
ENV_UNSUBSCRIBE_BASE_URL = "UNSUBSCRIBE_BASE_URL"
HEADER_LIST_UNSUBSCRIBE = "List-Unsubscribe"
HEADER_LIST_UNSUBSCRIBE_POST = "List-Unsubscribe-Post"
LIST_UNSUBSCRIBE_ONE_CLICK = "List-Unsubscribe=One-Click"  # RFC 8058: the POST body and the -Post header's value
API_HANDLER = "api_handler"  # Chalice's one function for every route (deployed as <app>-<stage>, logical id APIHandler)

"""scrape_publish: each alert once per job and rule, then the headline metric, also once per job."""

from __future__ import annotations

from chalicelib.core import aws
from chalicelib.core.constants import SCRAPE_METRIC_NAMESPACE, SERVICE_NAME
from chalicelib.core.errors import ConfigurationError, classify_aws_error
from chalicelib.scraping.contracts import EvaluateResult, JobRef, PublishResult
from chalicelib.scraping.store import JobStore


def publish_alerts(request: EvaluateResult) -> PublishResult:
    """Each alert once per job and rule (a ledger entry claimed before the SNS publish), to the critical or the
    normal topic; then the headline metric, also once per job."""
    from chalicelib.scraping.settings import get_scraping_settings

    job = request.job
    settings = get_scraping_settings()
    store = JobStore(job.job_id)
    published, already = [], []
    for alert in request.alerts:
        sk = f"ALERT#{alert.rule}"
        if not store.claim(sk, job.execution_name):
            entry = store.ledger(sk) or {}
            if entry.get("status") == "done":
                already.append(alert.rule)
                continue
            # claimed by an attempt that died before completing it: publish now (the one window: SNS accepted
            # the message and the Lambda died before the ledger write; then the alert goes out twice)
        topic = settings.critical_topic_arn if alert.severity == "critical" else settings.alert_topic_arn
        if not topic:
            raise ConfigurationError(f"no SNS topic configured for {alert.severity} alerts "
                                     "(SCRAPE_CRITICAL_TOPIC_ARN / SCRAPE_ALERT_TOPIC_ARN)")
        try:
            reply = aws.client("sns").publish(
                TopicArn=topic,
                Subject=f"[{alert.severity}] {job.scraper} {job.as_of.isoformat()}",  # fixed words only: no scraped text
                Message=f"{alert.title}\n\n{alert.message}\n\nvalue {alert.value:g}, threshold {alert.threshold:g}\n"
                        f"job {job.job_id}, execution {job.execution_name}",
                MessageAttributes={"scraper": {"DataType": "String", "StringValue": job.scraper},
                                   "severity": {"DataType": "String", "StringValue": alert.severity}},
            )
        except Exception as exc:
            raise classify_aws_error(exc, "SNS publish alert") from exc
        store.complete(sk, message_id=reply["MessageId"], severity=alert.severity)
        published.append(alert.rule)
    recorded = store.claim("METRIC", job.execution_name)
    if recorded:
        _record_metric(job, request)
        store.complete("METRIC")
    return PublishResult(job=job, published=published, already_published=already, metric_recorded=recorded)


def _record_metric(job: JobRef, request: EvaluateResult) -> None:
    """The headline figures as EMF metrics (namespace MarketSignals, dimension Scraper)."""
    from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

    metrics = EphemeralMetrics(namespace=SCRAPE_METRIC_NAMESPACE, service=SERVICE_NAME)
    metrics.add_dimension(name="Scraper", value=job.scraper)
    for name, value in request.headline.items():
        if value is not None:
            metrics.add_metric(name=name, unit=MetricUnit.Count if name.endswith("count") else MetricUnit.NoUnit,
                               value=float(value))
    metrics.add_metric(name="alerts", unit=MetricUnit.Count, value=len(request.alerts))
    metrics.flush_metrics()

"""EMF metrics (Powertools Metrics): CloudWatch extracts them from the function's log output.

Namespace METRIC_NAMESPACE, dimension ReportType. EphemeralMetrics keeps no global state, so
concurrent Map branches in one local process never mix their metrics.
"""

from __future__ import annotations

from chalicelib.core.constants import METRIC_NAMESPACE, SERVICE_NAME


def publish(report_type: str, **counts: float) -> None:
    """publish("weekly", EmailsSent=1) prints one EMF document with each count."""
    from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

    metrics = EphemeralMetrics(namespace=METRIC_NAMESPACE, service=SERVICE_NAME)
    metrics.add_dimension(name="ReportType", value=report_type)
    for name, value in counts.items():
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
    metrics.flush_metrics()

"""report_pdf: a report for any past period, on demand, invoked synchronously.

    {"client_id": "acme-retail", "report_type": "weekly", "as_of": "2026-11-23"}
 -> {"report_key": "runs/on-demand-.../acme-retail/report.pdf", "report_url": <presigned GET, 1 hour>}

The same code path as a scheduled run (the config loader with every cross-client rule, collect's
cost dataset and figures, the analysis, the one ReportView, the PDF writer), without sending anything.
`as_of` is refused later than tomorrow (UTC), as for a run. `format` ("pdf" by default, "xlsx", "html")
lets `python -m local report` ask for the other renderings. The object is stored encrypted (SSE)
under the runs/ prefix, so it expires with the run artefacts.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from chalicelib.core.caches import register
from chalicelib.core.clients import load_client
from chalicelib.core.constants import ON_DEMAND_RUN_PREFIX
from chalicelib.core.errors import classify_aws_error
from chalicelib.core.periods import report_granularity, report_periods
from chalicelib.core.settings import get_settings
from chalicelib.reports import store
from chalicelib.reports.contracts import OnDemandReportInput, OnDemandReportResult, RunContext
from chalicelib.reports.costs.analysis import analyze
from chalicelib.reports.costs.context import ReportContext
from chalicelib.reports.costs.insights import build_insights
from chalicelib.reports.costs.reading import read_report

URL_EXPIRY_SECONDS = 3600
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html; charset=utf-8",
}


def report_pdf(request: OnDemandReportInput) -> OnDemandReportResult:
    now = datetime.now(UTC)
    current, previous = report_periods(request.report_type, request.as_of)  # as_of: an AsOfDate, periods fit
    run = RunContext(run_id=f"{ON_DEMAND_RUN_PREFIX}{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}", report_type=request.report_type,
                     as_of=request.as_of, current=current, previous=previous, client_id=request.client_id,
                     started_at=now)
    # No run planned this client: every config is read and every cross-client rule applied (a client
    # listing another's account gets a ConfigurationError here, as the scheduled run records).
    config = load_client(request.client_id)
    # The same dataset and figures as a scheduled run's (an export client runs its own query).
    inputs = read_report(config, run, in_run=False, with_empty=True)
    report = analyze(inputs.dataset)
    insights = build_insights(report, inputs.context or empty_context(run), config.change_alert, config.budget_for("monthly"))
    body = render_one(report, insights, request.format, list(config.attachments))
    key = store.put_bytes(store.artefact_key(run.run_id, request.client_id, f"report.{request.format}"), body,
                          CONTENT_TYPES[request.format])
    bucket = get_settings().bucket_name
    try:
        url = presigning_client().generate_presigned_url(
            "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=URL_EXPIRY_SECONDS)
    except Exception as exc:
        raise classify_aws_error(exc, f"presign s3://{bucket}/{key}") from exc
    return OnDemandReportResult(report_key=key, report_url=url, ce_requests=inputs.ce_requests)


def empty_context(run: RunContext) -> ReportContext:
    return ReportContext(granularity=report_granularity(run.report_type), as_of=run.as_of)


@lru_cache(maxsize=1)
def presigning_client() -> Any:
    """SigV4 presigned URLs (boto3 still signs S3 URLs with SigV2 in us-east-1 unless told)."""
    import boto3
    from botocore.config import Config

    return boto3.client("s3", config=Config(signature_version="s3v4"))


register(presigning_client.cache_clear)  # a reset forgets the client; registering the function itself built one


def render_one(report: Any, insights: Any, fmt: str, attachments: list[str]) -> bytes:
    """Only the asked-for writer is imported (ReportLab, XlsxWriter or jinja2, never two)."""
    from chalicelib.reports.rendering.view import build_view

    view = build_view(report, insights, attachments)
    if fmt == "pdf":
        from chalicelib.reports.rendering.pdf import build_pdf

        return build_pdf(view)
    if fmt == "xlsx":
        from chalicelib.reports.rendering.xlsx import build_xlsx

        return build_xlsx(view)
    from chalicelib.reports.rendering.html import render_html
    from chalicelib.reports.rendering.subject import build_subject

    return render_html(view, build_subject(report)).encode("utf-8")

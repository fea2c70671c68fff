"""Starting a scraper job: from its schedule (a deterministic execution name per scraper and period, so a
repeated EventBridge delivery or Lambda retry never starts a second run) or by a direct invoke.

The direct invoke `{"source": "manual", "detail": {"test": true}}` is a dry run: the job runs with no alert
published and the trigger waits for it and returns the results. `{"source": "manual", "detail": {}}` starts
a real run. `detail.as_of` (YYYY-MM-DD) picks the period. Every answer has the structured shape
`{"statusCode", "body": {"success", "error", "error_type", "execution_id", "timestamp", ...}}`, the status
mapped from the error taxonomy.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, date, datetime
from typing import Any

from pydantic import StrictBool, ValidationError

from chalicelib.core.errors import (
    ERROR_CLASSES,
    AuthorizationError,
    BusinessLogicError,
    ConfigurationError,
    CostReportError,
    DataValidationError,
    NetworkError,
    ServiceUnavailableError,
    ThrottlingError,
)
from chalicelib.core.models import IsoDate, StrictModel
from chalicelib.core.periods import parse_timestamp

STATUS_BY_ERROR: dict[type[CostReportError], int] = {
    DataValidationError: 400,  # the event or the execution input is invalid
    AuthorizationError: 403,  # not allowed to start the state machine (IAM)
    ConfigurationError: 404,  # the state machine, a topic or the scraper named is not there
    NetworkError: 408,  # timed out (a dry run still running when the trigger must answer)
    BusinessLogicError: 500,
    ThrottlingError: 503,
    ServiceUnavailableError: 503,
}
DRY_RUN_POLL_SECONDS = 1.0
ANSWER_MARGIN_MS = 3000  # the trigger answers this long before its own timeout


class ManualDetail(StrictModel):
    test: StrictBool = False  # a dry run (a JSON boolean: "yes" is refused)
    as_of: IsoDate | None = None


def scheduled_execution_name(scraper: str, as_of: date) -> str:
    return f"scheduled-{scraper}-{as_of.isoformat()}"


def handle(scraper: str, event: Any, context: Any = None) -> dict[str, Any]:
    """The trigger of one scraper: start (and for a dry run, wait for) an execution; answer in the structured shape."""
    from chalicelib.core.observability import logger

    scheduled = getattr(event, "source", "") == "aws.events"
    execution_name = None
    try:
        run_input, execution_name = _execution_for(scraper, event, scheduled)
        execution_arn, started = _start(run_input, execution_name)
        if not run_input["dry_run"]:
            return _answer(200, execution_name, started=started)
        return _answer(200, execution_name, result=_wait_for(execution_arn, context))
    except CostReportError as exc:
        logger().warning("trigger failed", extra={"scraper": scraper, "error": type(exc).__name__, "detail": str(exc)[:500]})
        if scheduled and isinstance(exc, (ThrottlingError, ServiceUnavailableError, NetworkError)):
            raise  # a scheduled (asynchronous) invoke is retried by Lambda; the name keeps it to one execution
        return _answer(STATUS_BY_ERROR.get(type(exc), 500), execution_name, error=exc)
    except Exception as exc:  # a direct invoke always gets the structured answer
        logger().exception("trigger crashed")
        if scheduled:
            raise
        return _answer(500, execution_name, error=exc)


def _execution_for(scraper: str, event: Any, scheduled: bool) -> tuple[dict[str, Any], str]:
    from chalicelib.core.constants import SCRAPER_NAMES

    if scraper not in SCRAPER_NAMES:
        raise ConfigurationError(f"unknown scraper {scraper!r}")
    stamp = datetime.now(UTC)
    if scheduled:
        fired = parse_timestamp(getattr(event, "time", "")) or stamp
        execution_input = {"scraper": scraper, "as_of": fired.date().isoformat(), "dry_run": False}
        return execution_input, scheduled_execution_name(scraper, fired.date())
    if getattr(event, "source", "") != "manual":
        raise DataValidationError(f"source: expected 'aws.events' (schedule) or 'manual', got {getattr(event, 'source', '')!r}")
    try:
        detail = ManualDetail.model_validate(getattr(event, "detail", None) or {})
    except ValidationError as exc:
        from chalicelib.core.models import describe_validation_error

        raise DataValidationError(f"manual event: {describe_validation_error(exc, 'detail')}") from exc
    as_of = detail.as_of or stamp.date()
    kind = "dryrun" if detail.test else "manual"
    name = f"{kind}-{scraper}-{as_of.isoformat()}-{stamp.strftime('%H%M%S%f')}"
    return {"scraper": scraper, "as_of": as_of.isoformat(), "dry_run": detail.test}, name


def _start(run_input: dict[str, Any], name: str) -> tuple[str, bool]:
    """(execution ARN, started now); an execution of that name already there is the same run, not an error."""
    from chalicelib.core.constants import ENV_SCRAPE_STATE_MACHINE_ARN
    from chalicelib.core.executions import start_named_execution
    from chalicelib.scraping.settings import get_scraping_settings

    return start_named_execution(get_scraping_settings().state_machine_arn, name, run_input,
                                 arn_variable=ENV_SCRAPE_STATE_MACHINE_ARN)


def _wait_for(execution_arn: str, context: Any) -> dict[str, Any]:
    """The dry run's output plus the results table; NetworkError (408) when it outlasts this invocation."""
    from chalicelib.core import aws
    from chalicelib.scraping.store import JobStore

    sfn = aws.client("stepfunctions")
    while True:
        described = sfn.describe_execution(executionArn=execution_arn)
        if described["status"] != "RUNNING":
            break
        remaining = context.get_remaining_time_in_millis() if context else 60_000
        if remaining < ANSWER_MARGIN_MS + DRY_RUN_POLL_SECONDS * 1000:
            raise NetworkError(f"dry run {execution_arn.rsplit(':', 1)[-1]} still running when the trigger had to "
                               "answer; its output will be in the execution history")
        time.sleep(DRY_RUN_POLL_SECONDS)
    if described["status"] != "SUCCEEDED":
        error = described.get("error") or described["status"]
        cls = ERROR_CLASSES.get(error, BusinessLogicError)
        raise cls(f"dry run {described['status']}: {error}: {described.get('cause', '')[:500]}")
    output = json.loads(described.get("output") or "{}")
    summary = JobStore(output["job"]["job_id"]).result()
    return {**output, "rows": summary.rows if summary else []}


def _answer(status: int, execution_name: str | None, *, error: BaseException | None = None,
            started: bool | None = None, result: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "success": error is None,
        "error": None if error is None else str(error)[:1000],
        "error_type": None if error is None else type(error).__name__,
        "execution_id": execution_name,
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    if started is not None:
        body["started"] = started  # False: this period's execution had already run (a repeated trigger)
    if result is not None:
        body["result"] = result
    return {"statusCode": status, "body": body}

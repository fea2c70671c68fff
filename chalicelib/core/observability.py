"""Structured JSON logs (Powertools Logger) and the one way a Lambda runs a stage (`run_stage`)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, lru_cache
from importlib import import_module
from typing import Any

from chalicelib.core.constants import SERVICE_NAME


@lru_cache(maxsize=1)
def logger() -> Any:
    from aws_lambda_powertools import Logger

    return Logger(service=SERVICE_NAME)


def mask_address(address: str) -> str:
    """Logs never hold full recipient addresses: `f***@acme.example`."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


@cache
def load_stage(target: str) -> Callable[..., Any]:
    """`"package.module:function"` -> the function (imported on first use: cold starts stay small)."""
    module, _, name = target.partition(":")
    return getattr(import_module(module), name)


@cache
def stage_contract(stage: Callable[..., Any]) -> tuple[Any, Any, bool]:
    """(input model, result model, takes the Lambda context) from the stage's signature."""
    import inspect  # here, not at the top: `import app` (every cold start) stays small
    from typing import get_type_hints

    hints = get_type_hints(stage)
    params = list(inspect.signature(stage).parameters)
    return hints[params[0]], hints.get("return"), len(params) > 1


def run_stage(target: str | Callable[..., Any], event: Any, context: Any = None) -> Any:
    """Parse the event into the stage's input model, call it, dump its result model to JSON.

    The run and client ids become log correlation keys. A payload that does not match the input
    model is a DataValidationError naming each field (the ASL catches it like any stage error).
    """
    from pydantic import BaseModel, ValidationError

    from chalicelib.core.errors import CostReportError, DataValidationError
    from chalicelib.core.models import describe_validation_error

    stage = load_stage(target) if isinstance(target, str) else target
    input_model, _, takes_context = stage_contract(stage)
    log = logger()
    run = event.get("run") if isinstance(event, dict) else None
    # thread-safe keys: local runs execute Map branches on threads of one process
    log.thread_safe_clear_keys()
    log.thread_safe_append_keys(
        stage=stage.__name__,
        run_id=(run.get("run_id") if isinstance(run, dict) else None)
        or (event.get("execution_name") if isinstance(event, dict) else None),
        client_id=event.get("client_id") if isinstance(event, dict) else None,
    )
    try:
        try:
            payload = input_model.model_validate(event)
        except ValidationError as exc:
            raise DataValidationError(f"{stage.__name__}: invalid stage input: {describe_validation_error(exc)}") from exc
        result = stage(payload, context) if takes_context else stage(payload)
    except CostReportError as exc:
        log.warning("stage failed", extra={"error": type(exc).__name__, "category": exc.category, "detail": str(exc)[:500]})
        raise
    except Exception as exc:
        if not _is_retried_by_the_asl(exc):
            log.exception("stage crashed")
            raise
        log.warning("stage failed", extra={"error": type(exc).__name__, "category": "retry", "detail": str(exc)[:500]})
        raise
    return result.model_dump(mode="json", by_alias=True) if isinstance(result, BaseModel) else result


def _is_retried_by_the_asl(exc: Exception) -> bool:
    """Errors the ASL retries by class name that are not taxonomy errors (Powertools idempotency)."""
    from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyAlreadyInProgressError

    return isinstance(exc, IdempotencyAlreadyInProgressError)

"""Structured JSON logs (Powertools Logger) with the run and client as correlation keys."""

from __future__ import annotations

from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def logger() -> Any:
    from aws_lambda_powertools import Logger

    return Logger(service="cost-reporter")


def mask_address(address: str) -> str:
    """Logs never hold full recipient addresses: `f***@acme.example`."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


def run_stage(stage: Any, event: dict[str, Any], *args: Any) -> Any:
    """Call a stage with the execution name and client id as log correlation keys."""
    from .errors import CostReportError

    log = logger()
    run = event.get("run") if isinstance(event, dict) else None
    # thread-safe keys: local runs execute Map branches on threads of one process
    log.thread_safe_clear_keys()
    log.thread_safe_append_keys(
        stage=getattr(stage, "__name__", "stage"),
        run_id=(run or {}).get("run_id") or (event.get("execution_name") if isinstance(event, dict) else None),
        client_id=event.get("client_id") if isinstance(event, dict) else None,
    )
    try:
        return stage(event, *args)
    except Exception as exc:
        if not isinstance(exc, CostReportError) and type(exc).__name__ != "IdempotencyAlreadyInProgressError":
            log.exception("stage crashed")
            raise
        log.warning("stage failed", extra={"error": type(exc).__name__, "category": getattr(exc, "category", "retry"),
                                           "detail": str(exc)[:500]})
        raise

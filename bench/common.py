"""What the pipeline benchmarks share: a quiet in-process local AWS and one timed execution."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any


def quiet_local_aws(out: str | Path, costs: Any, clients: list[Any], concurrency: int) -> Any:
    """LocalAWS with retry sleeps scaled to 1 % and only errors logged (log lines cost time too)."""
    from local.aws.runtime import LocalAWS

    return LocalAWS(out_dir=Path(out), costs=costs, clients=clients, retry_time_scale=0.01, max_concurrency=concurrency,
                    env_overrides={"POWERTOOLS_LOG_LEVEL": "ERROR"})


def timed_execution(aws: Any, execution_arn: str) -> tuple[dict[str, Any], float, float]:
    """(described execution, wall seconds, process CPU seconds) from the start until it ends."""
    started, cpu_started = time.perf_counter(), time.process_time()
    described = aws.wait(execution_arn, timeout=3600, poll=1.0)
    return described, time.perf_counter() - started, time.process_time() - cpu_started

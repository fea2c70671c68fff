"""What every subsystem's blueprint does the same way: one Lambda function per stage."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalicelib.core.observability import run_stage


def stage_function(bp: Any, stages: dict[str, str], name: str, target: str) -> Callable[..., Any]:
    """Lambda function `name` on `bp`, running the stage `target` ("module:function") through
    run_stage (typed in, JSON out); recorded in `stages`, which the ASL contract test reads."""
    stages[name] = target

    def handler(event: Any, context: Any) -> Any:
        return run_stage(target, event, context)

    # Chalice's handler string is "<blueprint module>.<name>": assign the result to that module attribute.
    handler.__name__ = handler.__qualname__ = name
    return bp.lambda_function(name=name)(handler)

"""The functions' ARN/URL variables (state machine ARNs, topic ARNs, queue URLs): they hold the
account id, which config.json cannot, and exist only once the resources do; set with
UpdateFunctionConfiguration after every `chalice deploy` (which resets variables to config.json's:
a schedule firing in those seconds fails and Lambda's async retry, a minute later, succeeds)."""

from __future__ import annotations

from typing import Any

from infra.kinds.base import Context


def runtime_variables(ctx: Context, function: str) -> dict[str, Any]:
    stage = ctx.stage
    full = stage.environment(function, ctx.naming)
    static = stage.environment(function)
    return {k: v for k, v in full.items() if k not in static}


def desired(ctx: Context, function: str) -> dict[str, str]:
    stage = ctx.stage
    return {**stage.stage_environment(), **stage.environment(function, ctx.naming)}


def ensure(ctx: Context) -> None:
    lam = ctx.client("lambda")
    for spec in ctx.stage.functions:
        variables = runtime_variables(ctx, spec.name)
        if not variables:
            continue  # config.json holds all of it
        name = ctx.stage.function_name(spec.name)
        wanted = desired(ctx, spec.name)
        actual = lam.get_function_configuration(FunctionName=name).get("Environment", {}).get("Variables", {})
        if actual == wanted:
            ctx.report.add(f"environment of {name}", "unchanged")
            continue
        lam.get_waiter("function_updated_v2").wait(FunctionName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 120})
        lam.update_function_configuration(FunctionName=name, Environment={"Variables": wanted})
        ctx.report.add(f"environment of {name}", "updated", ", ".join(sorted(variables)))

"""The project's code as infra/ reads it, and where the description disagrees with it.

- the Chalice app's Lambda functions with their event sources (read from app.py, not restated);
- the `${...}` placeholders of the ASL files under statemachines/;
- `app_problems`: every Lambda function of the app has a description entry, and every entry a
  function in the app; an SQS handler consumes exactly the queue its ConsumeQueue grant names, and a
  ConsumeQueue grant belongs to an SQS handler. `load_stage` refuses to resolve a stage while any is found.

The rules over a resolved stage (queue visibility timeouts, ASL placeholders) are in checks.py.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from chalicelib.core.constants import API_HANDLER
from infra.model import ConsumeQueue, Description, StateMachine, dashed

ROOT = Path(__file__).resolve().parent.parent
STATEMACHINES = ROOT / "statemachines"
PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")


@dataclass(frozen=True)
class AppFunction:
    """A Lambda function as the Chalice app defines it."""

    name: str
    kind: str  # "lambda" (pure: a state machine task), "schedule", "sqs" or "api" (the routes' handler)
    schedule: str | None = None  # the EventBridge expression of a schedule
    queue: str | None = None  # the queue name of an SQS handler
    batch_size: int | None = None


def app_functions(project_dir: Path = ROOT) -> list[AppFunction]:
    """Every Lambda function the Chalice app of `project_dir` defines, with its event source."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    if project_dir.resolve() == ROOT:
        app = importlib.import_module("app").app
    else:  # another project (a scratch copy): its own app.py, beside this repository's
        spec = importlib.util.spec_from_file_location(f"app_{abs(hash(str(project_dir)))}", project_dir / "app.py")
        module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
        spec.loader.exec_module(module)  # type: ignore[union-attr]
        app = module.app
    found = [AppFunction(f.name, "lambda") for f in app.pure_lambda_functions]
    if app.routes:  # every route runs in Chalice's one API handler function
        found.append(AppFunction(API_HANDLER, "api"))
    for source in app.event_sources:
        schedule = getattr(source, "schedule_expression", None)
        if schedule is not None:
            expression = schedule if isinstance(schedule, str) else schedule.to_string()
            found.append(AppFunction(source.name, "schedule", schedule=expression))
        elif hasattr(source, "batch_size") and (getattr(source, "queue", None) or getattr(source, "queue_arn", None)):
            queue = source.queue or str(source.queue_arn).rsplit(":", 1)[-1]
            found.append(AppFunction(source.name, "sqs", queue=queue, batch_size=source.batch_size))
        else:
            raise ValueError(f"{source.name}: only schedule and SQS event sources are described by infra/")
    return found


def asl_text(machine: StateMachine) -> str:
    return (STATEMACHINES / machine.asl_file).read_text()


def asl_placeholders(machine: StateMachine) -> list[str]:
    return sorted(set(PLACEHOLDER.findall(asl_text(machine))))


_APP_FUNCTIONS: dict[Path, list[AppFunction]] = {}


def cached_app_functions(project_dir: Path = ROOT) -> list[AppFunction]:
    key = project_dir.resolve()
    if key not in _APP_FUNCTIONS:
        _APP_FUNCTIONS[key] = app_functions(project_dir)
    return _APP_FUNCTIONS[key]


def app_problems(description: Description, app: Iterable[AppFunction]) -> list[str]:
    problems = []
    in_app = {f.name: f for f in app}
    described = {f.name: f for f in description.functions}
    for name in sorted(set(in_app) - set(described)):
        problems.append(f"app.py defines Lambda function {name!r} but infra/description.py has no entry for it: "
                        f"add Function({name!r}, timeout=..., grants=(...)) to DESCRIPTION.functions")
    for name in sorted(set(described) - set(in_app)):
        problems.append(f"infra/description.py describes function {name!r} but app.py defines no Lambda function "
                        "of that name (renamed? remove or rename the entry)")
    for name in sorted(set(in_app) & set(described)):
        source, function = in_app[name], described[name]
        consumed = [g.queue for g in function.grants if isinstance(g, ConsumeQueue)]
        if source.kind == "sqs":
            if len(consumed) != 1:
                problems.append(f"{name}: an SQS handler needs exactly one ConsumeQueue grant (it has {len(consumed)})")
            elif not str(source.queue).endswith("-" + dashed(consumed[0])):
                problems.append(f"{name}: handles queue {source.queue!r} but its grant is ConsumeQueue({consumed[0]!r}): "
                                f"name the queue with constants.queue_name({consumed[0]!r})")
        elif consumed:
            problems.append(f"{name}: ConsumeQueue({consumed[0]!r}) but the function is not an SQS handler in app.py")
    return problems

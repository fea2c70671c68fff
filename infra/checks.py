"""What must hold between the description, the Chalice app and the ASL files; `python -m infra
generate` refuses to write files while any fails, and the tests run it.

- every Lambda function of the app has a description entry, and every entry a function in the app;
- an SQS handler consumes exactly the queue its ConsumeQueue grant names, and a ConsumeQueue grant
  belongs to an SQS handler;
- a queue's visibility timeout is at least six times its consumer's timeout (AWS's advice: a batch
  still being processed must not reappear);
- every `${...}` of an ASL file is a function or resource of the description.
"""

from __future__ import annotations

from typing import Iterable

from infra.model import ConsumeQueue, Description, dashed
from infra.stage import AppFunction, Stage, asl_placeholders


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


def stage_problems(stage: Stage) -> list[str]:
    problems = []
    d = stage.description
    for queue in d.queues:
        for spec in stage.functions:
            if any(isinstance(g, ConsumeQueue) and g.queue == queue.key for g in d.function(spec.name).grants) \
                    and queue.visibility_timeout < 6 * spec.timeout:
                problems.append(f"stage {stage.name}: queue {queue.key!r} has a visibility timeout of "
                                f"{queue.visibility_timeout} s, less than 6 x the {spec.timeout} s timeout of its "
                                f"consumer {spec.name} (a batch in progress would be delivered again)")
    known = set(stage.placeholders(_Names(), {s.name: "" for s in stage.functions}))
    for machine in d.state_machines:
        for name in asl_placeholders(machine):
            if name not in known:
                problems.append(f"statemachines/{machine.asl_file}: ${{{name}}} is not a function or resource of "
                                f"infra/description.py (known: <Function>FunctionArn, <Resource>Name/Arn/Url)")
    return problems


class _Names:
    """A naming that renders nothing: only the placeholder names matter here."""

    def name(self, resource: object) -> str:
        return ""

    arn = name

    def url(self, queue: object) -> str:
        return ""

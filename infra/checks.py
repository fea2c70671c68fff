"""What must hold for a resolved stage; `python -m infra generate` refuses to write files while any
fails, and the tests run it.

- a queue's visibility timeout is at least six times its consumer's timeout (AWS's advice: a batch
  still being processed must not reappear);
- every `${...}` of an ASL file is a function or resource of the description.

What must hold between the description and the Chalice app (every function described, each SQS
handler consuming the queue its grant names) is checked while a stage is resolved: `app_problems`
in app_source.py.
"""

from __future__ import annotations

from infra.app_source import asl_placeholders
from infra.model import ConsumeQueue
from infra.stage import Stage


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

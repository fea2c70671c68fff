"""Count the history events moto's Step Functions engine emits, child executions included.

moto keeps a Distributed Map's child histories out of `GetExecutionHistory`, but every event still
goes through `EventManager.add_event`; counting there gives the state transitions a run is billed
for (Standard workflows bill each state entered, and each retry, as a transition).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any


class EngineEvents:
    def __init__(self) -> None:
        self.events: Counter[str] = Counter()
        self._lock = threading.Lock()

    def install(self) -> Callable[[], None]:
        from moto.stepfunctions.parser.asl.eval.event.event_manager import EventManager

        original = EventManager.add_event
        counter = self

        def add_event(manager: Any, context: Any, event_type: Any, *args: Any, **kwargs: Any) -> int:
            name = getattr(event_type, "value", str(event_type))
            with counter._lock:
                counter.events[name] += 1
            return original(manager, context, event_type, *args, **kwargs)

        EventManager.add_event = add_event  # type: ignore[method-assign]

        def restore() -> None:
            EventManager.add_event = original  # type: ignore[method-assign]

        return restore

    @property
    def states_entered(self) -> int:
        return sum(count for name, count in self.events.items() if name.endswith("StateEntered"))

    @property
    def task_retries(self) -> int:
        """Task attempts beyond the first: each Lambda task schedules once per attempt."""
        scheduled = self.events.get("LambdaFunctionScheduled", 0) + self.events.get("TaskScheduled", 0)
        return max(0, scheduled - self.events.get("TaskStateEntered", 0))

    @property
    def state_transitions(self) -> int:
        """What a Standard workflow bills: states entered plus retries, parent and children alike."""
        return self.states_entered + self.task_retries

    def reset(self) -> None:
        with self._lock:
            self.events.clear()

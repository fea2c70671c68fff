"""Check a state machine (ASL JSON) against the stages' pydantic contracts, without running it.

A symbolic walk: the JSON shape of the state is followed from StartAt along Next, Choices/Default,
Catch and into Map/Parallel branches, through InputPath, Parameters/ItemSelector (JSONPath,
context object and intrinsic functions), ResultSelector, ResultPath and OutputPath. Where a Task
invokes a Lambda function that runs a stage, the effective input must parse as the stage's input
model (required fields present, no unknown keys when the model forbids extras, each field's shape
compatible with its annotation), and the result the state stores is the stage's result model. So
a field renamed on either side is a finding, without running the state machine.

Shapes: `Obj` (an object with known keys, `open` when other keys may exist), `Arr`, `Leaf` (a
scalar annotation; `ANY` when unknown). Unknown inputs (a Distributed Map's ItemReader unless its
items' model is given, a non-Lambda service integration's result) are ANY: nothing is asserted
about them.
"""

from __future__ import annotations

import datetime as dt
import re
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Union

from pydantic import BaseModel

# ---- shapes ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Leaf:
    annotation: Any  # a Python type or typing construct; Any when unknown


@dataclass(frozen=True)
class Arr:
    item: Shape


@dataclass(frozen=True)
class Obj:
    fields: tuple[tuple[str, Shape], ...]
    open: bool = False
    model: type[BaseModel] | None = None  # the model it was derived from, for messages

    def get(self, key: str) -> Shape | None:
        return dict(self.fields).get(key)

    def with_field(self, key: str, value: Shape) -> Obj:
        items = dict(self.fields)
        items[key] = value
        return Obj(tuple(sorted(items.items())), self.open, None)


Shape = Leaf | Arr | Obj
ANY = Leaf(Any)
STR, INT, BOOL = Leaf(str), Leaf(int), Leaf(bool)
ERROR_OUTPUT = Obj((("Cause", STR), ("Error", STR)))  # what a Catch writes at its ResultPath


def _strip(annotation: Any) -> Any:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def _union_members(annotation: Any) -> tuple[Any, ...] | None:
    if typing.get_origin(annotation) in (Union, types.UnionType):
        return typing.get_args(annotation)
    return None


def _field_key(name: str, info: Any) -> str:
    return info.alias or name


def model_shape(model: type[BaseModel]) -> Obj:
    """A result model as the next state sees it (model_dump(by_alias=True): every field present)."""
    return Obj(
        tuple(sorted((_field_key(n, f), annotation_shape(f.annotation)) for n, f in model.model_fields.items())),
        open=False,
        model=model,
    )


def annotation_shape(annotation: Any) -> Shape:
    annotation = _strip(annotation)
    members = _union_members(annotation)
    if members is not None:
        present = [m for m in members if m is not type(None)]
        return annotation_shape(present[0]) if len(present) == 1 else Leaf(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return model_shape(annotation)
    if typing.get_origin(annotation) in (list, tuple, set, frozenset):
        args = typing.get_args(annotation)
        return Arr(annotation_shape(args[0]) if args else ANY)
    if typing.get_origin(annotation) is dict or annotation is dict:
        return Obj((), open=True)
    return Leaf(annotation)


def literal_shape(value: Any) -> Shape:
    if isinstance(value, dict):
        return Obj(tuple(sorted((k, literal_shape(v)) for k, v in value.items())))
    if isinstance(value, list):
        return Arr(literal_shape(value[0]) if value else ANY)
    return ANY if value is None else Leaf(type(value))


def describe(shape: Shape) -> str:
    if isinstance(shape, Obj):
        return shape.model.__name__ if shape.model else "{" + ", ".join(k for k, _ in shape.fields) + "}"
    if isinstance(shape, Arr):
        return f"[{describe(shape.item)}]"
    return "any" if shape.annotation is Any else getattr(shape.annotation, "__name__", str(shape.annotation))


# ---- compatibility of a shape with a model field's annotation ------------------------------------


def _scalar_base(annotation: Any) -> Any:
    annotation = _strip(annotation)
    if typing.get_origin(annotation) is typing.Literal:
        values = typing.get_args(annotation)
        return type(values[0]) if values else Any
    return annotation


def _scalar_ok(source: Any, target: Any) -> bool:
    source, target = _scalar_base(source), _scalar_base(target)
    if source is Any or target is Any or source == target:
        return True
    if not isinstance(source, type) or not isinstance(target, type):
        return True  # a union or another construct on either side: not judged
    if issubclass(source, target) or (source is int and target is float):
        return True
    # JSON has no dates: an ISO string (e.g. $$.Execution.StartTime) parses into a date or datetime.
    return source is str and target in (dt.date, dt.datetime)


def check_against(shape: Shape, annotation: Any, where: str) -> list[str]:
    """Problems parsing something of `shape` as `annotation` (empty when it agrees)."""
    if isinstance(shape, Leaf) and shape.annotation is Any:
        return []
    annotation = _strip(annotation)
    if annotation is Any:
        return []
    members = _union_members(annotation)
    if members is not None:
        candidates = [m for m in members if m is not type(None)]
        attempts = [check_against(shape, m, where) for m in candidates]
        return [] if any(not a for a in attempts) else min(attempts, key=len)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if not isinstance(shape, Obj):
            return [f"{where}: {describe(shape)} where {annotation.__name__} (an object) is expected"]
        return check_model(shape, annotation, where)
    origin = typing.get_origin(annotation)
    if origin in (list, tuple, set, frozenset):
        if not isinstance(shape, Arr):
            return [f"{where}: {describe(shape)} where a list is expected"]
        args = typing.get_args(annotation)
        return check_against(shape.item, args[0], f"{where}[]") if args else []
    if origin is dict or annotation is dict:
        return [] if isinstance(shape, Obj) else [f"{where}: {describe(shape)} where an object is expected"]
    if isinstance(shape, (Obj, Arr)):
        return [f"{where}: {describe(shape)} where {describe(Leaf(annotation))} is expected"]
    if not _scalar_ok(shape.annotation, annotation):
        return [f"{where}: {describe(shape)} where {describe(Leaf(annotation))} is expected"]
    return []


def check_model(shape: Obj, model: type[BaseModel], where: str) -> list[str]:
    problems = []
    fields = {_field_key(n, f): f for n, f in model.model_fields.items()}
    forbids_extra = model.model_config.get("extra") == "forbid"
    present = dict(shape.fields)
    for key, info in fields.items():
        if key not in present:
            if info.is_required() and not shape.open:
                problems.append(f"{where}.{key}: missing, required by {model.__name__}")
            continue
        problems.extend(check_against(present[key], info.annotation, f"{where}.{key}"))
    if forbids_extra:
        for key in present:
            if key not in fields:
                problems.append(f"{where}.{key}: not a field of {model.__name__} (it forbids unknown keys)")
    return problems


# ---- JSONPath on shapes ---------------------------------------------------------------------------

_PATH_PART = re.compile(r"\.([^.\[]+)|\[(\d+|\*)\]|\['([^']+)'\]")


class PathError(Exception):
    pass


def path_parts(path: str) -> list[str | int | None]:
    """`$.a.b[0]` -> ["a", "b", 0]; `[*]` -> None."""
    parts: list[str | int | None] = []
    rest = path[1:]
    while rest:
        match = _PATH_PART.match(rest)
        if not match:
            raise PathError(f"unsupported JSONPath {path!r}")
        key, index, quoted = match.groups()
        parts.append(key if key is not None else quoted if quoted is not None else None if index == "*" else int(index))
        rest = rest[match.end():]
    return parts


def select(shape: Shape, path: str) -> Shape:
    current = shape
    for part in path_parts(path):
        if isinstance(current, Leaf) and current.annotation is Any:
            return ANY
        if isinstance(part, str):
            if not isinstance(current, Obj):
                raise PathError(f"{path}: {describe(current)} has no field {part!r}")
            found = current.get(part)
            if found is None:
                if current.open:
                    return ANY
                raise PathError(f"{path}: no field {part!r} in {describe(current)}")
            current = found
        else:
            if not isinstance(current, Arr):
                raise PathError(f"{path}: {describe(current)} is not a list")
            current = current.item if part is not None else current
    return current


def put(shape: Shape, path: str, value: Shape) -> Shape:
    """ResultPath: `value` placed at `path` inside `shape` (objects created on the way)."""
    parts = path_parts(path)
    if not parts:
        return value
    if any(not isinstance(p, str) for p in parts):
        raise PathError(f"ResultPath {path!r}: only field names are allowed")

    def place(target: Shape, keys: list[str]) -> Shape:
        base = target if isinstance(target, Obj) else Obj((), open=isinstance(target, Leaf) and target.annotation is Any)
        if len(keys) == 1:
            return base.with_field(keys[0], value)
        return base.with_field(keys[0], place(base.get(keys[0]) or Obj(()), keys[1:]))

    return place(shape, [p for p in parts if isinstance(p, str)])


# ---- the walk -------------------------------------------------------------------------------------

_INTRINSIC_RESULTS: dict[str, Shape] = {
    "States.Format": STR, "States.JsonToString": STR, "States.UUID": STR, "States.Base64Encode": STR,
    "States.Base64Decode": STR, "States.Hash": STR, "States.MathAdd": INT, "States.MathRandom": INT,
    "States.ArrayLength": INT, "States.ArrayContains": BOOL, "States.Array": Arr(ANY),
    "States.ArrayPartition": Arr(Arr(ANY)), "States.ArrayRange": Arr(INT), "States.ArrayUnique": Arr(ANY),
}
_CONTEXT: dict[str, Shape] = {
    "Execution.Id": STR, "Execution.Name": STR, "Execution.StartTime": STR, "Execution.RoleArn": STR,
    "Execution.RedriveCount": INT, "State.Name": STR, "State.EnteredTime": STR, "State.RetryCount": INT,
    "StateMachine.Id": STR, "StateMachine.Name": STR, "Task.Token": STR, "Map.Item.Index": INT,
}
LAMBDA_INVOKE = re.compile(r"^arn:aws[a-z-]*:states:::lambda:invoke(\.waitForTaskToken)?$")


@dataclass
class Contract:
    input: type[BaseModel]
    result: type[BaseModel] | None


@dataclass
class Checker:
    """`contracts`: Lambda function name -> its stage contract. `function_of`: a Task's function
    reference (a `${...}` placeholder or an ARN) -> the function name, or None when it is not one
    of ours."""

    contracts: dict[str, Contract]
    function_of: Callable[[str], str | None]
    execution_input: Shape = ANY
    # Map state name -> the model of each item its ItemReader reads from S3 (what the stage that
    # wrote the object dumps); a reader not listed here has items of unknown shape (ANY).
    item_readers: dict[str, type[BaseModel]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    tasks_checked: list[str] = field(default_factory=list)
    max_visits: int = 10_000

    def check(self, definition: dict[str, Any], name: str) -> list[str]:
        self.problems = []
        self.tasks_checked = []
        self._walk(definition, self.execution_input, name, {})
        return self.problems

    # -- graph ---------------------------------------------------------------------------------

    def _walk(self, machine: dict[str, Any], start: Shape, where: str, context: dict[str, Shape]) -> list[Shape]:
        """The shapes a (sub)machine can end with, checking each state on the way."""
        states: dict[str, Any] = machine.get("States", {})
        queue: list[tuple[str, Shape]] = [(machine["StartAt"], start)]
        seen: set[tuple[str, str]] = set()
        ends: list[Shape] = []
        while queue:
            if len(seen) > self.max_visits:
                self.problems.append(f"{where}: the walk did not converge (a loop that grows the state?)")
                break
            name, shape = queue.pop()
            key = (name, repr(shape))
            if key in seen:
                continue
            seen.add(key)
            state = states.get(name)
            if state is None:
                self.problems.append(f"{where}: a transition to {name!r}, which is not a state")
                continue
            for next_name, out in self._state(state, shape, f"{where}/{name}", context):
                if next_name is None:
                    ends.append(out)
                else:
                    queue.append((next_name, out))
        return ends

    def _state(self, state: dict[str, Any], raw: Shape, where: str, context: dict[str, Shape]) -> list[tuple[str | None, Shape]]:
        kind = state.get("Type")
        try:
            effective = self._input_path(state, raw)
            if kind == "Choice":
                nexts = [c.get("Next") for c in state.get("Choices", [])] + ([state["Default"]] if "Default" in state else [])
                out = self._output_path(state, effective)
                return [(n, out) for n in nexts]
            if kind in ("Succeed", "Fail"):
                return [(None, self._output_path(state, effective))] if kind == "Succeed" else []
            if kind == "Wait":
                return [self._next(state, self._output_path(state, effective))]
            if kind == "Pass":
                given = self._template(state["Parameters"], effective, context, where) if "Parameters" in state else effective
                result = literal_shape(state["Result"]) if "Result" in state else given
                return [self._next(state, self._finish(state, raw, result))]
            if kind == "Task":
                result = self._task(state, effective, where, context)
            elif kind == "Map":
                result = self._map(state, effective, where, context)
            elif kind == "Parallel":
                for i, branch in enumerate(state.get("Branches", [])):
                    self._walk(branch, self._parameters(state, effective, context, where), f"{where}[{i}]", context)
                result = Arr(ANY)
            else:
                self.problems.append(f"{where}: unknown state type {kind!r}")
                return []
            outs = [self._next(state, self._finish(state, raw, result))]
            for catcher in state.get("Catch", []):
                at = catcher.get("ResultPath", "$")
                caught = put(raw, at, ERROR_OUTPUT) if at is not None else raw
                outs.append((catcher["Next"], caught))
            return outs
        except PathError as exc:
            self.problems.append(f"{where}: {exc}")
            return []

    @staticmethod
    def _next(state: dict[str, Any], shape: Shape) -> tuple[str | None, Shape]:
        return (None if state.get("End") else state.get("Next"), shape)

    # -- paths and templates ------------------------------------------------------------------

    @staticmethod
    def _input_path(state: dict[str, Any], raw: Shape) -> Shape:
        if "InputPath" in state and state["InputPath"] is None:
            return Obj(())
        return select(raw, state.get("InputPath", "$"))

    @staticmethod
    def _output_path(state: dict[str, Any], shape: Shape) -> Shape:
        if "OutputPath" in state and state["OutputPath"] is None:
            return Obj(())
        return select(shape, state.get("OutputPath", "$"))

    def _finish(self, state: dict[str, Any], raw: Shape, result: Shape) -> Shape:
        if "ResultSelector" in state:
            result = self._template(state["ResultSelector"], result, {}, "ResultSelector")
        if "ResultPath" in state and state["ResultPath"] is None:
            combined = raw
        else:
            combined = put(raw, state.get("ResultPath", "$"), result)
        return self._output_path(state, combined)

    def _parameters(self, state: dict[str, Any], effective: Shape, context: dict[str, Shape], where: str) -> Shape:
        return self._template(state["Parameters"], effective, context, where) if "Parameters" in state else effective

    def _template(self, template: Any, current: Shape, context: dict[str, Shape], where: str) -> Shape:
        if isinstance(template, dict):
            fields = []
            for key, value in template.items():
                if key.endswith(".$") and isinstance(value, str):
                    fields.append((key[:-2], self._expression(value, current, context)))
                else:
                    fields.append((key, self._template(value, current, context, where)))
            return Obj(tuple(sorted(fields)))
        if isinstance(template, list):
            return Arr(self._template(template[0], current, context, where) if template else ANY)
        return literal_shape(template)

    def _expression(self, expression: str, current: Shape, context: dict[str, Shape]) -> Shape:
        if expression.startswith("$$"):
            path = expression[3:]
            if path.startswith("Map.Item.Value"):
                return select(context.get("Map.Item.Value", ANY), "$" + path[len("Map.Item.Value"):])
            if path.startswith("Execution.Input"):
                return select(self.execution_input, "$" + path[len("Execution.Input"):])
            return _CONTEXT.get(path, ANY)
        if expression.startswith("$"):
            return select(current, expression)
        name = expression.split("(", 1)[0].strip()
        if name.startswith("States."):
            return _INTRINSIC_RESULTS.get(name, ANY)
        raise PathError(f"unsupported expression {expression!r}")

    # -- tasks and maps -----------------------------------------------------------------------

    def _s3_location(self, spec: dict[str, Any], effective: Shape, context: dict[str, Shape], where: str,
                     required: tuple[str, ...]) -> None:
        """A Distributed Map's ItemReader/ResultWriter Parameters, evaluated on the state's input."""
        location = self._template(spec.get("Parameters", {}), effective, context, where)
        self.problems.extend(_s3_fields_are_strings(location, required, where))

    def _task(self, state: dict[str, Any], effective: Shape, where: str, context: dict[str, Shape]) -> Shape:
        resource = str(state.get("Resource", ""))
        payload = self._parameters(state, effective, context, where)
        wrapped = bool(LAMBDA_INVOKE.match(resource))
        if wrapped:  # the optimised integration: the function and its payload are Parameters
            params = state.get("Parameters", {})
            reference = params.get("FunctionName")
            payload = select(payload, "$.Payload") if isinstance(payload, Obj) and payload.get("Payload") else ANY
        else:
            reference = resource
        function = self.function_of(reference) if isinstance(reference, str) else None
        if function is None:
            if isinstance(reference, str) and reference.endswith("FunctionArn}"):
                self.problems.append(f"{where}: {reference} names no registered stage function")
            return ANY
        contract = self.contracts.get(function)
        if contract is None:
            self.problems.append(f"{where}: function {function!r} has no stage contract")
            return ANY
        self.tasks_checked.append(f"{where} -> {function}")
        if not isinstance(payload, Obj):
            if not (isinstance(payload, Leaf) and payload.annotation is Any):
                self.problems.append(f"{where}: input is {describe(payload)}, {contract.input.__name__} needs an object")
        else:
            self.problems.extend(check_model(payload, contract.input, f"{where}: input"))
        result = model_shape(contract.result) if contract.result else ANY
        if wrapped:
            return Obj((("ExecutedVersion", STR), ("Payload", result), ("StatusCode", INT)), open=True)
        return result

    def _map(self, state: dict[str, Any], effective: Shape, where: str, context: dict[str, Shape]) -> Shape:
        if "ItemReader" in state:
            # Where the items are is in the state: the reader's Bucket and Key must be paths to strings.
            self._s3_location(state["ItemReader"], effective, context, f"{where}: ItemReader", ("Bucket", "Key"))
            # items come from S3 (Distributed Map): their shape is not in the state, only in their writer's model
            reader_model = self.item_readers.get(where.rsplit("/", 1)[-1])
            item = model_shape(reader_model) if reader_model else ANY
        else:
            items = select(effective, state.get("ItemsPath", "$"))
            if isinstance(items, Leaf) and items.annotation is Any:
                item = ANY
            elif not isinstance(items, Arr):
                raise PathError(f"ItemsPath {state.get('ItemsPath', '$')}: {describe(items)} is not a list")
            else:
                item = items.item
        selector = state.get("ItemSelector", state.get("Parameters"))
        scope = {**context, "Map.Item.Value": item}
        item_input = self._template(selector, effective, scope, where) if selector is not None else item
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor is None:
            self.problems.append(f"{where}: a Map without ItemProcessor")
            return Arr(ANY)
        ends = self._walk(processor, item_input, where, scope)
        if "ResultWriter" in state:
            self._s3_location(state["ResultWriter"], effective, context, f"{where}: ResultWriter", ("Bucket",))
            return ANY
        return Arr(ends[0] if len({repr(e) for e in ends}) == 1 else ANY)


def _s3_fields_are_strings(location: Shape, required: tuple[str, ...], where: str) -> list[str]:
    problems = []
    for name in required:
        value = location.get(name) if isinstance(location, Obj) else None
        if value is None:
            problems.append(f"{where}: Parameters.{name} missing")
        elif not (isinstance(value, Leaf) and (value.annotation is Any or _strip(value.annotation) is str)):
            problems.append(f"{where}: Parameters.{name} is {describe(value)}, an S3 {name.lower()} must be a string")
    return problems


def placeholder_function(names: list[str]) -> Callable[[str], str | None]:
    """`${CollectCostsFunctionArn}` (or an ARN ending in `:function:<app>-<stage>-collect_costs`) -> `collect_costs`."""
    by_placeholder = {"${" + "".join(p.capitalize() for p in n.split("_")) + "FunctionArn}": n for n in names}

    def function_of(reference: str) -> str | None:
        if reference in by_placeholder:
            return by_placeholder[reference]
        if ":function:" in reference:
            tail = reference.rsplit(":function:", 1)[1].split(":")[0]
            return next((n for n in names if tail == n or tail.endswith("-" + n)), None)
        return None

    return function_of

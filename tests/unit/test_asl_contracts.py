"""Every statemachines/*.asl.json agrees with the stage contracts (chalicelib/*/contracts.py).

The Lambda function -> stage map is each blueprint's STAGES table (what the handlers run), so a
field renamed in the ASL or in a model fails here, not only in an end-to-end run.
"""

from __future__ import annotations

import copy
import importlib
import json
import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import create_model

from chalicelib.core.observability import load_stage, stage_contract
from tests import ROOT
from tests.asl_contracts import Checker, Contract, placeholder_function

MACHINES = sorted((ROOT / "statemachines").glob("*.asl.json"))


def registered_stages() -> dict[str, str]:
    """Function name -> "module:function", from every subsystem's blueprint."""
    stages: dict[str, str] = {}
    for path in sorted((ROOT / "chalicelib").glob("*/blueprint.py")):
        module = importlib.import_module(f"chalicelib.{path.parent.name}.blueprint")
        for name, target in getattr(module, "STAGES", {}).items():
            assert name not in stages, f"function {name!r} is declared by two blueprints"
            stages[name] = target
    return stages


def contracts() -> dict[str, Contract]:
    found = {}
    for name, target in registered_stages().items():
        input_model, result_model, _ = stage_contract(load_stage(target))
        found[name] = Contract(input=input_model, result=result_model)
    return found


def item_readers() -> dict[str, Any]:
    """Map state -> the model of the items its ItemReader reads (what eligibility writes to S3)."""
    from chalicelib.core.clients import CheckedClient

    return {"ProcessClients": CheckedClient}


def checker(overrides: dict[str, Contract] | None = None) -> Checker:
    table = {**contracts(), **(overrides or {})}
    return Checker(contracts=table, function_of=placeholder_function(list(table)), item_readers=item_readers())


def load(name: str) -> dict[str, Any]:
    return parse_definition((ROOT / "statemachines" / name).read_text())


def parse_definition(text: str) -> dict[str, Any]:
    """A definition as deployed, minus its substitutions: a `${...}` used as a bare JSON value
    (a number such as a MaxConcurrency) reads as 0; quoted ones stay as they are (Resource names)."""
    return json.loads(re.sub(r'(?<!")\$\{\w+\}(?!")', "0", text))


def lambda_tasks(machine: dict[str, Any]) -> list[str]:
    """Every `${...FunctionArn}` Task resource in a definition, nested states included."""
    found = []

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("Type") == "Task" and str(node.get("Resource", "")).endswith("FunctionArn}"):
                found.append(node["Resource"])
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(machine)
    return found


@pytest.mark.parametrize("path", MACHINES, ids=lambda p: p.name)
def test_state_machine_agrees_with_the_stage_contracts(path: Path) -> None:
    check = checker()
    machine = parse_definition(path.read_text())
    assert check.check(machine, path.name) == []
    # every Lambda task was reached and checked (an unreachable one would hide a mismatch)
    checked = {entry.rsplit(" -> ", 1)[1] for entry in check.tasks_checked}
    function_of = placeholder_function(list(registered_stages()))
    assert checked == {function_of(r) for r in lambda_tasks(machine)}


def test_every_stage_function_is_a_blueprint_handler_and_typed() -> None:
    from app import app

    for function in [*app.pure_lambda_functions, *app.event_sources]:
        module, _, attribute = function.handler_string.rpartition(".")
        assert callable(getattr(importlib.import_module(module), attribute)), f"Lambda cannot load {function.handler_string}"
    for name, target in registered_stages().items():
        assert name in app.handler_map, f"STAGES names {name!r}, which no blueprint registers"
        input_model, result_model, _ = stage_contract(load_stage(target))
        assert input_model.model_config.get("extra") == "forbid", f"{name}: its input model must forbid unknown keys"
        assert result_model is not None, f"{name}: its result needs a model"


# ---- a rename on either side is caught ------------------------------------------------------------


def _problems(machine: dict[str, Any], **overrides: Contract) -> list[str]:
    return checker(overrides).check(machine, "cost_report")


def _state(machine: dict[str, Any], name: str) -> dict[str, Any]:
    if name in machine["States"]:
        return machine["States"][name]
    return machine["States"]["ProcessClients"]["ItemProcessor"]["States"][name]


def test_a_renamed_result_path_is_caught() -> None:
    machine = copy.deepcopy(load("cost_report.asl.json"))
    _state(machine, "CollectCosts")["ResultPath"] = "$.costs"
    problems = _problems(machine)
    assert any("RenderReport: input.collected: missing" in p for p in problems), problems
    assert any("RenderReport: input.costs: not a field of RenderReportInput" in p for p in problems), problems


def test_a_renamed_parameter_is_caught() -> None:
    machine = copy.deepcopy(load("cost_report.asl.json"))
    _state(machine, "Eligibility")["Parameters"] = {"run_context.$": "$.run"}
    problems = _problems(machine)
    assert any("Eligibility: input.run: missing, required by EligibilityInput" in p for p in problems), problems
    assert any("Eligibility: input.run_context: not a field" in p for p in problems), problems


def test_a_path_to_a_field_that_does_not_exist_is_caught() -> None:
    machine = copy.deepcopy(load("cost_report.asl.json"))
    machine["States"]["ProcessClients"]["ItemReader"]["Parameters"]["Key.$"] = "$.eligibility.clients.key"
    problems = _problems(machine)
    expected = "ProcessClients: $.eligibility.clients.key: no field 'clients' in EligibilityResult"
    assert any(expected in p for p in problems), problems


def test_an_item_reader_pointing_at_an_object_instead_of_a_key_is_caught() -> None:
    machine = copy.deepcopy(load("cost_report.asl.json"))
    machine["States"]["ProcessClients"]["ItemReader"]["Parameters"]["Key.$"] = "$.eligibility.items"
    problems = _problems(machine)
    assert any("ProcessClients: ItemReader: Parameters.Key is" in p and "must be a string" in p for p in problems), problems


def test_a_field_renamed_in_a_result_model_is_caught() -> None:
    from chalicelib.reports import contracts as c

    renamed = create_model("CollectCostsResult", __base__=c.StrictModel, costs_key=(str, ...), ce_requests=(int, ...))
    problems = _problems(load("cost_report.asl.json"), collect_costs=Contract(input=c.ClientTask, result=renamed))
    assert any("RenderReport: input.collected.data_key: missing" in p for p in problems), problems
    assert any("RenderReport: input.collected.costs_key: not a field of CostsToRender" in p for p in problems), problems


def test_a_field_renamed_in_an_input_model_is_caught() -> None:
    from chalicelib.reports import contracts as c

    renamed = create_model("RenderReportInput", __base__=c.ClientTask, collected_costs=(c.CollectCostsResult, ...))
    problems = _problems(load("cost_report.asl.json"), render_report=Contract(input=renamed, result=c.RenderReportResult))
    assert any("RenderReport: input.collected_costs: missing" in p for p in problems), problems


def test_a_result_stored_where_another_stage_reads_a_different_model_is_caught() -> None:
    machine = copy.deepcopy(load("cost_report.asl.json"))
    _state(machine, "DeliverReport")["ResultPath"] = "$.rendered"  # the delivery overwrites the render result
    problems = _problems(machine)
    assert any("RecordSuccess: input.rendered.message_key: missing" in p for p in problems), problems


def test_a_type_mismatch_is_caught() -> None:
    machine = copy.deepcopy(load("cost_report.asl.json"))
    machine["States"]["ProcessClients"]["ItemSelector"]["client_id.$"] = "$$.Map.Item.Index"  # an int, not an id
    problems = _problems(machine)
    assert any("CollectCosts: input.client_id: int where str is expected" in p for p in problems), problems


def test_a_map_item_field_that_its_writer_does_not_write_is_caught() -> None:
    for name, state in (("cost_report.asl.json", "ProcessClients"), ("budget_check.asl.json", "CheckClients")):
        machine = copy.deepcopy(load(name))
        machine["States"][state]["ItemSelector"]["fingerprint.$"] = "$$.Map.Item.Value.config_hash"
        problems = checker().check(machine, name)
        assert any("no field 'config_hash' in CheckedClient" in p for p in problems), problems
        del machine["States"][state]["ItemSelector"]["fingerprint.$"]  # a child would load an unchecked config
        problems = checker().check(machine, name)
        assert any("input.fingerprint: missing, required by" in p for p in problems), problems


# ---- the walk handles every kind of state the next state machines use ------------------------------

LOOP_AND_DISTRIBUTED = {
    "StartAt": "Plan",
    "States": {
        "Plan": {"Type": "Task", "Resource": "${PlanFunctionArn}", "ResultPath": "$",
                 "Parameters": {"input.$": "$", "execution_name.$": "$$.Execution.Name",
                                "started_at.$": "$$.Execution.StartTime"}, "Next": "Init"},
        "Init": {"Type": "Pass", "Result": {"round": 0}, "ResultPath": "$.loop", "Next": "Eligibility"},
        "Eligibility": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                        "Parameters": {"FunctionName": "${EligibilityFunctionArn}", "Payload": {"run.$": "$.run"}},
                        "ResultSelector": {"items.$": "$.Payload.items"},
                        "ResultPath": "$.eligibility", "Next": "More?"},
        "More?": {"Type": "Choice", "Choices": [{"Variable": "$.loop.round", "NumericLessThan": 3, "Next": "Again"}],
                  "Default": "Fan"},
        "Again": {"Type": "Pass", "Parameters": {"round.$": "States.MathAdd($.loop.round, 1)"},
                  "ResultPath": "$.loop", "Next": "Eligibility"},
        "Fan": {"Type": "Map", "ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
                                              "ReaderConfig": {"InputType": "JSON"},
                                              "Parameters": {"Bucket.$": "$.eligibility.items.bucket",
                                                             "Key.$": "$.eligibility.items.key"}},
                "ItemSelector": {"run.$": "$.run", "client_id.$": "$$.Map.Item.Value.client_id",
                                 "fingerprint.$": "$$.Map.Item.Value.fingerprint"},
                "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                                  "StartAt": "Collect",
                                  "States": {"Collect": {"Type": "Task", "Resource": "${CollectCostsFunctionArn}",
                                                         "ResultPath": "$.collected", "End": True}}},
                "ResultPath": None, "Next": "Parallel"},
        "Parallel": {"Type": "Parallel", "Branches": [
            {"StartAt": "Summary", "States": {"Summary": {"Type": "Task", "Resource": "${SummarizeRunFunctionArn}",
                                                          "Parameters": {"run.$": "$.run"}, "End": True}}},
            {"StartAt": "Wait", "States": {"Wait": {"Type": "Wait", "Seconds": 1, "End": True}}},
        ], "ResultPath": "$.outcome", "Next": "Done"},
        "Done": {"Type": "Succeed"},
    },
}


def test_choice_loops_pass_states_distributed_maps_and_parallel_branches_are_walked() -> None:
    check = checker()
    assert check.check(copy.deepcopy(LOOP_AND_DISTRIBUTED), "synthetic") == []
    assert {e.rsplit(" -> ", 1)[1] for e in check.tasks_checked} == {"plan", "eligibility", "collect_costs", "summarize_run"}


def test_a_mismatch_inside_a_loop_or_a_branch_is_caught() -> None:
    machine = copy.deepcopy(LOOP_AND_DISTRIBUTED)
    machine["States"]["Again"]["ResultPath"] = "$.run"  # the loop counter overwrites the run context
    machine["States"]["Parallel"]["Branches"][0]["States"]["Summary"]["Parameters"] = {"run.$": "$.run", "extra": 1}
    problems = checker().check(machine, "synthetic")
    assert any("Eligibility: input.run.run_id: missing, required by RunContext" in p for p in problems), problems
    assert any("Summary: input.extra: not a field of SummarizeRunInput" in p for p in problems), problems

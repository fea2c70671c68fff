"""Load a state machine definition and substitute the `${...}` Lambda ARN placeholders."""

from __future__ import annotations

import json
import re
from pathlib import Path

STATEMACHINES = Path(__file__).resolve().parent.parent / "statemachines"
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")


def placeholder_for(function_name: str) -> str:
    """Chalice function `collect_costs` -> placeholder `CollectCostsFunctionArn`."""
    return "".join(part.capitalize() for part in function_name.split("_")) + "FunctionArn"


def render_definition(name: str, substitutions: dict[str, str]) -> str:
    text = (STATEMACHINES / f"{name}.asl.json").read_text()
    missing = sorted(set(_PLACEHOLDER.findall(text)) - substitutions.keys())
    if missing:
        raise ValueError(f"{name}.asl.json: no value for placeholder(s) {', '.join(missing)}")
    rendered = _PLACEHOLDER.sub(lambda m: substitutions[m.group(1)], text)
    json.loads(rendered)  # fail here, not inside the engine, if a substitution broke the JSON
    return rendered

"""Each Lambda's cold start loads only what its function needs: a behaviour check of what is imported
(python -X importtime in a fresh interpreter), not a timing test. Which modules a function imports
comes from the code itself (bench/cold_import.py `function_imports`: app.py, the handler's body,
run_stage and the stage module named in its blueprint line); the figures are `python -m bench.cold_import`'s.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

import pytest

from bench.cold_import import function_imports

ROOT = Path(__file__).resolve().parents[2]
_IMPORT_EACH = "import json, sys\nfor name in json.loads(sys.argv[1]):\n    __import__(name)"
_IMPORTED = re.compile(r"^import time:\s+\d+ \|\s+\d+ \| *(\S+)$", re.MULTILINE)

# Heavy or special-purpose modules, and the only functions whose cold start may load them.
ONLY_IN = {
    # the report's HTML and text templates; report_pdf's first call as the bench reads it takes every
    # branch of its writer choice, the HTML one included (a PDF alone: the test at the end)
    "jinja2": {"render_report", "report_pdf", "unsubscribe_page"},  # the page a GET of the link shows
    "aws_lambda_powertools.utilities.batch": {"apply_metric_events", "notify_consumer"},  # SQS partial batches
    "asyncio": {"apply_metric_events", "notify_consumer"},  # Powertools' batch module imports it
    "aws_lambda_powertools.utilities.idempotency": {"deliver_report", "publish_summaries"},
    # our PDF and XLSX writers (each imports its library on its first document, never at import)
    "chalicelib.reports.rendering.pdf": {"report_pdf"},
    "chalicelib.reports.rendering.xlsx": {"report_pdf"},
}
# Loaded by no function's cold start: a stage imports them where a client asks for them, or never.
NEVER = ("xlsxwriter", "reportlab", "openpyxl", "duckdb", "sqlglot", "moto", "pandas", "email_validator",
         "pydantic_settings", "dotenv", "aws_lambda_powertools.utilities.parser")


@cache
def _functions() -> dict[str, list[str]]:
    return function_imports()


def _loaded(modules: tuple[str, ...]) -> frozenset[str]:
    """Every module `import <modules>` loads in a fresh interpreter, read from -X importtime."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", _IMPORT_EACH, json.dumps(modules)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "us-east-1"})
    assert done.returncode == 0, done.stderr[-2000:]
    return frozenset(_IMPORTED.findall(done.stderr))


@pytest.fixture(scope="module")
def loaded() -> dict[str, frozenset[str]]:
    functions = _functions()
    with ThreadPoolExecutor(max_workers=2) as pool:
        found = dict(zip(functions, pool.map(_loaded, (tuple(m) for m in functions.values())), strict=True))
    return found


def _under(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_every_function_is_checked() -> None:
    functions = _functions()
    assert len(functions) >= 30
    assert {"render_report", "notify_consumer", "apply_metric_events", "deliver_report", "weekly_trigger"} <= set(functions)
    # a stage function's imports end with its stage module (named in its blueprint line)
    assert "chalicelib.reports.stages.render_report" in functions["render_report"]


@pytest.mark.parametrize("package", sorted(ONLY_IN))
def test_a_heavy_utility_is_loaded_only_by_the_functions_that_use_it(loaded: dict[str, frozenset[str]],
                                                                    package: str) -> None:
    loading = {name for name, modules in loaded.items() if any(_under(m, package) for m in modules)}
    assert loading <= ONLY_IN[package], f"{package} loaded by {sorted(loading - ONLY_IN[package])}"


def test_a_function_that_always_uses_a_utility_loads_it_with_its_module(loaded: dict[str, frozenset[str]]) -> None:
    """What a function needs on every call is imported with its stage module, so its cold start (and
    the bench's figure) includes it: the renderer's jinja2, the consumers' batch utility."""
    assert "jinja2" in loaded["render_report"]
    assert "aws_lambda_powertools.utilities.batch" in loaded["notify_consumer"]
    assert "aws_lambda_powertools.utilities.batch" in loaded["apply_metric_events"]
    assert "aws_lambda_powertools.utilities.idempotency" in loaded["deliver_report"]


def test_no_function_loads_what_it_imports_only_on_demand(loaded: dict[str, frozenset[str]]) -> None:
    offenders = {name: sorted(m for m in modules if any(_under(m, package) for package in NEVER))
                 for name, modules in loaded.items()}
    assert {name: found for name, found in offenders.items() if found} == {}


def test_a_function_loads_no_other_functions_stage_module(loaded: dict[str, frozenset[str]]) -> None:
    functions = _functions()
    stage_modules = {m for modules in functions.values() for m in modules if ".stages." in m}
    offenders = {name: sorted((modules & stage_modules) - set(functions[name])) for name, modules in loaded.items()}
    assert {name: found for name, found in offenders.items() if found} == {}


def test_app_py_loads_no_stage_module_and_no_model() -> None:
    """What every cold start pays for app.py: Chalice and the blueprints' handler lines. pydantic
    loaded here would also make Powertools' batch module load its parser models (every event
    source's), which the queue consumers do not use."""
    modules = _loaded(("app",))
    assert "chalice" in modules and "chalicelib.reports.blueprint" in modules
    assert sorted(m for m in modules if ".stages." in m or _under(m, "pydantic")) == []


def test_a_pdf_on_demand_loads_neither_jinja2_nor_the_xlsx_writer() -> None:
    """report_pdf's PDF: the stage, the report view and the PDF writer (ReportLab itself on the first
    page). Before, importing the view loaded the rendering package and with it jinja2."""
    modules = _loaded(("app", "chalicelib.reports.stages.report_pdf", "chalicelib.reports.rendering.view",
                       "chalicelib.reports.rendering.pdf"))
    assert "chalicelib.reports.rendering.pdf" in modules
    assert sorted(m for m in modules if _under(m, "jinja2") or _under(m, "chalicelib.reports.rendering.xlsx")) == []

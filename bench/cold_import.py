"""Cold import of every Lambda function, as a ratio to `import boto3` alone (aim: <= 1.6x).

python -m bench.cold_import [--repeat 5] [--aim 1.6] [--top 10] [--only NAME ...]

What Lambda imports for a function before its first invocation returns: Chalice's generated entry
imports `app` (app.py and every blueprint it registers); the handler's body then imports what it
runs: a stage function's handler calls `run_stage`, which imports its own few modules and the stage
module named in the blueprint line ("module:function"); a trigger or queue handler imports the
function it calls. The function called then imports what its body and the functions of its own
module it calls import (every branch). `function_imports()` lists those modules per function, read from the
code (the blueprints' STAGES tables and the handlers' source), never written out by hand.

Each function is measured in a fresh interpreter: `import boto3` (the SDK every function uses),
then its modules; the baseline is `import boto3` alone in a fresh interpreter, run just before it
(interleaved, so load on this shared machine hits both alike). Time is the interpreter's CPU time
(wall time mostly measures the neighbours). Our modules are byte-compiled first, as the runtime's
boto3 and the venv's libraries are: an edited module would otherwise be compiled in every run. A
function's figure is the median of --repeat runs; its ratio the median of its runs' ratios to the
baseline run beside each. For every function over the aim, `python -X importtime` of the same
imports (three fresh interpreters, each module's median) says where the time goes: the packages
and modules loaded on top of boto3, by their own (self) time, with their cumulative time. It runs
with the cyclic garbage collector off: a full collection (10 to 45 ms here, over every object boto3
and pydantic made) would otherwise be counted as the self time of whichever module happened to be
importing; the timed runs keep it on.

The floors (FLOORS) are timed the same way: what a function of each kind imports before any module
of ours (app.py, pydantic with one model built, Powertools; the batch utility for a queue consumer,
jinja2 for the report renderer). No function of that kind can go under its floor.
"""

from __future__ import annotations

import argparse
import ast
import compileall
import importlib
import inspect
import json
import os
import re
import statistics
import subprocess
import sys
import textwrap
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# What run_stage (chalicelib/core/observability.py) runs on every stage function's first call.
STAGE_RUNTIME = ("run_stage", "logger", "stage_contract")
MARK = "-- boto3 imported --"
_TIMER = f"""
import gc, json, sys, time
if len(sys.argv) > 2:  # the profile: no collection lands in whichever module is importing when it runs
    gc.disable()
started = time.process_time()
import boto3
sys.stderr.write({MARK!r} + "\\n"); sys.stderr.flush()
for name in json.loads(sys.argv[1]):
    __import__(name)
print(time.process_time() - started)
"""
_ENV = {"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "us-east-1", "POWERTOOLS_METRICS_DISABLED": "true",
        "PYTHONDONTWRITEBYTECODE": "1"}


def _imports_in(functions: Iterable[Callable[..., Any]]) -> list[str]:
    """Absolute modules imported inside these functions' bodies, in order."""
    modules: list[str] = []
    for function in functions:
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
        except (OSError, TypeError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                modules.append(node.module)
            elif isinstance(node, ast.Import):
                modules.extend(alias.name for alias in node.names)
    return modules


def _first_call_imports(target: str) -> list[str]:
    """The imports in a function's body and in the bodies of the functions of its own module it
    calls (by name, transitively): what its first call loads (deliver_report's idempotency). Every
    branch counts, so a function whose branches import different writers is counted with all of them."""
    module_name, _, function_name = target.partition(":")
    module = importlib.import_module(module_name)
    tree = ast.parse(inspect.getsource(module))
    defined = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    if function_name not in defined:
        return []
    seen: list[str] = []
    pending = [function_name]
    while pending:
        name = pending.pop()
        if name in seen or name not in defined:
            continue
        seen.append(name)
        pending += [node.func.id for node in ast.walk(defined[name])
                    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)]
    return _imports_in(getattr(module, name) for name in seen)


def _functions_imported_in(function: Callable[..., Any]) -> list[tuple[str, str]]:
    """(module, name) of each `from chalicelib... import name` in the function's body."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    return [(node.module, alias.name) for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("chalicelib.")
            for alias in node.names]


def stage_targets() -> dict[str, str]:
    """Function name -> "module:function" from every blueprint's STAGES table."""
    targets: dict[str, str] = {}
    for path in sorted((ROOT / "chalicelib").glob("*/blueprint.py")):
        module = importlib.import_module(f"chalicelib.{path.parent.name}.blueprint")
        targets.update(getattr(module, "STAGES", {}))
    return targets


def function_imports() -> dict[str, list[str]]:
    """Function name -> the modules Lambda imports for it up to its first call: `app`, then the
    imports in its handler's body and the first-call imports of what it calls, then (a stage
    function) run_stage's, its stage module and its stage function's first-call imports."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from app import app
    from chalicelib.core import observability

    stages = stage_targets()
    runtime = _imports_in(getattr(observability, name) for name in STAGE_RUNTIME)
    found: dict[str, list[str]] = {}
    for name, handler in sorted(app.handler_map.items()):
        function = getattr(handler, "func", handler)  # Chalice: EventSourceHandler -> wrapper -> our function
        function = getattr(function, "_original_func", function)
        while hasattr(function, "__wrapped__"):
            function = function.__wrapped__
        modules = ["app", *_imports_in([function])]
        # a trigger's or consumer's body imports the function it calls: that function's first call too
        for module, called in _functions_imported_in(function):
            modules += _first_call_imports(f"{module}:{called}")
        if name in stages:
            modules += [*runtime, stages[name].partition(":")[0], *_first_call_imports(stages[name])]
        found[name] = list(dict.fromkeys(modules))
    return found


# What every function of a kind imports before any module of ours: the floor under its ratio.
FLOORS = {
    "floor: a trigger": ["app", "bench.cold_floor"],
    "floor: a stage function": ["app", "bench.cold_floor", "aws_lambda_powertools"],
    "floor: a queue consumer": ["app", "aws_lambda_powertools.utilities.batch", "bench.cold_floor",
                                "aws_lambda_powertools"],
    "floor: render_report": ["app", "bench.cold_floor", "aws_lambda_powertools", "jinja2"],
}


def _run(modules: list[str], importtime: bool = False) -> subprocess.CompletedProcess[str]:
    flags = ["-X", "importtime"] if importtime else []
    no_gc = ["no-gc"] if importtime else []
    return subprocess.run([sys.executable, *flags, "-c", _TIMER, json.dumps(modules), *no_gc], cwd=ROOT,
                          capture_output=True, text=True, check=True, env=_ENV)


def time_import(modules: list[str]) -> float:
    return float(_run(modules).stdout.strip().splitlines()[-1])


_IMPORTTIME = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


def imported_after_boto3(modules: list[str]) -> list[tuple[str, int, int, int]]:
    """(module, self µs, cumulative µs, depth) of every module these imports load on top of
    `import boto3`, from `python -X importtime` in a fresh interpreter."""
    stderr = _run(modules, importtime=True).stderr
    _, _, after = stderr.partition(MARK)
    return [(match[4], int(match[1]), int(match[2]), len(match[3]) // 2)
            for match in _IMPORTTIME.finditer(after)]


def _group(module: str) -> str:
    """Our modules one by one; a library as its top-level package."""
    return module if module.split(".")[0] in {"chalicelib", "app"} else module.split(".")[0]


def profile_lines(modules: list[str], top: int, runs: int = 3) -> list[str]:
    """The profile of `runs` fresh interpreters, each module's median (one run on a shared machine
    can charge a preempted moment to any module)."""
    samples: dict[str, list[tuple[int, int]]] = {}
    for _ in range(runs):
        for module, own, cum, _ in imported_after_boto3(modules):
            samples.setdefault(module, []).append((own, cum))
    rows = [(module, int(statistics.median(o for o, _ in values)), int(statistics.median(c for _, c in values)), 0)
            for module, values in samples.items()]
    total = sum(row[1] for row in rows)
    by_group: Counter[str] = Counter()
    for module, own, _, _ in rows:
        by_group[_group(module)] += own
    lines = [f"      importtime on top of boto3, collector off: {total / 1000:.0f} ms in {len(rows)} modules (inflated)",
             "      by package (self ms): " + ", ".join(f"{name} {us / 1000:.1f}" for name, us in by_group.most_common(top))]
    heaviest = sorted(rows, key=lambda row: row[1], reverse=True)[:top]
    lines.append("      top modules (self / cumulative ms): "
                 + ", ".join(f"{module} {own / 1000:.1f}/{cum / 1000:.1f}" for module, own, cum, _ in heaviest))
    return lines


def measure(functions: dict[str, list[str]], repeat: int) -> tuple[list[float], dict[str, list[float]], dict[str, list[float]]]:
    """(baseline seconds, seconds per function, ratio per function): each round runs every function
    once, each right after a baseline run of its own."""
    baseline: list[float] = []
    seconds: dict[str, list[float]] = {name: [] for name in functions}
    ratios: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(repeat):
        for name, modules in functions.items():
            base = time_import([])
            spent = time_import(modules)
            baseline.append(base)
            seconds[name].append(spent)
            ratios[name].append(spent / base)
    return baseline, seconds, ratios


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--aim", type=float, default=1.6)
    parser.add_argument("--top", type=int, default=10, help="modules and packages shown per function over the aim")
    parser.add_argument("--only", nargs="*", help="function names to measure (default: every function)")
    args = parser.parse_args(argv)
    compileall.compile_dir(ROOT / "chalicelib", quiet=1)
    compileall.compile_file(ROOT / "app.py", quiet=1)
    functions = function_imports()
    if args.only:
        functions = {name: modules for name, modules in functions.items() if name in args.only}
    baseline, seconds, ratios = measure({**FLOORS, **functions}, args.repeat)
    print(f"import boto3 alone: median {statistics.median(baseline) * 1000:.0f} ms CPU "
          f"(min {min(baseline) * 1000:.0f}, max {max(baseline) * 1000:.0f}; {len(baseline)} fresh interpreters, "
          f"one before each function's; load average {os.getloadavg()[0]:.1f})")
    print(f"{'function':22} {'CPU ms':>7} {'ratio':>6}  aim {args.aim}x")
    for name, modules in FLOORS.items():
        print(f"  {name:28} {statistics.median(seconds[name]) * 1000:7.0f} {statistics.median(ratios[name]):5.2f}x  "
              f"({', '.join(modules)})")
    over: list[str] = []
    for name, modules in functions.items():
        ratio = statistics.median(ratios[name])
        verdict = "ok" if ratio <= args.aim else "OVER"
        print(f"  {name:20} {statistics.median(seconds[name]) * 1000:7.0f} {ratio:5.2f}x  {verdict:4}  "
              f"({', '.join(m for m in modules if m != 'app')})")
        if ratio > args.aim:
            over.append(name)
            for line in profile_lines(modules, args.top):
                print(line)
    worst = max(statistics.median(ratios[name]) for name in functions)
    print(f"worst ratio {worst:.2f}x (aim <= {args.aim}x); {len(over)} of {len(functions)} functions over the aim")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

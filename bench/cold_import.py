"""Cold import of every Lambda function, as a ratio to `import boto3` alone (aim: <= 1.3x).

python -m bench.cold_import [--repeat 5] [--aim 1.3]

A Lambda cold start imports the handler module (app.py and the blueprints it registers), and the
first invocation runs the imports inside the handler body (the stage module it calls). Each
function is measured in a fresh interpreter: `import boto3` (the runtime's SDK, which every
function uses), then the handler module, then the imports of its handler body; the baseline is
`import boto3` alone in a fresh interpreter. Time is the interpreter's CPU time (on this shared
machine wall time mostly measures the neighbours), the fastest of --repeat runs, baseline and
function interleaved; read the ratios, not the milliseconds. Libraries a stage needs only sometimes (XLSX, PDF writers,
Powertools idempotency) belong inside the function that uses them, not at the top of a module.
"""

from __future__ import annotations

import argparse
import ast
import inspect
import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_TIMER = """
import json, sys, time
started = time.process_time()
import boto3
for name in json.loads(sys.argv[1]):
    __import__(name)
print(time.process_time() - started)
"""


def handler_imports() -> dict[str, list[str]]:
    """Function name -> modules to import for it: its handler's module, then its body's imports
    and the stage module it runs."""
    sys.path.insert(0, str(ROOT))
    from app import app

    stages = _stage_targets()
    found: dict[str, list[str]] = {}
    for name, handler in sorted(app.handler_map.items()):
        function = getattr(handler, "func", handler)  # Chalice: EventSourceHandler -> wrapper -> our function
        function = getattr(function, "_original_func", function)
        while hasattr(function, "__wrapped__"):
            function = function.__wrapped__
        modules = ["app", function.__module__]
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
        except (OSError, TypeError):
            tree = None
        for node in ast.walk(tree) if tree else ():
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                modules.append(node.module)
            elif isinstance(node, ast.Import):
                modules.extend(alias.name for alias in node.names)
        # A blueprint's stage handler loads its stage module by name on first call (STAGES).
        target = stages.get(name)
        if target:
            modules.append(target.partition(":")[0])
        found[name] = list(dict.fromkeys(modules))
    return found


def _stage_targets() -> dict[str, str]:
    """Function name -> "module:function" from every blueprint's STAGES table."""
    import importlib

    targets: dict[str, str] = {}
    for path in sorted((ROOT / "chalicelib").glob("*/blueprint.py")):
        module = importlib.import_module(f"chalicelib.{path.parent.name}.blueprint")
        targets.update(getattr(module, "STAGES", {}))
    return targets


def time_import(modules: list[str]) -> float:
    out = subprocess.run([sys.executable, "-c", _TIMER, json.dumps(modules)], cwd=ROOT,
                         capture_output=True, text=True, check=True,
                         env={"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "us-east-1",
                              "POWERTOOLS_METRICS_DISABLED": "true", "PYTHONDONTWRITEBYTECODE": "1"})
    return float(out.stdout.strip().splitlines()[-1])


def measure(functions: dict[str, list[str]], repeat: int) -> tuple[float, dict[str, float]]:
    """(baseline, seconds per function): minimum of `repeat` rounds, each round every command once."""
    baseline: list[float] = []
    samples: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(repeat):
        for name, modules in functions.items():
            baseline.append(time_import([]))
            samples[name].append(time_import(modules))
    return min(baseline), {name: min(values) for name, values in samples.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--aim", type=float, default=1.3)
    args = parser.parse_args(argv)
    functions = handler_imports()
    baseline, timed = measure(functions, args.repeat)
    print(f"import boto3 alone: {baseline * 1000:.0f} ms CPU (fastest of {args.repeat * len(functions)} fresh interpreters)")
    worst = 0.0
    for name, modules in functions.items():
        seconds = timed[name]
        ratio = seconds / baseline
        worst = max(worst, ratio)
        print(f"  {name:18} {seconds * 1000:6.0f} ms CPU  {ratio:5.2f}x  {'ok' if ratio <= args.aim else 'OVER'}  "
              f"({', '.join(m for m in modules if m != 'app')})")
    print(f"worst ratio {worst:.2f}x (aim <= {args.aim}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

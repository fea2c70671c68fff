"""The code's layers import one way: Lambda code (chalicelib/) never imports the operator tools
(admin/), the local runtime (local/) or the deploy tooling (infra/); it ships without them."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOT_FROM_LAMBDA = ("admin", "local", "infra", "tests", "bench")


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            roots.add(node.module.split(".")[0])
    return roots


def test_lambda_code_imports_no_tool_of_the_repository() -> None:
    offenders = {str(path.relative_to(ROOT)): sorted(imported_roots(path) & set(NOT_FROM_LAMBDA))
                 for path in [ROOT / "app.py", *sorted((ROOT / "chalicelib").rglob("*.py"))]}
    assert {path: roots for path, roots in offenders.items() if roots} == {}


def test_the_operator_tools_do_not_depend_on_the_local_runtime() -> None:
    offenders = {str(path.relative_to(ROOT)): sorted(imported_roots(path) & {"local", "tests", "bench"})
                 for path in sorted((ROOT / "admin").rglob("*.py"))}
    assert {path: roots for path, roots in offenders.items() if roots} == {}

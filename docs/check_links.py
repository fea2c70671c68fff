"""Check the documentation's relative links and the repository paths it cites.

    .venv/bin/python docs/check_links.py [--paths]

Reads README.md, docs/*.md and bench/README.md. Every relative link must name an existing file
and, when it has one, an existing heading anchor (GitHub's slugs). With --paths it also lists every
repository path written in backticks (`chalicelib/...`, `tests/unit/test_x.py`, ...) with the files
citing it, and says which of them no longer exist: after code moves, those are the lines to fix.
Exit 1 when a link is broken (or, with --paths, a cited path is missing). Standard library only.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")
CODE_SPAN = re.compile(r"`([^`\n]+)`")
# Top-level folders and files of this repository whose paths the docs may cite.
PATH_ROOTS = ("chalicelib/", "local/", "infra/", "tests/", "bench/", "statemachines/", "docs/", ".chalice/", ".ci/")
# Written by a deploy, not committed (.gitignore): cited, never expected in a checkout.
MADE_BY_DEPLOY = (".chalice/deployed", ".chalice/deployments")
PATH_FILES = {"app.py", "deploy.py", "resources.yaml", "requirements.txt", "requirements-local.txt", "requirements-dev.txt",
              "Makefile", "README.md", "pyproject.toml"}


def doc_files() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "bench" / "README.md"]


def slug(heading: str) -> str:
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link in a heading keeps its text
    text = text.replace("`", "").strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def lines_outside_fences(path: Path) -> list[tuple[int, str]]:
    kept, fenced = [], False
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            kept.append((number, line))
    return kept


def anchors(path: Path) -> set[str]:
    found: set[str] = set()
    seen: dict[str, int] = {}
    for _, line in lines_outside_fences(path):
        match = HEADING.match(line)
        if not match:
            continue
        base = slug(match.group(2))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def broken_links() -> list[str]:
    problems = []
    for doc in doc_files():
        for number, line in lines_outside_fences(doc):
            for target in LINK.findall(line):
                if re.match(r"^[a-z]+:", target):  # http:, https:, mailto:
                    continue
                file_part, _, anchor = target.partition("#")
                dest = (doc.parent / file_part).resolve() if file_part else doc
                where = f"{doc.relative_to(ROOT)}:{number}: {target}"
                if not dest.exists():
                    problems.append(f"{where}: no such file")
                elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
                    problems.append(f"{where}: no heading with anchor #{anchor} in {dest.relative_to(ROOT)}")
    return problems


def cited_paths() -> dict[str, set[str]]:
    cited: dict[str, set[str]] = {}
    for doc in doc_files():
        for _, line in enumerate(doc.read_text(encoding="utf-8").splitlines(), 1):
            for span in CODE_SPAN.findall(line):
                for word in span.split():
                    word = word.lstrip("('\"").rstrip(".,;:)'\"")
                    if word.startswith(PATH_ROOTS) or word in PATH_FILES:
                        cited.setdefault(word, set()).add(str(doc.relative_to(ROOT)))
    return cited


def path_exists(cited: str) -> bool:
    if cited.startswith(MADE_BY_DEPLOY):
        return True
    if any(ch in cited for ch in "<>*"):  # a pattern (`runs/<run>/...`, `statemachines/*.asl.json`)
        prefix = re.split(r"[<>*]", cited, maxsplit=1)[0].rsplit("/", 1)[0]
        return (ROOT / prefix).exists()
    return (ROOT / cited).exists()


def main(argv: list[str]) -> int:
    problems = broken_links()
    for problem in problems:
        print(problem)
    missing = []
    if "--paths" in argv:
        for cited, docs in sorted(cited_paths().items()):
            ok = path_exists(cited)
            print(f"{'ok     ' if ok else 'MISSING'} {cited}  ({', '.join(sorted(docs))})")
            if not ok:
                missing.append(cited)
    print(f"{len(problems)} broken link(s)" + (f", {len(missing)} missing path(s)" if "--paths" in argv else ""))
    return 1 if problems or missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Every generated file, from the description: `python -m infra generate [--check]`.

  .chalice/config.json                 Chalice's stages and functions (sizes, policy files, names)
  .chalice/policies/<stage>/<fn>.json  each function's least-privilege policy
  resources.yaml                       the CloudFormation merge template

They are committed (IAM changes are reviewed in pull requests) and never edited by hand: `--check`
(run by the tests) fails when one differs from what the description gives, or one is left over.
"""

from __future__ import annotations

from pathlib import Path

from infra import chalice_config, policies, template
from infra.description import DESCRIPTION
from infra.model import Description
from infra.stage import ROOT, load_stages

POLICIES_DIR = Path(".chalice") / "policies"


def expected(project_dir: Path = ROOT, description: Description = DESCRIPTION) -> dict[Path, str]:
    """{path relative to the project: content} of every generated file (ValueError naming every
    problem when the description, the app and the ASL files disagree: infra/app_source.py, infra/checks.py)."""
    from infra.checks import stage_problems

    stages = load_stages(project_dir, description)
    problems = [p for stage in stages for p in stage_problems(stage)]
    if problems:
        raise ValueError("; ".join(problems))
    files: dict[Path, str] = {Path(".chalice") / "config.json": chalice_config.render(stages),
                              Path(template.OUTPUT): template.render(stages)}
    for stage in stages:
        for spec in stage.functions:
            files[Path(".chalice") / spec.policy_file] = policies.render(policies.policy_for(stage, spec.name))
    return files


def drift(project_dir: Path = ROOT, description: Description = DESCRIPTION) -> list[str]:
    """What differs: 'stale <path>', 'missing <path>' or 'left over <path>' (a policy file nothing generates)."""
    wanted = expected(project_dir, description)
    problems = []
    for relative, text in wanted.items():
        path = project_dir / relative
        if not path.exists():
            problems.append(f"missing {relative}")
        elif path.read_text() != text:
            problems.append(f"stale {relative}")
    for path in sorted((project_dir / POLICIES_DIR).rglob("*.json")):
        if path.relative_to(project_dir) not in wanted:
            problems.append(f"left over {path.relative_to(project_dir)}")
    return problems


def write(project_dir: Path = ROOT, description: Description = DESCRIPTION) -> list[str]:
    """Write what differs, delete left-over policy files; returns what changed."""
    changed = []
    wanted = expected(project_dir, description)
    for relative, text in wanted.items():
        path = project_dir / relative
        if not path.exists() or path.read_text() != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            changed.append(f"wrote {relative}")
    for path in sorted((project_dir / POLICIES_DIR).rglob("*.json")):
        if path.relative_to(project_dir) not in wanted:
            path.unlink()
            changed.append(f"deleted {path.relative_to(project_dir)}")
    for folder in sorted((project_dir / POLICIES_DIR).glob("*"), reverse=True):
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    return changed

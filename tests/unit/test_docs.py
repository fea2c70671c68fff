"""The docs stay true to the tree: every relative link and heading anchor resolves, and every file
path a doc cites in code spans exists (docs/check_links.py, the same check an author runs)."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _checker():
    spec = importlib.util.spec_from_file_location("check_links", ROOT / "docs" / "check_links.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_link_and_anchor_of_the_docs_resolves():
    assert _checker().broken_links() == []


def test_every_path_the_docs_cite_exists():
    checker = _checker()
    missing = sorted(cited for cited in checker.cited_paths() if not checker.path_exists(cited))
    assert missing == []

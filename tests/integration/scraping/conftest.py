"""An in-process AWS with the chunked job deployed, against the loopback fixture server."""

from __future__ import annotations

from datetime import date

import pytest

AS_OF = date(2026, 11, 22)


@pytest.fixture
def local_scrape(tmp_path):
    """A factory: local_scrape(**LocalScrape options) -> an entered LocalScrape, closed after the test."""
    from local.aws.scrape_runtime import LocalScrape

    opened = []

    def make(**kwargs):
        kwargs.setdefault("out_dir", tmp_path / "out")
        local = LocalScrape(**kwargs).__enter__()
        opened.append(local)
        return local

    yield make
    for local in reversed(opened):
        local.__exit__(None, None, None)

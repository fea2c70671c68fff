"""Shared fixtures: an in-process AWS running the real state machine on small, known data.
Test data builders live in tests/factories.py (tests import them from there, never from here)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import CLIENTS, all_accounts, cost_rows


def pytest_configure(config: pytest.Config) -> None:
    # `make test` runs the suite in two phases: everything else on one worker per core (pytest-xdist),
    # then these alone, because they assert rates and waits measured on the wall clock.
    config.addinivalue_line("markers", "timing: asserts wall-clock rates or waits; run serially after the parallel phase")


@pytest.fixture
def local_aws(tmp_path):
    """A factory: local_aws(clients=..., rows=...) -> an entered LocalAWS, closed after the test."""
    from local.aws.cost_explorer.data import CostData
    from local.aws.runtime import LocalAWS

    opened: list[LocalAWS] = []

    def make(clients: list[Any] = CLIENTS, rows: list[dict[str, Any]] | None = None, **kwargs: Any) -> LocalAWS:
        data = CostData.from_rows(rows if rows is not None else cost_rows(all_accounts(clients)))
        kwargs.setdefault("retry_time_scale", 0.05)
        aws = LocalAWS(out_dir=tmp_path / "out", costs=data, clients=clients, **kwargs)
        opened.append(aws.__enter__())
        return aws

    yield make
    for aws in reversed(opened):
        aws.__exit__(None, None, None)

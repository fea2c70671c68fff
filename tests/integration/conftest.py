"""The in-process AWS running the real state machines on small, known data, and the same served on
a loopback port (`python -m local serve`). Test data builders live in tests/factories.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.factories import CLIENTS, all_accounts, cost_rows


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


@pytest.fixture
def server(tmp_path: Path):
    """A LocalServer (`python -m local serve`) on a free 127.0.0.1 port with the sample clients and costs."""
    from infra.stage import copy_project
    from local.aws.cost_explorer.data import CostData
    from local.aws.server import LocalServer

    costs = CostData.from_rows(cost_rows(all_accounts(CLIENTS)))
    local = LocalServer(port=0, clients=CLIENTS, costs=costs, out_dir=tmp_path / "out",
                        project_dir=copy_project(tmp_path / "project"), retry_time_scale=0.05, log=lambda line: None)
    with local:
        yield local

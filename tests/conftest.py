"""Settings for every test. The in-process AWS fixtures are in tests/integration/conftest.py, so a
unit test cannot start the engine by accident. Test data builders live in tests/factories.py."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    # `make test` runs the suite in two phases: everything else on one worker per core (pytest-xdist),
    # then these alone, because they assert rates and waits measured on the wall clock.
    config.addinivalue_line("markers", "timing: asserts wall-clock rates or waits; run serially after the parallel phase")

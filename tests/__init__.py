"""The tests: tests/unit/ runs no state machine engine and no local runtime (fast); tests/integration/
runs them (the engine, `python -m local serve`, a moto server, chalice, a browser). Helpers shared by
both live here, beside this file."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent  # the project

"""`python -m local serve` as a person starts it: a subprocess on a free loopback port, the clients and
their costs as files, no AWS variables from the caller, every proxy pointing nowhere. Shared by the tests
that drive the command over HTTP."""

from __future__ import annotations

import csv
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra.stage import ROOT
from tests.factories import all_accounts, cost_rows


@dataclass
class ServeCommand:
    process: subprocess.Popen[str]
    port: int
    out: Path
    lines: list[str] = field(default_factory=list)  # what it printed up to READY
    rest: str = ""  # what it printed after, until it stopped

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serve_command(tmp_path: Path, clients: list[dict[str, Any]], ready_within: float = 180) -> Iterator[ServeCommand]:
    """Start the command, wait for its READY line (bounded), yield it; SIGTERM it on the way out and keep
    its last output in `rest` (the caller asserts on `process.returncode` after the block)."""
    clients_file = tmp_path / "clients.json"
    clients_file.write_text(json.dumps(clients))
    costs = tmp_path / "costs.csv"
    rows = cost_rows(all_accounts(clients))
    with costs.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9", "NO_PROXY": "127.0.0.1,localhost",
                "PIP_NO_INDEX": "1", "PYTHONUNBUFFERED": "1", "AWS_CONFIG_FILE": os.devnull})
    out = tmp_path / "out"
    # The command deploys from the checkout (its .chalice/deployed/local.json, as for a person).
    process = subprocess.Popen([sys.executable, "-m", "local", "serve", "--port", str(port), "--clients", str(clients_file),
                                "--costs", str(costs), "--out", str(out)],
                               cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    served = ServeCommand(process=process, port=port, out=out)
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + ready_within
        while not (served.lines and served.lines[-1].startswith("READY ")):
            line = process.stdout.readline()
            assert line or process.poll() is None, "".join(served.lines)
            served.lines.append(line)
            assert time.monotonic() < deadline, "".join(served.lines)
        yield served
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            served.rest = process.communicate(timeout=30)[0] or ""
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)

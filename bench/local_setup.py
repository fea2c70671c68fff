"""Benchmark: the set-up time of the in-process local AWS (`python -m local run`, and every test
that opens one), i.e. the stage `local` deployed by infra/deployer.py into moto in this process.

python -m bench.local_setup [--repeat 8]

Prints the first set-up (imports, service models parsed) and the median of the following ones,
with the deploy's API calls by kind. Compare with an older checkout by running the same command
there; bench/README.md ("Local set-up") holds the last figures.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=8)
    args = parser.parse_args()

    from local.aws.cost_explorer.data import CostData
    from local.aws.runtime import LocalAWS
    from local.samples.make_samples import synthetic_clients

    clients, rows = synthetic_clients(5, seed=1)
    costs = CostData.from_rows(rows)
    seconds: list[float] = []
    kinds: Counter[str] = Counter()
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as out:
            started = time.perf_counter()
            aws = LocalAWS(out_dir=Path(out), costs=costs, clients=clients)
            aws.__enter__()
            seconds.append(time.perf_counter() - started)
            kinds = Counter(change.resource.split(" ")[0] for change in aws.deploy_report.changes)
            aws.__exit__(None, None, None)
    rest = seconds[1:] or seconds
    print(f"local AWS set-up: first {seconds[0]:.2f} s, then median {statistics.median(rest):.3f} s "
          f"(min {min(rest):.3f}, max {max(rest):.3f}) over {len(rest)} runs")
    print("resources deployed per set-up: " + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())))


if __name__ == "__main__":
    main()

"""Should clients that share a payer role share one paginated Cost Explorer request? A page-count model.

python -m bench.ce_pooling [--clients 1000] [--payers 3] [--population bench|mixed]

Every page of GetCostAndUsage is a billed request ($0.01). Today each client costs one request per
page of its own answer (both periods in one request, grouped by LINKED_ACCOUNT and SERVICE). Pooled,
each payer would get one request for the union of its clients' accounts, sliced per client after.

The model counts pages as the local Cost Explorer cuts them (and as AWS appears to: a page holds up
to P groups, counted across the time buckets of the answer; AWS documents no P): a request whose
answer has G groups costs max(1, ceil(G / P)) requests. G = buckets x accounts x services with
cost: weekly reports are DAILY over two weeks (14 buckets), daily reports DAILY over two days,
monthly reports MONTHLY over two months. Only clients with the same request shape (metric,
record-type filter) can share a request; the model assumes they all do, which favours pooling.

Populations: `bench` is the synthetic benchmark clients (2 accounts x 12 services each); `mixed`
draws accounts per client log-uniformly from 1..40 and services per account from 8..40 (seeded).
Payers hold 50%, 30% and 20% of the clients (with --payers 3).
"""

from __future__ import annotations

import argparse
import math
import random
from typing import NamedTuple

PAGE_SIZES = (100, 200, 500, 1000, 2000, 5000)
BUCKETS = {"daily": 2, "weekly": 14, "monthly": 2}
SAVING_REQUIRED = 3.0


class Client(NamedTuple):
    payer: int
    accounts: int
    services: int

    def groups(self, report_type: str) -> int:
        return BUCKETS[report_type] * self.accounts * self.services


def population(n: int, payers: int, kind: str, seed: int = 13) -> list[Client]:
    rng = random.Random(seed)
    shares = [0.5, 0.3, 0.2] if payers == 3 else [1 / payers] * payers
    bounds = [round(sum(shares[: i + 1]) * n) for i in range(payers)]
    clients = []
    for i in range(n):
        payer = next(p for p, bound in enumerate(bounds) if i < bound)
        if kind == "bench":
            clients.append(Client(payer, 2, 12))
        else:
            accounts = max(1, round(math.exp(rng.uniform(0, math.log(40)))))
            clients.append(Client(payer, accounts, rng.randint(8, 40)))
    return clients


def pages(groups: int, page_size: int) -> int:
    return max(1, math.ceil(groups / page_size))


def per_client_requests(clients: list[Client], report_type: str, page_size: int) -> int:
    return sum(pages(client.groups(report_type), page_size) for client in clients)


def pooled_requests(clients: list[Client], report_type: str, page_size: int) -> int:
    per_payer: dict[int, int] = {}
    for client in clients:
        per_payer[client.payer] = per_payer.get(client.payer, 0) + client.groups(report_type)
    return sum(pages(groups, page_size) for groups in per_payer.values())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--payers", type=int, default=3)
    parser.add_argument("--population", choices=("bench", "mixed", "both"), default="both")
    args = parser.parse_args(argv)
    kinds = ("bench", "mixed") if args.population == "both" else (args.population,)
    for kind in kinds:
        clients = population(args.clients, args.payers, kind)
        print(f"{args.clients:,} clients under {args.payers} payers, population {kind!r} "
              f"(median groups per weekly answer {sorted(c.groups('weekly') for c in clients)[len(clients) // 2]:,}):")
        print(f"  {'report':8} {'page size':>9} {'per-client':>11} {'pooled':>8} {'saving':>7}  "
              f"{'$ per run (per-client -> pooled)':>34}")
        for report_type in BUCKETS:
            for page_size in PAGE_SIZES:
                alone = per_client_requests(clients, report_type, page_size)
                pooled = pooled_requests(clients, report_type, page_size)
                saving = alone / pooled
                mark = " >=3x" if saving >= SAVING_REQUIRED else ""
                print(f"  {report_type:8} {page_size:>9,} {alone:>11,} {pooled:>8,} {saving:>6.1f}x  "
                      f"{f'${alone * 0.01:,.2f} -> ${pooled * 0.01:,.2f}':>34}{mark}")
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

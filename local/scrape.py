"""`python -m local scrape NAME`: a scraper's chunked job on the in-process AWS against the loopback fixture
server (never the internet): progress per chunk, the results table and the alerts it would send.

python -m local scrape {bond-issuance,bdc-discount,credit-fund,bank-provision} [--as-of YYYY-MM-DD] [--dry-run]
                       [--chunk-size N] [--concurrency N]
"""

from __future__ import annotations

import json
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Callable

from local.fixture_server import PRICE_HOST, SEC_HOSTS, FixtureServer



@dataclass
class LocalScrape:
    """The in-process AWS of `python -m local run` (the stage `local` of the infra description: the chunked
    job's state machine and topics included) with the scraper settings pointing at a fixture server. The local Lambda timeout is short (`chunk_timeout_seconds`) so chunks
    really reach their deadline and loop, as a long real run does with the 300 s timeout."""

    out_dir: Path = Path("out")
    chunk_size: int = 3
    max_concurrency: int = 3
    chunk_timeout_seconds: float = 8.0
    deadline_margin_seconds: float = 6.0
    retry_time_scale: float = 0.05
    fixture: FixtureServer = field(default_factory=FixtureServer)
    env_overrides: dict[str, str] = field(default_factory=dict)

    def __enter__(self) -> "LocalScrape":
        from local.cost_explorer import CostData
        from local.moto_fixes import atomic_dynamodb
        from local.runtime import LocalAWS

        self._undo: list[Callable[[], None]] = []
        # Every "Lambda" shares this interpreter: a thread may wait for the GIL for a whole switch interval
        # per runnable thread (5 ms each by default), long enough to send a paced request late and next to
        # the following one. Real Lambdas are separate processes; a short interval keeps local pacing close.
        interval = sys.getswitchinterval()
        sys.setswitchinterval(0.0005)
        self._undo.append(lambda: sys.setswitchinterval(interval))
        self.fixture.__enter__()
        self._undo.append(lambda: self.fixture.__exit__(None, None, None))
        env = {
            **self.fixture.settings_env(),
            "SCRAPE_CHUNK_SIZE": str(self.chunk_size),
            "SCRAPE_MAX_CONCURRENCY": str(self.max_concurrency),
            # local timeouts fit the short local Lambda timeout; the margin still covers wait + timeouts
            "SCRAPE_RATE_LIMIT_MAX_WAIT_SECONDS": "2",
            "SCRAPE_HTTP_CONNECT_TIMEOUT": "1",
            "SCRAPE_HTTP_READ_TIMEOUT": "3",
            "SCRAPE_DEADLINE_MARGIN_SECONDS": str(self.deadline_margin_seconds),
            **self.env_overrides,
        }
        self._undo.append(atomic_dynamodb())
        self.aws = LocalAWS(out_dir=self.out_dir, costs=CostData.from_rows([]), retry_time_scale=self.retry_time_scale,
                            env_overrides=env)
        self.aws.__enter__()
        self._undo.append(lambda: self.aws.__exit__(None, None, None))
        self.aws.bridge.timeout_seconds = self.chunk_timeout_seconds
        self._create_resources()
        return self

    def __exit__(self, *exc: Any) -> None:
        # executions still running (a trigger answered before its dry run ended) finish before AWS goes away
        deadline = time.monotonic() + 120
        for execution in self.sfn.list_executions(stateMachineArn=self.state_machine_arn, statusFilter="RUNNING")["executions"]:
            self.aws.wait(execution["executionArn"], timeout=max(1.0, deadline - time.monotonic()))
        for undo in reversed(self._undo):
            undo()
        _reset()

    def _create_resources(self) -> None:
        """The state machine and both topics are the description's (infra/description.py), deployed into the
        in-process AWS with everything else by LocalAWS: only their ARNs are read here."""
        import os

        from chalicelib.core import constants as c

        self.sfn = self.aws.sfn
        self.state_machine_arn = os.environ[c.ENV_SCRAPE_STATE_MACHINE_ARN]
        self.alert_topic_arn = os.environ[c.ENV_SCRAPE_ALERT_TOPIC_ARN]
        self.critical_topic_arn = os.environ[c.ENV_SCRAPE_CRITICAL_TOPIC_ARN]
        _reset()

    # ---- executions ----------------------------------------------------------------------------------

    def start(self, run_input: dict[str, Any], name: str | None = None) -> str:
        name = name or f"local-{run_input.get('scraper', 'scrape')}-{uuid.uuid4().hex[:12]}"
        return self.sfn.start_execution(stateMachineArn=self.state_machine_arn, name=name,
                                        input=json.dumps(run_input))["executionArn"]

    def wait(self, execution_arn: str, timeout: float = 600, on_poll: Callable[[], None] | None = None) -> dict[str, Any]:
        return self.aws.wait(execution_arn, timeout=timeout, poll=0.1, on_poll=on_poll)

    def run(self, run_input: dict[str, Any], name: str | None = None, timeout: float = 600) -> dict[str, Any]:
        return self.wait(self.start(run_input, name), timeout)

    def history(self, execution_arn: str) -> list[dict[str, Any]]:
        return self.aws.history(execution_arn)

    def job_id(self, scraper: str, as_of: date) -> str:
        return f"{scraper}#{as_of.isoformat()}"

    def chunks(self, job_id: str) -> list[dict[str, Any]]:
        from chalicelib.scraping.store import JobStore

        return sorted(JobStore(job_id).chunks(), key=lambda c: c["sk"])

    def outcomes(self, job_id: str) -> list[Any]:
        from chalicelib.scraping.store import outcomes_of

        return [o for chunk in self.chunks(job_id) for o in outcomes_of(chunk)]

    def result(self, job_id: str) -> Any:
        from chalicelib.scraping.store import JobStore

        return JobStore(job_id).result()

    def sent_alerts(self) -> list[tuple[str, str, str]]:
        """(topic ARN, subject, message) of every SNS message published (moto's record of them)."""
        from moto.sns.models import sns_backends

        from local.core import ACCOUNT_ID, REGION

        topics = sns_backends[ACCOUNT_ID][REGION].topics
        return [(arn, subject, message) for arn in (self.alert_topic_arn, self.critical_topic_arn)
                for _, message, subject, *_ in topics[arn].sent_notifications]


def _reset() -> None:
    from chalicelib.core.caches import reset_all
    from chalicelib.scraping.scrapers import scraper_for

    reset_all()
    scraper_for.cache_clear()


# ---- the CLI ---------------------------------------------------------------------------------------------

def scrape_command(name: str, as_of: date | None, dry_run: bool, chunk_size: int, concurrency: int, out: Path) -> int:
    as_of = as_of or date.today()
    run_input = {"scraper": name, "as_of": as_of.isoformat(), "dry_run": dry_run}
    started = time.perf_counter()
    with LocalScrape(out_dir=out, chunk_size=chunk_size, max_concurrency=concurrency) as local:
        job_id = local.job_id(name, as_of)
        print(f"{name}: job {job_id}{' (dry run)' if dry_run else ''}, fixture server {local.fixture.base_url}",
              file=sys.stderr)
        arn = local.start(run_input)
        described = local.wait(arn, on_poll=_progress(local, job_id))
        elapsed = time.perf_counter() - started
        output = json.loads(described.get("output") or "{}")
        summary = local.result(job_id)
        sec = local.fixture.requests(SEC_HOSTS)
        prices = local.fixture.requests((PRICE_HOST,))
        print()
        if described["status"] != "SUCCEEDED":
            print(f"execution {described['status']}: {described.get('error')}: {described.get('cause')}")
            return 1
        _print_rows(summary.rows if summary else [])
        headline = ", ".join(f"{k} {_fmt(v)}" for k, v in (output.get("summary", {}).get("headline") or {}).items())
        counts = output.get("summary", {}).get("counts", {})
        print(f"\n{output['summary']['status']}: {counts.get('ok', 0)} ok, {counts.get('skipped', 0)} skipped, "
              f"{counts.get('failed', 0)} failed; {headline}")
        alerts = output.get("alerts", [])
        verb = "would send" if dry_run else "sent"
        print(f"\nalerts ({verb}): {len(alerts)}" + (f"  [{output['note']}]" if output.get("note") else ""))
        for alert in alerts:
            print(f"  [{alert['severity']}] {alert['title']}")
            for line in alert["message"].splitlines():
                print(f"      {line}")
        published = output.get("published", {})
        if not dry_run:
            print(f"published now: {published.get('published', [])}, already: {published.get('already_published', [])}")
        print(f"\n{elapsed:.1f} s; requests: SEC {len(sec)} (at most {local.fixture.max_in_any_window(1.0)} in any second), "
              f"prices {len(prices)}; Lambda invocations {sum(local.aws.bridge.invocations.values())}")
    return 0


def _progress(local: LocalScrape, job_id: str) -> Callable[[], None]:
    shown: dict[str, tuple[int, int]] = {}
    last = {"at": 0.0}

    def show() -> None:
        now = time.monotonic()
        if now - last["at"] < 0.3:
            return
        last["at"] = now
        for chunk in local.chunks(job_id):
            state = (int(chunk["cursor"]), int(chunk.get("invocations", 0)))
            if shown.get(chunk["sk"]) != state:
                shown[chunk["sk"]] = state
                done = " done" if chunk.get("done") else ""
                print(f"  {chunk['sk'].lower()}: {state[0]}/{int(chunk['size'])} items, {state[1]} invocation(s){done}",
                      file=sys.stderr, flush=True)

    return show


def _fmt(value: Any) -> str:
    if isinstance(value, float) and abs(value) >= 1e6:
        return f"{value:,.0f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _print_rows(rows: list[dict[str, Any]]) -> None:
    if not rows:
        print("(no items)")
        return
    columns = [c for c in rows[0] if c != "url"]
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    widths = [min(48, max(len(c), *(len(r[i]) for r in cells))) for i, c in enumerate(columns)]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths)))
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print("  ".join(v[:w].ljust(w) for v, w in zip(row, widths)))


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) < 1e6 else f"{value:,.0f}"
    if isinstance(value, int) and abs(value) >= 1e6:
        return f"{value:,}"
    return str(value).replace("\n", " ")

"""The AWS of `python -m local scrape` (local/cli/scrape.py) and of the scraper tests: the in-process
AWS with the scraper settings pointing at the loopback fixture server (never the internet)."""

from __future__ import annotations

import json
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from local.fixtures.fixture_server import FixtureServer


@dataclass
class LocalScrape:
    """The in-process AWS of `python -m local run` (the stage `local` of the infra description: the chunked
    job's state machine and topics included) with the scraper settings pointing at a fixture server. The
    local Lambda timeout is short (`chunk_timeout_seconds`) so chunks really reach their deadline and
    loop, as a long real run does with the 300 s timeout."""

    out_dir: Path = Path("out")
    chunk_size: int = 3
    max_concurrency: int = 3
    chunk_timeout_seconds: float = 8.0
    deadline_margin_seconds: float = 6.0
    retry_time_scale: float = 0.05
    fixture: FixtureServer = field(default_factory=FixtureServer)
    env_overrides: dict[str, str] = field(default_factory=dict)

    def __enter__(self) -> LocalScrape:
        from local.aws.cost_explorer.data import CostData
        from local.aws.moto_patches import atomic_dynamodb
        from local.aws.runtime import LocalAWS

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

        from local.aws.runtime import ACCOUNT_ID, REGION

        topics = sns_backends[ACCOUNT_ID][REGION].topics
        return [(arn, subject, message) for arn in (self.alert_topic_arn, self.critical_topic_arn)
                for _, message, subject, *_ in topics[arn].sent_notifications]


def _reset() -> None:
    from chalicelib.core.caches import reset_all
    from chalicelib.scraping.scrapers import scraper_for

    reset_all()
    scraper_for.cache_clear()

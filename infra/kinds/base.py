"""What every kind of resource shares: the deploy context, the created/updated/unchanged report, comparisons.

Every `ensure` reads what exists, compares it with what the stage wants and only then creates or
updates, reporting `created`, `updated` (with what changed) or `unchanged`. All clients come from
one boto3 session, so `AWS_ENDPOINT_URL` points the whole deploy at another endpoint.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from infra.naming import Concrete
from infra.stage import Stage


class DeployError(RuntimeError):
    pass


def code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def status(exc: ClientError) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))


def same(desired: Any, actual: Any) -> bool:
    """desired is a subset of actual (extra fields AWS adds are ignored; numbers compare by value)."""
    if isinstance(desired, dict):
        return isinstance(actual, dict) and all(same(v, actual.get(k)) for k, v in desired.items())
    if isinstance(desired, list):
        if not isinstance(actual, list) or len(desired) != len(actual):
            return False
        if all(isinstance(item, dict) and "Name" in item for item in desired + actual):
            # dimensions and the like: AWS may return them in another order
            desired, actual = (sorted(items, key=lambda item: str(item["Name"])) for items in (desired, actual))
        return all(map(same, desired, actual))
    if isinstance(desired, bool) or isinstance(actual, bool):
        return str(desired).lower() == str(actual).lower()
    if isinstance(desired, (int, float)) and isinstance(actual, (int, float, str)):
        try:
            return float(desired) == float(actual)
        except ValueError:
            return False
    return desired == actual


def policy_document(document: Any) -> Any:
    """IAM returns policy documents URL-encoded (boto3 usually decodes them already)."""
    if isinstance(document, str):
        from urllib.parse import unquote

        return json.loads(unquote(document))
    return document


@dataclass
class Change:
    resource: str
    action: str  # created | updated | unchanged | deleted | absent
    detail: str = ""


class Report:
    def __init__(self, out: Callable[[str], None]):
        self.out = out
        self.changes: list[Change] = []

    def add(self, resource: str, action: str, detail: str = "") -> None:
        self.changes.append(Change(resource, action, detail))
        self.out(f"  {action:<9} {resource}" + (f"  ({detail})" if detail else ""))

    def record(self, resource: str, created: bool, changes: list[str]) -> None:
        if created:
            self.add(resource, "created", ", ".join(changes))
        elif changes:
            self.add(resource, "updated", ", ".join(changes))
        else:
            self.add(resource, "unchanged")

    def count(self, action: str) -> int:
        return sum(c.action == action for c in self.changes)

    @property
    def changed(self) -> list[Change]:
        return [c for c in self.changes if c.action in ("created", "updated", "deleted")]

    def summary(self) -> str:
        parts = [f"{self.count(a)} {a}" for a in ("created", "updated", "deleted", "unchanged", "absent") if self.count(a)]
        return ", ".join(parts) or "nothing to do"


@dataclass
class Context:
    """One deploy (or teardown) of one stage into one account and region."""

    stage: Stage
    session: Any
    report: Report
    offline: bool = False
    force_chalice: bool = False
    queue_urls: dict[str, str] = field(default_factory=dict)  # queue key -> URL (set by the queue kind)
    function_arns: dict[str, str] = field(default_factory=dict)  # function name -> ARN (chalice deploy or local)
    api_url: str | None = None  # the REST API's URL chalice deploy recorded (None before, or in process)
    _clients: dict[str, Any] = field(default_factory=dict)
    _identity: tuple[str, str] | None = None

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self.session.client(service)
        return self._clients[service]

    @property
    def out(self) -> Callable[[str], None]:
        return self.report.out

    @property
    def account(self) -> str:
        return self._whoami()[0]

    @property
    def region(self) -> str:
        return self._whoami()[1]

    def _whoami(self) -> tuple[str, str]:
        if self._identity is None:
            region = self.session.region_name
            if not region:
                raise DeployError("no AWS region: set AWS_DEFAULT_REGION (or a region in your AWS profile)")
            account = self.client("sts").get_caller_identity()["Account"]
            self._identity = (account, region)
        return self._identity

    @property
    def naming(self) -> Concrete:
        naming = Concrete(self.stage, self.region, self.account, self.queue_urls)
        naming.api_url = self.api_url
        return naming

    def tags(self) -> dict[str, str]:
        return {"app": self.stage.app_name, "stage": self.stage.name}

    def tag_list(self, key: str = "Key", value: str = "Value") -> list[dict[str, str]]:
        return [{key: k, value: v} for k, v in self.tags().items()]

    def delete(self, resource: str, delete: Callable[[], Any], check: Callable[[], Any] | None,
               missing: tuple[str, ...]) -> None:
        try:
            if check is not None:
                check()
            delete()
            self.report.add(resource, "deleted")
        except ClientError as exc:
            if code(exc) not in missing:
                raise
            self.report.add(resource, "absent")


def retry(what: str, call: Callable[[], Any], codes: tuple[str, ...], attempts: int = 12, delay: float = 2.0) -> Any:
    """Retry while AWS is still propagating something (IAM roles, a table becoming ACTIVE...)."""
    for attempt in range(attempts):
        try:
            return call()
        except ClientError as exc:
            if code(exc) not in codes or attempt == attempts - 1:
                raise
            time.sleep(delay)
    raise AssertionError(what)


def current(getter: Callable[[], Any], missing: tuple[str, ...]) -> Any:
    """What a getter returns, or None when AWS says there is none of it."""
    try:
        return getter()
    except ClientError as exc:
        if code(exc) in missing:
            return None
        raise


def tags_cfn(stage: Stage) -> list[dict[str, Any]]:
    return [{"Key": "app", "Value": stage.app_name}, {"Key": "stage", "Value": {"Ref": "Stage"}}]

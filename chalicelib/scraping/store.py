"""The job's state in the project table: the plan, one checkpoint per chunk, the result, the alert ledger.

  SCRAPE#<scraper>#<as_of> / PLAN          item count, chunk count, who planned it
  SCRAPE#<scraper>#<as_of> / CHUNK#<n>     the chunk's items, cursor, outcomes so far, done
  SCRAPE#<scraper>#<as_of> / RESULT        the summary (headline + rows) of the last aggregation
  SCRAPE#<scraper>#<as_of> / ALERT#<rule>  an alert published (message id), written once
  SCRAPE#<scraper>#<as_of> / METRIC        the job's metric recorded, written once

A checkpoint moves the cursor and appends the item's outcome in ONE conditional write (cursor must
still be where this invocation read it), so an outcome is recorded exactly once whatever repeats.
"""

from __future__ import annotations

import json
from typing import Any

from chalicelib.core.constants import PK_SCRAPE_PREFIX, TTL_ATTRIBUTE
from chalicelib.core.errors import DataValidationError, classify_aws_error
from chalicelib.core.periods import utcnow
from chalicelib.core.store import table
from chalicelib.scraping.contracts import ItemOutcome, Summary

EXPIRY_DAYS = 400  # quarterly jobs compare with last quarter's; kept a little over a year (TTL)


def _now() -> str:
    return utcnow().isoformat(timespec="milliseconds")


class JobStore:
    def __init__(self, job_id: str) -> None:
        self.pk = f"{PK_SCRAPE_PREFIX}{job_id}"
        self.table = table.table()

    def _get(self, sk: str, doing: str) -> dict[str, Any] | None:
        with table.translated(f"job store: {doing}"):
            return self.table.get_item(Key={"pk": self.pk, "sk": sk}, ConsistentRead=True).get("Item")

    def _update(self, sk: str, doing: str, **request: Any) -> None:
        with table.translated(f"job store: {doing}"):
            self.table.update_item(Key={"pk": self.pk, "sk": sk}, **request)

    # ---- plan ----------------------------------------------------------------------------------------

    def plan(self) -> dict[str, Any] | None:
        return self._get("PLAN", "read plan")

    def create_plan(self, chunks: list[list[dict[str, Any]]], execution_name: str) -> bool:
        """Write the chunks, then the PLAN record: False when another execution planned first.

        A chunk is (re)written only while untouched (a Plan retried after writing some chunks rewrites
        them; a chunk another execution has started is never reset); PLAN is written last, so a PLAN
        record means every chunk exists."""
        for index, items in enumerate(chunks):
            self._put_once({"sk": f"CHUNK#{index:05d}", "items": json.dumps(items), "size": len(items), "cursor": 0,
                            "outcomes": [], "done": len(items) == 0, "invocations": 0}, "write chunk",
                           condition="attribute_not_exists(pk) OR (#cursor = :zero AND invocations = :zero)",
                           names={"#cursor": "cursor"}, values={":zero": 0})
        return self._put_once({"sk": "PLAN", "chunk_count": len(chunks), "item_count": sum(map(len, chunks)),
                               "planned_by": execution_name, "planned_at": _now()}, "write plan")

    def _put_once(self, item: dict[str, Any], doing: str, condition: str = "attribute_not_exists(pk)",
                  names: dict[str, str] | None = None, values: dict[str, Any] | None = None) -> bool:
        """A conditional put: False when the condition failed (the record is already there)."""
        extra: dict[str, Any] = {}
        if names:
            extra["ExpressionAttributeNames"] = names
        if values:
            extra["ExpressionAttributeValues"] = values
        try:
            self.table.put_item(Item={"pk": self.pk, **item, TTL_ATTRIBUTE: table.expiry(EXPIRY_DAYS)},
                                ConditionExpression=condition, **extra)
            return True
        except Exception as exc:
            if table.condition_failed(exc):
                return False
            raise classify_aws_error(exc, f"job store: {doing}") from exc

    # ---- chunks --------------------------------------------------------------------------------------

    def chunk(self, index: int) -> dict[str, Any]:
        item = self._get(f"CHUNK#{index:05d}", "read chunk")
        if item is None:
            raise DataValidationError(f"{self.pk}: chunk {index} was never planned")
        return item

    def chunks(self) -> list[dict[str, Any]]:
        return list(table.query("job store: read chunks", KeyConditionExpression="pk = :pk AND begins_with(sk, :chunk)",
                                ExpressionAttributeValues={":pk": self.pk, ":chunk": "CHUNK#"}, ConsistentRead=True))

    def advance(self, index: int, expected_cursor: int, outcome: ItemOutcome, size: int) -> bool:
        """Record one item's outcome and move the cursor past it; False when the cursor had moved already."""
        try:
            self.table.update_item(
                Key={"pk": self.pk, "sk": f"CHUNK#{index:05d}"},
                UpdateExpression="SET #cursor = :next, outcomes = list_append(outcomes, :outcome), #done = :done, "
                                 "updated_at = :now",
                ConditionExpression="#cursor = :expected",
                ExpressionAttributeNames={"#cursor": "cursor", "#done": "done"},
                ExpressionAttributeValues={":next": expected_cursor + 1, ":expected": expected_cursor,
                                           ":outcome": [outcome.model_dump_json()], ":done": expected_cursor + 1 >= size,
                                           ":now": _now()},
            )
            return True
        except Exception as exc:
            if table.condition_failed(exc):
                return False
            raise classify_aws_error(exc, "job store: checkpoint") from exc

    def count_invocation(self, index: int) -> None:
        self._update(f"CHUNK#{index:05d}", "count invocation", UpdateExpression="ADD invocations :one",
                     ExpressionAttributeValues={":one": 1})

    # ---- result and ledger ---------------------------------------------------------------------------

    def put_result(self, summary: Summary, status: str) -> None:
        with table.translated("job store: write result"):
            self.table.put_item(Item={"pk": self.pk, "sk": "RESULT", "status": status, "summary": summary.model_dump_json(),
                                      "updated_at": _now(), TTL_ATTRIBUTE: table.expiry(EXPIRY_DAYS)})

    def result(self) -> Summary | None:
        item = self._get("RESULT", "read result")
        return Summary.model_validate_json(item["summary"]) if item else None

    def ledger(self, sk: str) -> dict[str, Any] | None:
        return self._get(sk, "read ledger")

    def claim(self, sk: str, execution_name: str) -> bool:
        """Write a ledger entry once; False when it exists (an earlier execution or attempt wrote it)."""
        return self._put_once({"sk": sk, "status": "pending", "by": execution_name, "at": _now()}, "claim ledger entry")

    def complete(self, sk: str, **fields: Any) -> None:
        names = {f"#{k}": k for k in fields}
        self._update(sk, "complete ledger entry",
                     UpdateExpression="SET " + ", ".join(["#status = :done", *(f"#{k} = :{k}" for k in fields)]),
                     ExpressionAttributeNames={"#status": "status", **names},
                     ExpressionAttributeValues={":done": "done", **{f":{k}": v for k, v in fields.items()}})


def outcomes_of(chunk: dict[str, Any]) -> list[ItemOutcome]:
    return [ItemOutcome.model_validate_json(text) for text in chunk.get("outcomes", [])]


def items_of(chunk: dict[str, Any]) -> list[dict[str, Any]]:
    return json.loads(chunk["items"])

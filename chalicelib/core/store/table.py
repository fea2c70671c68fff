"""The project's DynamoDB table, and the one way every subsystem reaches it.

One table, composite key (pk, sk); each subsystem keeps its own records in it, in its own store
(partition keys: chalicelib/core/constants.py):

  CLIENTS                        client configs                 chalicelib/core/clients.py
  DELIVERY#, RUN#, RUNS          report deliveries and runs     chalicelib/reports/store.py
  BUDGET#, BUDGETRUN#            budget crossings and checks    chalicelib/budgets/store.py
  NOTIFY#                        notifications: queued once     chalicelib/core/notifications.py
                                 (META), sent once per channel  chalicelib/notify/store.py
  METRICS#, SUMMARY#, AGGREGATION#  run metrics and summaries   chalicelib/metrics/store.py
  SCRAPE#, RATELIMIT#            scraper jobs, the SEC limiter  chalicelib/scraping/store.py, scraping/http.py
  idempotency#...                Powertools idempotency records (deliver_report, publish_summaries)

Here: the Table object, AWS errors translated into taxonomy errors, every page of a query,
conditional transactions, and how a refused condition shows.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from chalicelib.core import aws
from chalicelib.core.errors import aws_error_code, classify_aws_error
from chalicelib.core.periods import utcnow


def table() -> Any:
    """The boto3 Table (built once per container: chalicelib/core/aws.py)."""
    from chalicelib.core.settings import get_settings  # pydantic-settings: only where the table is used

    return aws.dynamodb_table(get_settings().table_name)


@contextmanager
def translated(doing: str) -> Iterator[None]:
    """An AWS error raised inside becomes a taxonomy error (`doing` says what failed):

        with table.translated("record delivery"):
            table.table().put_item(Item=item)
    """
    try:
        yield
    except Exception as exc:
        raise classify_aws_error(exc, doing) from exc


def query(doing: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
    """Every item of a Query (every page, LastEvaluatedKey followed)."""
    dynamo = table()
    while True:
        with translated(doing):
            page = dynamo.query(**kwargs)
        yield from page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            return
        kwargs = {**kwargs, "ExclusiveStartKey": page["LastEvaluatedKey"]}


def clean(attrs: dict[str, Any]) -> dict[str, Any]:
    """Leave out attributes without a value (None or ""): an absent attribute reads back the same."""
    return {k: v for k, v in attrs.items() if v is not None and v != ""}


def update(key: dict[str, str], attrs: dict[str, Any], doing: str) -> None:
    """SET each attribute that has a value (clean) on the item at `key`."""
    attrs = clean(attrs)
    names = {f"#a{i}": name for i, name in enumerate(attrs)}
    values = {f":v{i}": value for i, value in enumerate(attrs.values())}
    expression = "SET " + ", ".join(f"#a{i} = :v{i}" for i in range(len(attrs)))
    with translated(doing):
        table().update_item(Key=key, UpdateExpression=expression, ExpressionAttributeNames=names,
                            ExpressionAttributeValues=values)


def transact_put(items: list[dict[str, Any]], condition: str = "attribute_not_exists(pk)") -> None:
    """Put every item in ONE TransactWriteItems, each under `condition`; raises the botocore error
    as it is (the caller tells a refused condition, `cancelled_by_condition`, from a failure)."""
    table_name = table().table_name
    transact_write([{"Put": {"TableName": table_name, "Item": serialized(item),
                             "ConditionExpression": condition}} for item in items])


def transact_write(transact_items: list[dict[str, Any]]) -> None:
    """One TransactWriteItems of low-level items (`serialized` values)."""
    aws.client("dynamodb").transact_write_items(TransactItems=transact_items)


def serialized(item: dict[str, Any]) -> dict[str, Any]:
    """An item in the low-level client's typed form ({"S": ...}, {"N": ...})."""
    from boto3.dynamodb.types import TypeSerializer

    serialize = TypeSerializer().serialize
    return {key: serialize(value) for key, value in item.items()}


def condition_failed(exc: BaseException) -> bool:
    """A conditional write refused by its condition (the item was not as the write required)."""
    return aws_error_code(exc) == "ConditionalCheckFailedException"


def cancelled_by_condition(exc: BaseException, first_only: bool = False) -> bool:
    """A transaction cancelled because a condition did not hold: any item's (or only the first's)."""
    if aws_error_code(exc) != "TransactionCanceledException":
        return False
    reasons = getattr(exc, "response", {}).get("CancellationReasons") or []
    codes = [reason.get("Code") for reason in reasons[:1 if first_only else None]]
    return "ConditionalCheckFailed" in codes


def expiry(days: int) -> int:
    """The TTL attribute's value (TTL_ATTRIBUTE, epoch seconds) for an item kept `days` from now."""
    return int((utcnow() + timedelta(days=days)).timestamp())

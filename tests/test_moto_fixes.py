"""local/moto_fixes.py: a Query on the table's key answers exactly what moto answers without the fix
(order, key conditions, filters, pages), reading one partition instead of sorting the whole table."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from local.moto_fixes import partition_queries


@pytest.fixture
def table(monkeypatch: pytest.MonkeyPatch) -> Any:
    from moto import mock_aws

    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        boto3.client("dynamodb").create_table(
            TableName="t", BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"}])
        resource = boto3.resource("dynamodb").Table("t")
        with resource.batch_writer() as writer:
            for p in range(30):
                for s in range(25):
                    writer.put_item(Item={"pk": f"P{p}", "sk": f"S{s:03d}", "even": s % 2 == 0})
        yield resource


def _pages(table: Any, **query: Any) -> list[list[str]]:
    pages, start = [], None
    for _ in range(50):  # bounded
        answer = table.query(**query, **({"ExclusiveStartKey": start} if start else {}))
        pages.append([item["sk"] for item in answer["Items"]])
        start = answer.get("LastEvaluatedKey")
        if not start:
            return pages
    raise AssertionError("more than 50 pages")


QUERIES = [
    {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": "P7"}},
    {"KeyConditionExpression": "pk = :p AND sk BETWEEN :a AND :b", "ScanIndexForward": False,
     "ExpressionAttributeValues": {":p": "P3", ":a": "S005", ":b": "S012"}},
    {"KeyConditionExpression": "pk = :p AND begins_with(sk, :s)", "FilterExpression": "even = :t", "Limit": 4,
     "ExpressionAttributeValues": {":p": "P29", ":s": "S01", ":t": True}},
    {"KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": "nobody"}},
]


@pytest.mark.parametrize("query", QUERIES, ids=["partition", "between-descending", "filtered-pages", "empty"])
def test_a_partition_query_answers_what_moto_answers(table: Any, query: dict[str, Any]) -> None:
    expected = _pages(table, **query)
    undo = partition_queries()
    try:
        assert _pages(table, **query) == expected
        assert partition_queries()() is None  # nested: the outer install stays, its undo restores
    finally:
        undo()
    assert _pages(table, **query) == expected  # undone
    assert any(expected) == (query["ExpressionAttributeValues"][":p"] != "nobody")  # the cases are not vacuous

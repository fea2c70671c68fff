"""local/aws/moto_patches.py: a Query on the table's key answers exactly what moto answers without the fix
(order, key conditions, filters, pages), reading one partition instead of sorting the whole table."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from local.aws.moto_patches import partition_queries


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)


@pytest.fixture
def table() -> Any:
    from moto import mock_aws

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


def test_the_fast_sqs_clock_keeps_visibility_counts_and_retention() -> None:
    import time

    from moto import mock_aws

    from local.aws.moto_patches import fast_sqs_clock

    undo = fast_sqs_clock()
    try:
        with mock_aws():
            sqs = boto3.client("sqs")
            url = sqs.create_queue(QueueName="q", Attributes={"MessageRetentionPeriod": "60"})["QueueUrl"]
            sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"m{i}"} for i in range(6)])

            def receive(visibility: int) -> list[str]:
                answer = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=visibility)
                return sorted(m["Body"] for m in answer.get("Messages", []))

            assert receive(1) == [f"m{i}" for i in range(6)]
            assert receive(1) == []  # in flight for a second
            attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
            assert (attributes["ApproximateNumberOfMessages"], attributes["ApproximateNumberOfMessagesNotVisible"]) == ("0", "6")
            time.sleep(1.2)
            assert receive(30) == [f"m{i}" for i in range(6)]  # visible again after the timeout
            # retention: a message older than the queue's retention period is never handed out
            sqs.set_queue_attributes(QueueUrl=url, Attributes={"MessageRetentionPeriod": "60", "VisibilityTimeout": "0"})
            sqs.send_message(QueueUrl=url, MessageBody="old")
            import moto.sqs.models as sqs_models

            queue = next(iter(sqs_models.sqs_backends["123456789012"]["us-east-1"].queues.values()))
            old = next(m for m in queue._messages if m.body == "old")
            old.sent_timestamp -= 61_000  # sent 61 s ago
            assert receive(30) == []
    finally:
        undo()
    assert not getattr(__import__("moto.sqs.models", fromlist=["unix_time"]).unix_time, "_fast", False)  # undone


def test_concurrent_writers_of_one_s3_key_all_succeed_and_the_last_wins() -> None:
    import threading

    from moto import mock_aws

    from local.aws.moto_patches import atomic_s3

    undo = atomic_s3()
    try:
        with mock_aws():
            s3 = boto3.client("s3")
            s3.create_bucket(Bucket="shared-bucket")
            errors: list[BaseException] = []

            def write(n: int) -> None:
                try:
                    for _ in range(20):
                        s3.put_object(Bucket="shared-bucket", Key="shared.json", Body=f'{{"writer": {n}}}'.encode())
                except BaseException as exc:  # noqa: BLE001 - collected for the assertion
                    errors.append(exc)

            threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
            assert errors == []
            body = s3.get_object(Bucket="shared-bucket", Key="shared.json")["Body"].read()
            assert body in {f'{{"writer": {n}}}'.encode() for n in range(4)}
    finally:
        undo()


def test_the_lazy_batch_package_keeps_ec2_out_until_batch_is_used() -> None:
    """lazy_moto_batch: the engine's import of moto.batch.utils no longer loads EC2's tables, and
    moto.batch still answers as the real package when Batch is used (in a fresh interpreter: this
    one may have imported moto.batch already)."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from local.aws.moto_patches import lazy_moto_batch\n"
        "lazy_moto_batch()\n"
        "import moto.stepfunctions.parser.models\n"  # what the engine imports, moto.batch.utils with it
        "assert 'moto.batch.utils' in sys.modules, 'the engine no longer imports moto.batch.utils'\n"
        "assert 'moto.ec2' not in sys.modules, 'EC2 loaded'\n"
        "import moto.batch\n"
        "from moto.batch.models import batch_backends\n"
        "assert moto.batch.batch_backends is batch_backends\n"
        "assert 'moto.ec2.models.instance_types' in sys.modules\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


def _every_backend_url_table() -> dict[str, Any]:
    from moto.backends import get_backend
    from moto.core import DEFAULT_ACCOUNT_ID

    tables = {}
    for service in ("s3", "dynamodb", "sqs", "sesv2", "stepfunctions", "sns", "sts"):
        regions = get_backend(service)[DEFAULT_ACCOUNT_ID]
        backend = regions["us-east-1"] if "us-east-1" in regions else regions["aws"]
        tables[service] = backend.urls
    return tables


def test_cached_backend_url_tables_are_moto_s_own_and_follow_a_custom_s3_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    from local.aws.moto_patches import cached_backend_urls

    monkeypatch.delenv("MOTO_S3_CUSTOM_ENDPOINTS", raising=False)
    expected = _every_backend_url_table()
    undo = cached_backend_urls()
    try:
        assert cached_backend_urls()() is None  # nested: the outer install stays
        assert _every_backend_url_table() == expected
        assert _every_backend_url_table()["s3"] is _every_backend_url_table()["s3"]  # computed once
        # The one input moto reloads its S3 routes for: a custom endpoint is routed as moto routes it.
        monkeypatch.setenv("MOTO_S3_CUSTOM_ENDPOINTS", "http://objects.example.test:9000")
        with_endpoint = _every_backend_url_table()["s3"]
        assert any("objects.example.test" in url for url in with_endpoint)
    finally:
        undo()
    assert _every_backend_url_table()["s3"] == with_endpoint  # undone: moto's own answer, the same table
    monkeypatch.delenv("MOTO_S3_CUSTOM_ENDPOINTS")
    assert _every_backend_url_table() == expected


def test_cached_response_method_names_are_moto_s_listing() -> None:
    import moto.core.responses as responses
    from moto.dynamodb.responses import DynamoHandler
    from moto.s3.responses import S3Response
    from moto.sqs.responses import SQSResponse

    from local.aws.moto_patches import cached_response_method_names

    classes = (DynamoHandler, S3Response, SQSResponse)
    expected = [responses.method_names_from_class(c) for c in classes]
    undo = cached_response_method_names()
    try:
        assert [responses.method_names_from_class(c) for c in classes] == expected
        assert [responses.method_names_from_class(c) for c in classes] == expected  # from the cache
        assert "put_item" in expected[0] and "receive_message" in expected[2]
    finally:
        undo()
    assert not getattr(responses.method_names_from_class, "_cached", False)


def test_cached_json_paths_answer_what_the_engine_s_parser_answers() -> None:
    from moto.stepfunctions.parser.asl.utils import json_path

    from local.aws.moto_patches import cached_json_paths

    data = {"run": {"run_id": "r1", "periods": [{"start": "a"}, {"start": "b"}]}, "items": [1, 2, 3], "x": None}
    paths = ["$", "$.run", "$.run.run_id", "$.run.periods[1].start", "$.run.periods[*].start", "$.items[0]",
             "$.items[1:]", "$.x"]
    expected = [json_path.extract_json(path, data) for path in paths]
    undo = cached_json_paths()
    try:
        assert cached_json_paths()() is None  # nested
        for _ in range(2):  # parsed, then from the cache
            assert [json_path.extract_json(path, data) for path in paths] == expected
        with pytest.raises(json_path.NoSuchJsonPathError):
            json_path.extract_json("$.missing", data)
    finally:
        undo()
    assert not getattr(json_path.parse, "_cached", False)
    assert expected[2] == "r1" and expected[4] == ["a", "b"]  # the cases are not vacuous


# (UpdateExpression, names, values): accepted ones, then each of the checks the cache may skip once passed
# (two clauses of one kind, overlapping paths, a key attribute updated), a bad syntax and a missing value.
UPDATES: list[tuple[str, dict[str, str], dict[str, Any]]] = [
    ("SET n = if_not_exists(n, :zero) + :one, #l = list_append(if_not_exists(#l, :empty), :item)",
     {"#l": "log"}, {":zero": 0, ":one": 1, ":empty": [], ":item": ["x"]}),
    ("ADD #t :amount, #c :one REMOVE gone", {"#c": "count", "#t": "total"}, {":amount": 2, ":one": 1}),
    ("SET a = :one SET b = :one", {}, {":one": 1}),
    ("SET a.b = :one, a = :one", {}, {":one": 1}),
    ("SET #k = :one", {"#k": "sk"}, {":one": "S001"}),
    ("SET #k = :one", {"#k": "other"}, {":one": "S001"}),  # the same expression, other names: accepted
    ("SET = :one", {}, {":one": 1}),
    ("SET n = :missing", {}, {}),
    ("SET n = n + :one", {}, {":one": "text"}),  # the item's n is a number: a type error
]


def _update_answers(table: Any) -> list[Any]:
    answers = []
    for expression, names, values in UPDATES:
        request: dict[str, Any] = {"Key": {"pk": "P1", "sk": "S001"}, "UpdateExpression": expression,
                                   "ReturnValues": "ALL_NEW"}
        if names:
            request["ExpressionAttributeNames"] = names
        if values:
            request["ExpressionAttributeValues"] = values
        try:
            answers.append(table.update_item(**request)["Attributes"])
        except Exception as error:  # noqa: BLE001 - the error itself is the answer compared
            answers.append((type(error).__name__, str(error)))
    return answers


def test_cached_update_expressions_answer_what_moto_answers(table: Any) -> None:
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser

    from local.aws.moto_patches import cached_update_expressions

    expected = [_update_answers(table) for _ in range(2)]  # moto's own answers, twice (the item changes)
    table.put_item(Item={"pk": "P1", "sk": "S001", "even": False})  # as the fixture wrote it
    undo = cached_update_expressions()
    try:
        assert cached_update_expressions()() is None  # nested
        assert [_update_answers(table) for _ in range(2)] == expected  # parsed and checked, then from the cache
    finally:
        undo()
    assert not getattr(UpdateExpressionParser.make.__func__, "_cached", False)
    errors = [answer[0] for answer in expected[0] if isinstance(answer, tuple)]
    assert len(errors) == 6 and expected[0][5]["other"] == "S001"  # the cases are not vacuous
    assert expected[1][0]["n"] == 2 and expected[1][1]["total"] == 4


def _serialised_answers() -> list[Any]:
    """Answers serialised from dicts (items of every attribute type, batch reads) and from moto's objects
    (a table's description, an SQS queue's attributes and messages), without their request ids."""
    dynamodb, sqs = boto3.client("dynamodb"), boto3.client("sqs")
    answers: list[Any] = [
        dynamodb.query(TableName="t", KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "P2"}},
                       Limit=3),
        dynamodb.get_item(TableName="t", Key={"pk": {"S": "typed"}, "sk": {"S": "all"}}),
        dynamodb.batch_get_item(RequestItems={"t": {"Keys": [{"pk": {"S": "typed"}, "sk": {"S": "all"}},
                                                             {"pk": {"S": "P0"}, "sk": {"S": "S000"}}]}}),
        dynamodb.describe_table(TableName="t")["Table"]["KeySchema"],
    ]
    url = sqs.create_queue(QueueName="q", Attributes={"VisibilityTimeout": "0"})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="body", MessageAttributes={"a": {"DataType": "String", "StringValue": "v"}})
    answers.append(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout", "DelaySeconds"]))
    received = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"])["Messages"][0]
    answers.append({k: v for k, v in received.items() if k not in ("ReceiptHandle", "MessageId")})
    sqs.delete_queue(QueueUrl=url)
    for answer in answers:
        if isinstance(answer, dict):
            answer.pop("ResponseMetadata", None)
    return answers


def test_cached_response_attribute_names_serialise_what_moto_serialises(table: Any) -> None:
    from moto.core.serialize import XFormedAttributePicker

    from local.aws.moto_patches import cached_response_attribute_names

    table.put_item(Item={"pk": "typed", "sk": "all", "s": "x", "n": 2, "b": b"\x00\x01", "ss": {"a", "b"},
                         "ns": {1, 2}, "bs": {b"z"}, "l": [1, "two", None, True, {"m": [b"y"]}],
                         "m": {"inner": {"deeper": ["x"]}}, "null": None, "bool": False})
    expected = _serialised_answers()
    undo = cached_response_attribute_names()
    try:
        assert cached_response_attribute_names()() is None  # nested
        for _ in range(2):  # the names listed, then from the cache
            assert _serialised_answers() == expected
    finally:
        undo()
    assert not getattr(XFormedAttributePicker.get_possible_keys, "_cached", False)
    item = expected[1]["Item"]
    assert item["l"]["L"][4] == {"M": {"m": {"L": [{"B": b"y"}]}}} and item["bs"] == {"BS": [b"z"]}  # not vacuous
    assert len(expected[0]["Items"]) == 3 and len(expected[2]["Responses"]["t"]) == 2
    assert expected[5]["Body"] == "body" and expected[5]["MessageAttributes"]["a"]["StringValue"] == "v"


def test_every_hook_is_undone_even_when_one_fails() -> None:
    """A runtime's teardown undoes every patch though one undo raises, then raises it: a patch left
    installed would be wrapped again by the next runtime of the process."""
    from types import SimpleNamespace

    from local.aws.runtime import LocalRuntime

    undone: list[str] = []

    def failing() -> None:
        undone.append("failing")
        raise RuntimeError("undo failed")

    runtime = SimpleNamespace(_uninstall=[lambda: undone.append("first"), failing, lambda: undone.append("last")])
    with pytest.raises(RuntimeError, match="undo failed"):
        LocalRuntime.uninstall_hooks(runtime)  # type: ignore[arg-type]
    assert undone == ["last", "failing", "first"] and runtime._uninstall == []

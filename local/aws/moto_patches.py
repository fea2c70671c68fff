"""Every patch of moto the local AWS applies: where moto differs from AWS in a way our code depends
on, or costs what AWS does not. Each returns the function that undoes it (LocalRuntime in runtime.py
installs them and undoes them on exit), but `detach_moto_event_source_mappings`, which clears what
a deploy made.

Step Functions engine: `reuse_engine_lambda_clients` (one boto3 client per region and service
instead of one per task), `scale_retry_sleeps` (Retry intervals scaled for local runs),
`name_unnamed_executions` (a UUID, as AWS gives, instead of `None`).

DynamoDB: conditional writes are atomic in AWS. moto checks the condition and applies the write as
separate Python steps, so two threads (two "Lambdas" of one local process) can both pass the same
condition: the rate limiter's slot reservation and the chunk checkpoint rely on that atomicity.
`atomic_dynamodb` puts one lock around moto's item handlers: the writes (condition, write and the
returned attributes: moto builds ReturnValues from the live item after the write, where another
thread's write may already show) and the reads, which iterate the same dicts a concurrent write
resizes ("dictionary changed size during iteration" in a Query beside a PutItem: a failure DynamoDB
never gives). `exact_number_arithmetic` adds numbers as DynamoDB does.

S3: `atomic_s3` (two writers of one key: the last one wins). SQS: `detach_moto_event_source_mappings`
(the local SQS poller is the event source mapping).

Speed, where moto's cost grows with the data and a local run at scale spent its time:
`partition_queries` (moto sorts the whole table for every Query), `item_scoped_transactions` (moto
copies every table a transaction names) and `fast_sqs_clock` (every receive walked the whole queue
through datetime arithmetic).
"""

from __future__ import annotations

import copy
import functools
import threading
import types
from collections.abc import Callable
from typing import Any

# ---- Step Functions engine ------------------------------------------------------------------------


def reuse_engine_lambda_clients() -> Callable[[], None]:
    """moto's engine builds a new boto3 client for every Lambda task (several ms each, most of the
    engine's per-task cost); reuse one per (region, service) for the life of this local AWS.

    The engine passes the execution's credentials on every call, but `boto_client_for` ignores them
    (it always uses fixed test keys), so they are not part of the key: a cache that fell back to the
    uncached path whenever credentials were passed would never hit (FIELD_NOTES; 8x the engine's
    speed measured by `python -m bench.pipeline --modes floor`)."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils

    original = lambda_eval_utils.boto_client_for
    cache: dict[tuple[str, str], Any] = {}
    lock = threading.Lock()

    def cached(region: str, service: str, state_credentials: Any = None) -> Any:
        with lock:
            if (region, service) not in cache:
                cache[(region, service)] = original(region=region, service=service)
            return cache[(region, service)]

    lambda_eval_utils.boto_client_for = cached
    return lambda: setattr(lambda_eval_utils, "boto_client_for", original)


def scale_retry_sleeps(scale: float) -> Callable[[], None]:
    """moto's engine really sleeps between retries; scale those sleeps for local runs and tests."""
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl

    original = retrier_decl.time
    real_time = __import__("time")
    retrier_decl.time = types.SimpleNamespace(sleep=lambda seconds: real_time.sleep(seconds * scale))  # type: ignore[attr-defined]
    return lambda: setattr(retrier_decl, "time", original)


def name_unnamed_executions() -> Callable[[], None]:
    """moto 5.2.5's executing engine names an execution started without a name `None`, so a second
    unnamed start fails with ExecutionAlreadyExists. AWS generates a UUID: so does this shim."""
    import uuid

    from moto.stepfunctions.parser.models import StepFunctionsParserBackend

    original = StepFunctionsParserBackend.start_execution

    def start_execution(self: Any, state_machine_arn: str, name: Any = None, execution_input: Any = None,
                        trace_header: Any = None) -> Any:
        return original(self, state_machine_arn, name or str(uuid.uuid4()), execution_input, trace_header)

    StepFunctionsParserBackend.start_execution = start_execution  # type: ignore[method-assign]
    return lambda: setattr(StepFunctionsParserBackend, "start_execution", original)


# ---- DynamoDB -------------------------------------------------------------------------------------


_OPERATIONS = ("put_item", "update_item", "delete_item", "transact_write_items", "batch_write_item",
               "get_item", "batch_get_item", "transact_get_items", "query", "scan")
_dynamodb_lock = threading.RLock()
_transaction_lock = threading.Lock()


def _serialise(cls: Any, names: tuple[str, ...], lock: Any) -> Callable[[], None]:
    """Wrap methods `names` of moto handler class `cls` in `lock`; returns the function that undoes
    it. Idempotent when nested: a method already wrapped by an outer caller is left alone."""
    originals: dict[str, Any] = {}
    for name in names:
        method = getattr(cls, name)
        if getattr(method, "_atomic", False):
            continue

        @functools.wraps(method)
        def locked(self: Any, *args: Any, __method: Any = method, **kwargs: Any) -> Any:
            with lock:
                return __method(self, *args, **kwargs)

        locked._atomic = True  # type: ignore[attr-defined]
        originals[name] = method
        setattr(cls, name, locked)

    def undo() -> None:
        for name, method in originals.items():
            setattr(cls, name, method)

    return undo


def atomic_dynamodb() -> Callable[[], None]:
    """Serialise moto's DynamoDB item operations; returns the function that undoes it (idempotent when nested)."""
    from moto.dynamodb.responses import DynamoHandler

    return _serialise(DynamoHandler, _OPERATIONS, _dynamodb_lock)


def partition_queries() -> Callable[[], None]:
    """moto answers a Query on a table's own key by sorting every item of the table, then keeping
    the partition's: each query costs O(table), so a local run's aggregation of 1,000 tenants spent
    minutes sorting. DynamoDB reads one partition; this reads the partition's items alone (the same
    order, the same filters after). Returns the function that undoes it (idempotent when nested)."""
    from moto.dynamodb.models.table import Table

    if getattr(Table.query, "_partitioned", False):
        return lambda: None
    original_query, original_all_items = Table.query, Table.all_items
    querying = threading.local()

    def all_items(self: Any) -> Any:
        hash_key = getattr(querying, "hash_key", None)
        if hash_key is None or not self.range_key_attr:
            return original_all_items(self)
        partition = self.items.get(hash_key, {})
        return sorted(partition.values(), key=lambda item: item.range_key)

    @functools.wraps(original_query)
    def query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = kwargs.get("index_name") if "index_name" in kwargs else (args[6] if len(args) > 6 else None)
        querying.hash_key = None if index_name else hash_key
        try:
            return original_query(self, hash_key, *args, **kwargs)
        finally:
            querying.hash_key = None

    query._partitioned = True  # type: ignore[attr-defined]
    Table.query, Table.all_items = query, all_items  # type: ignore[method-assign]

    def undo() -> None:
        Table.query, Table.all_items = original_query, original_all_items  # type: ignore[method-assign]

    return undo


def exact_number_arithmetic() -> Callable[[], None]:
    """DynamoDB adds numbers exactly, to 38 significant digits, whatever notation they were sent in.
    moto's ADD parses an operand as an integer unless it holds a ".", so a number boto3 serializes
    in exponent notation (Decimal("1E-10"), a sub-cent amount with 10 decimals, is sent as "1E-10")
    failed the whole transaction with ValueError, and its digits were added in a 28-digit context.
    The same arithmetic with Decimal for every non-integer, in DynamoDB's 38 digits. Returns the
    function that undoes it (idempotent when nested)."""
    from decimal import Context, Decimal

    from moto.dynamodb.models.dynamo_type import DDBType, DynamoType

    if getattr(DynamoType.__add__, "_exact", False):
        return lambda: None
    original_add, original_sub = DynamoType.__add__, DynamoType.__sub__
    context = Context(prec=38)

    def number(value: str) -> Decimal | int:
        return int(value) if value.lstrip("-").isdigit() else Decimal(value)

    def arithmetic(original: Any, operation: Callable[[Any, Any], Any]) -> Any:
        @functools.wraps(original)
        def exact(self: Any, other: Any) -> Any:
            if self.type != DDBType.NUMBER or other.type != DDBType.NUMBER:
                return original(self, other)
            left, right = number(self.value), number(other.value)
            if isinstance(left, int) and isinstance(right, int):
                return DynamoType({DDBType.NUMBER: str(operation(left, right))})
            return DynamoType({DDBType.NUMBER: str(context.create_decimal(operation(Decimal(left), Decimal(right))))})

        exact._exact = True  # type: ignore[attr-defined]
        return exact

    DynamoType.__add__ = arithmetic(original_add, lambda a, b: context.add(a, b) if isinstance(a, Decimal) else a + b)
    DynamoType.__sub__ = arithmetic(original_sub, lambda a, b: context.subtract(a, b) if isinstance(a, Decimal) else a - b)

    def undo() -> None:
        DynamoType.__add__, DynamoType.__sub__ = original_add, original_sub  # type: ignore[method-assign]

    return undo


def item_scoped_transactions() -> Callable[[], None]:
    """TransactWriteItems at the cost of the items it writes, not of the table.

    moto 5.2.5 backs up a transaction by deep-copying every table it names, once per item, before
    writing: the cost grows with the table, so on a table with a few thousand items (a local run of
    many clients: configs, run records, metric events) each metric event costs a large fraction of a
    second. This keeps moto's own transaction logic and replaces only that backup: the items the
    transaction names are copied before it runs and put back if it is cancelled, which is the same
    all-or-nothing outcome. The cost is then per item, as in DynamoDB.

    Returns the function that undoes it."""
    from moto.dynamodb import models
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    original_copy, original_transact = models.copy, DynamoDBBackend.transact_write_items

    def deepcopy(value: Any, memo: Any = None) -> Any:
        # Tables are no longer copied (their touched items are, below); anything else still is.
        return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> Any:
        with _transaction_lock:  # moto's backend is not thread-safe across a transaction either
            saved = _snapshot(self, transact_items)
            try:
                return original_transact(self, transact_items)
            except Exception:
                for table, hash_key, range_key, before in reversed(saved):
                    if table.get_item(hash_key, range_key) is not None:
                        table.delete_item(hash_key, range_key)
                    if before is not None:
                        if range_key is not None:
                            table.items[hash_key][range_key] = before
                        else:
                            table.items[hash_key] = before
                raise

    def _snapshot(self: Any, transact_items: list[dict[str, Any]]) -> list[tuple[Any, Any, Any, Any]]:
        """(table, hash key, range key, a copy of the item before or None) for every item named."""
        saved = []
        for entry in transact_items:
            operation = next(iter(entry.values()))
            if operation.get("TableName") not in self.tables:
                continue
            table = self.tables[operation["TableName"]]
            key = operation.get("Key") or operation.get("Item") or {}
            if table.hash_key_attr not in key:
                continue
            hash_key = DynamoType(key[table.hash_key_attr])
            range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr in key else None
            before = table.get_item(hash_key, range_key)
            saved.append((table, hash_key, range_key, copy.deepcopy(before) if before else None))
        return saved

    models.copy = types.SimpleNamespace(deepcopy=deepcopy, copy=copy.copy)
    DynamoDBBackend.transact_write_items = transact_write_items

    def uninstall() -> None:
        models.copy = original_copy
        DynamoDBBackend.transact_write_items = original_transact

    return uninstall


# ---- S3 -------------------------------------------------------------------------------------------


_s3_lock = threading.RLock()


def atomic_s3() -> Callable[[], None]:
    """Serialise moto's S3 object and bucket requests. Two "Lambdas" writing the same key at once
    (clients of one payer caching its account names) made moto dispose the first key's buffer while
    it was still computing that key's ETag ("I/O operation on closed file"), a failure S3 never
    gives: the last writer wins. Returns the function that undoes it (idempotent when nested)."""
    from moto.s3.responses import S3Response

    return _serialise(S3Response, ("key_response", "bucket_response"), _s3_lock)


# ---- SQS ------------------------------------------------------------------------------------------


def fast_sqs_clock() -> Callable[[], None]:
    """moto's SQS reads the clock through datetime arithmetic for every message on every call (a
    receive checks each message's retention through the queue's whole attribute set, counts
    included), so a queue of a few thousand metric events made each receive cost O(queue) slow
    steps and a 1,000-client run spent most of its time there. The same clock from time.time(), and
    the retention check reading the one attribute it needs: the same answers, far fewer steps.
    Returns the function that undoes it (idempotent when nested)."""
    import time

    import moto.sqs.models as sqs_models

    if getattr(sqs_models.unix_time, "_fast", False):
        return lambda: None
    original_time, original_millis = sqs_models.unix_time, sqs_models.unix_time_millis
    original_valid = sqs_models.SQSBackend.is_message_valid_based_on_retention_period

    def unix_time(dt: Any = None) -> float:
        return time.time() if dt is None else original_time(dt)

    def unix_time_millis(dt: Any = None) -> float:
        return time.time() * 1000.0 if dt is None else original_millis(dt)

    def is_message_valid_based_on_retention_period(self: Any, queue_name: str, message: Any) -> bool:
        retention = int(self.get_queue(queue_name).message_retention_period)
        return retention + message.sent_timestamp / 1000 > time.time()

    unix_time._fast = True  # type: ignore[attr-defined]
    sqs_models.unix_time, sqs_models.unix_time_millis = unix_time, unix_time_millis
    sqs_models.SQSBackend.is_message_valid_based_on_retention_period = is_message_valid_based_on_retention_period

    def undo() -> None:
        sqs_models.unix_time, sqs_models.unix_time_millis = original_time, original_millis
        sqs_models.SQSBackend.is_message_valid_based_on_retention_period = original_valid

    return undo


def detach_moto_event_source_mappings() -> None:
    """The SQS poller is the event source mapping here. moto's own (made by `chalice deploy`) would,
    on every SendMessage, receive a batch and try to run the function in Docker: without Docker the
    batch is made visible again with its receive count raised, so messages reach the DLQ unhandled."""
    from moto.sqs.models import sqs_backends

    for regions in sqs_backends.values():
        for backend in regions.values():
            for queue in backend.queues.values():
                queue.lambda_event_source_mappings.clear()


# ---- memory ---------------------------------------------------------------------------------------


def lazy_moto_batch() -> None:
    """moto's Step Functions engine imports `moto.batch.utils` (for the Batch task integration, which
    nothing here uses), and the package `moto.batch` imports its models, EC2's with them: about 55 MB
    of EC2 instance-type tables loaded into every local run. Here the package is registered as a
    lazy one before anything imports it: its submodules load from the same folder as before, and
    the first attribute asked of the package itself (`batch_backends`, when Batch is used) imports its
    models as the real `__init__` does. Nothing to undo: the package behaves the same, only later.
    A no-op once moto.batch is imported."""
    import importlib
    import importlib.util
    import sys

    if "moto.batch" in sys.modules:
        return
    spec = importlib.util.find_spec("moto.batch")
    if spec is None or not spec.submodule_search_locations:
        return
    package = types.ModuleType("moto.batch")
    package.__path__ = list(spec.submodule_search_locations)
    package.__spec__ = spec
    package.__file__ = spec.origin

    def models_attribute(name: str) -> Any:  # the real __init__: `from .models import batch_backends`
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(importlib.import_module("moto.batch.models"), name)

    package.__getattr__ = models_attribute  # type: ignore[attr-defined]  # PEP 562: asked when missing
    sys.modules["moto.batch"] = package
    sys.modules["moto"].batch = package  # type: ignore[attr-defined]  # as an import binds a submodule
# ---- Per-request costs that do not depend on the request ------------------------------------------
# Each of these is computed by moto (or by the engine) anew for every request, from inputs that do not
# change while a local AWS runs; each patch computes it once per input and answers the same value.


def cached_backend_urls() -> Callable[[], None]:
    """moto's request router rebuilds a backend's URL table for every request (`BaseBackend.urls`), and
    for S3 it first reloads the `moto.s3.urls` module (twice), so a custom S3 endpoint set in the
    environment is seen: a tenth of each S3 call's CPU here. The table depends only on the backend's
    class and on the two environment variables moto reads for it (MOTO_S3_CUSTOM_ENDPOINTS,
    MOTO_ENABLE_ISO_REGIONS): computed once per those, the same table. Returns the function that
    undoes it (idempotent when nested)."""
    import os

    from moto.core.base_backend import BaseBackend

    current = BaseBackend.__dict__["urls"]
    if getattr(current.fget, "_cached", False):
        return lambda: None
    cache: dict[tuple[Any, ...], Any] = {}
    lock = threading.Lock()

    def urls(self: Any) -> Any:
        key = (type(self), os.environ.get("MOTO_S3_CUSTOM_ENDPOINTS"), os.environ.get("MOTO_ENABLE_ISO_REGIONS"))
        table = cache.get(key)
        if table is None:
            table = current.fget(self)
            with lock:
                cache[key] = table
        return table

    urls._cached = True  # type: ignore[attr-defined]
    BaseBackend.urls = property(urls)  # type: ignore[assignment,method-assign]
    return lambda: setattr(BaseBackend, "urls", current)


def cached_response_method_names() -> Callable[[], None]:
    """moto finds the handler of every request by listing its response class's functions with
    `inspect.getmembers` (hundreds of attributes, each request). The list depends only on the class:
    one listing per class. A class's functions replaced in place (atomic_dynamodb's locks) keep their
    names, so the list stays right. Returns the function that undoes it (idempotent when nested)."""
    import moto.core.responses as responses

    original = responses.method_names_from_class
    if getattr(original, "_cached", False):
        return lambda: None
    cache: dict[Any, list[str]] = {}

    def method_names_from_class(clazz: Any) -> list[str]:
        names = cache.get(clazz)
        if names is None:
            names = cache[clazz] = original(clazz)
        return list(names)

    method_names_from_class._cached = True  # type: ignore[attr-defined]
    responses.method_names_from_class = method_names_from_class
    return lambda: setattr(responses, "method_names_from_class", original)


def cached_json_paths() -> Callable[[], None]:
    """The Step Functions engine parses each JSONPath of the ASL (InputPath, ItemSelector's `.$`
    values, ResultPath...) every time a state reads it, building a new jsonpath parser (its grammar
    tables) each time: about a twentieth of a local run's execution. A parsed path is only read by
    `find` and `update_or_create` (the data changes, never the path): parsed once per path string.
    Returns the function that undoes it (idempotent when nested)."""
    from moto.stepfunctions.parser.asl.component.common.path import result_path
    from moto.stepfunctions.parser.asl.utils import json_path

    modules = (json_path, result_path)
    originals = [module.parse for module in modules]
    if getattr(originals[0], "_cached", False):
        return lambda: None

    def cached(parse: Callable[[str], Any]) -> Callable[[str], Any]:
        parsed: dict[str, Any] = {}

        def parse_once(path: str) -> Any:
            expression = parsed.get(path)
            if expression is None:
                expression = parsed[path] = parse(path)
            return expression

        parse_once._cached = True  # type: ignore[attr-defined]
        return parse_once

    for module, parse in zip(modules, originals, strict=True):
        module.parse = cached(parse)

    def undo() -> None:
        for module, parse in zip(modules, originals, strict=True):
            module.parse = parse

    return undo


# ---- API Gateway (the app's routes, deployed by `chalice deploy` in `local serve`) ---------------------


def import_swagger_apis() -> Callable[[], None]:
    """moto 5.2.5 imports only OpenAPI 3 documents (ImportRestApi and PutRestApi refuse Swagger 2.0,
    which AWS accepts and Chalice writes) and reads the optional `info.description` unconditionally:
    `chalice deploy` of an app with routes fails. This shim hands moto the same document as OpenAPI 3
    with a description ("" as AWS leaves it) and without the strict validation AWS does not apply to
    Swagger 2.0 (moto reads only the paths and their integrations)."""
    from moto.apigateway.models import APIGatewayBackend

    original_import, original_put = APIGatewayBackend.import_rest_api, APIGatewayBackend.put_rest_api

    def as_openapi(api_doc: Any) -> tuple[Any, bool]:
        if not isinstance(api_doc, dict) or api_doc.get("swagger") is None:
            return api_doc, False
        converted = {key: value for key, value in api_doc.items() if key != "swagger"}
        converted["openapi"] = "3.0.1"
        converted["info"] = {"description": "", **(api_doc.get("info") or {})}
        return converted, True

    def import_rest_api(self: Any, api_doc: dict[str, Any], fail_on_warnings: bool) -> Any:
        api_doc, converted = as_openapi(api_doc)
        return original_import(self, api_doc, fail_on_warnings and not converted)

    def put_rest_api(self: Any, function_id: str, api_doc: dict[str, Any], fail_on_warnings: bool,
                     mode: str = "merge") -> Any:
        api_doc, converted = as_openapi(api_doc)
        return original_put(self, function_id, api_doc, fail_on_warnings and not converted, mode)

    APIGatewayBackend.import_rest_api = import_rest_api  # type: ignore[method-assign]
    APIGatewayBackend.put_rest_api = put_rest_api  # type: ignore[method-assign]

    def undo() -> None:
        APIGatewayBackend.import_rest_api = original_import  # type: ignore[method-assign]
        APIGatewayBackend.put_rest_api = original_put  # type: ignore[method-assign]

    return undo


# The three checks of an update expression that read nothing but the expression, its attribute
# names and the table's key attributes, and change nothing (each returns the node it is given).
_EXPRESSION_ONLY_CHECKS = ("ActionCountValidator", "OverlappingPathsValidator", "UpdateHashRangeKeyValidator")


def cached_update_expressions() -> Callable[[], None]:
    """moto parses an UpdateExpression twice per update (once to list the placeholders it uses, once
    to apply it) and then runs ten passes over a deep copy of the tree, three of which (one clause of
    each kind, no overlapping paths, no key attribute updated) depend on nothing but the expression,
    its attribute names and the table's keys: most of a metric event's CPU (its update expressions
    hold dozens of actions). Here an expression string is parsed once (the tree is only read: moto's
    validator deep-copies it before its passes change anything), and those three checks, once passed
    for an (expression, names, table keys), are not rerun for the same three; the seven passes that
    read the values and the item always run. A failing parse or check is never cached: the same
    error each time. The validator's deep copy of a cached tree is made from the tree's pickle (its
    nodes hold only their type, children and parent: the same tree, eight times faster than
    `deepcopy`). Returns the function that undoes it (idempotent when nested)."""
    import pickle

    from moto.dynamodb.parsing import validators
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser

    original_make = UpdateExpressionParser.__dict__["make"]
    if getattr(original_make.__func__, "_cached", False):
        return lambda: None
    original_processors = validators.UpdateExpressionValidator.get_ast_processors
    original_validate = validators.UpdateExpressionValidator.validate
    original_deepcopy = validators.deepcopy
    parsed: dict[str, Any] = {}
    pickled: dict[str, bytes] = {}
    passed: set[tuple[Any, ...]] = set()
    lock = threading.Lock()

    expression_of: dict[int, str] = {}  # id of a cached tree -> its string (the cache keeps the tree alive)

    def make(cls: Any, expression_str: str) -> Any:
        tree = parsed.get(expression_str)
        if tree is None:
            tree = original_make.__func__(cls, expression_str)  # raises on bad syntax: nothing cached
            with lock:
                if expression_str not in parsed:
                    pickled[expression_str] = pickle.dumps(tree, pickle.HIGHEST_PROTOCOL)
                    expression_of[id(tree)] = expression_str
                tree = parsed.setdefault(expression_str, tree)
        return tree

    def deepcopy(value: Any, memo: Any = None) -> Any:
        expression = expression_of.get(id(value))
        if memo is None and expression is not None and parsed.get(expression) is value:
            return pickle.loads(pickled[expression])
        return original_deepcopy(value, memo)

    make._cached = True  # type: ignore[attr-defined]

    def checks_key(validator: Any) -> tuple[Any, ...] | None:
        expression = expression_of.get(id(validator._source_tree))
        if expression is None or parsed.get(expression) is not validator._source_tree:
            return None  # a tree that did not come from the cache: checked every time
        names = validator.expression_attribute_names or {}
        return (expression, tuple(sorted(names.items())), tuple(validator.table.table_key_attrs))

    def get_ast_processors(self: Any) -> list[Any]:
        processors = original_processors(self)
        key = checks_key(self) if hasattr(self, "_source_tree") else None
        if key is not None and key in passed:
            processors = [p for p in processors if type(p).__name__ not in _EXPRESSION_ONLY_CHECKS]
        return processors

    def validate(self: Any) -> Any:
        result = original_validate(self)  # raises when a check fails: nothing recorded
        key = checks_key(self) if hasattr(self, "_source_tree") else None
        if key is not None:
            with lock:
                passed.add(key)
        return result

    original_init = validators.Validator.__init__

    def init(self: Any, expression: Any, *args: Any, **kwargs: Any) -> None:
        self._source_tree = expression  # read by get_ast_processors, which __init__ calls
        original_init(self, expression, *args, **kwargs)

    UpdateExpressionParser.make = classmethod(make)  # type: ignore[method-assign,assignment]
    validators.Validator.__init__ = init  # type: ignore[method-assign]
    validators.UpdateExpressionValidator.get_ast_processors = get_ast_processors  # type: ignore[method-assign]
    validators.UpdateExpressionValidator.validate = validate  # type: ignore[method-assign]
    validators.deepcopy = deepcopy

    def undo() -> None:
        validators.deepcopy = original_deepcopy
        UpdateExpressionParser.make = original_make  # type: ignore[method-assign]
        validators.Validator.__init__ = original_init  # type: ignore[method-assign]
        validators.UpdateExpressionValidator.get_ast_processors = original_processors  # type: ignore[method-assign]
        validators.UpdateExpressionValidator.validate = original_validate  # type: ignore[method-assign]

    return undo


def cached_response_attribute_names() -> Callable[[], None]:
    """moto's response serialiser finds each member of each response structure in the Python value by
    trying a list of candidate names (six alias rules, then each name's snake_case form), and builds
    that list anew for every member of every value: for a DynamoDB answer, every member of every
    AttributeValue of every item, a fifth of a DynamoDB call's CPU. When the value is a plain dict
    (no `Meta` class, its class name always "dict"), the list depends only on the picker's rules, the
    member's name, its shape and the structure that holds it: built once per those, the same names
    in the same order (the first one present is still taken). Values of other types are served as
    before. Returns the function that undoes it (idempotent when nested)."""
    from moto.core.serialize import XFormedAttributePicker

    original = XFormedAttributePicker.get_possible_keys
    if getattr(original, "_cached", False):
        return lambda: None
    # key -> (shape, its parent, names): the shapes are kept so that their ids are never reused
    cache: dict[tuple[Any, ...], tuple[Any, Any, tuple[str, ...]]] = {}

    def get_possible_keys(self: Any, context: Any) -> Any:
        if type(context.obj) is not dict:
            return original(self, context)
        shape = context.shape
        parent = getattr(shape, "parent", None)
        key = (tuple(self.alias_providers), context.key, id(shape), id(parent))
        hit = cache.get(key)
        if hit is None or hit[0] is not shape or hit[1] is not parent:
            hit = cache[key] = (shape, parent, tuple(original(self, context)))
        return iter(hit[2])

    get_possible_keys._cached = True  # type: ignore[attr-defined]
    XFormedAttributePicker.get_possible_keys = get_possible_keys  # type: ignore[method-assign,assignment]
    return lambda: setattr(XFormedAttributePicker, "get_possible_keys", original)

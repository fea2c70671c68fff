"""Dispatch Lambda Invoke calls to the Chalice handlers in this process.

moto's Step Functions engine invokes Lambda tasks through a boto3 client on the default
session; a `before-call.lambda.Invoke` handler answers them before any HTTP is sent. A raised
exception becomes `FunctionError: Unhandled` with the class name as `errorType`, which is
what the ASL's Retry/Catch `ErrorEquals` match, exactly as in AWS.
"""

from __future__ import annotations

import io
import json
import threading
import time
import traceback
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from botocore.awsrequest import AWSResponse
from botocore.response import StreamingBody

Handler = Callable[[Any, Any], Any]


class FakeLambdaContext:
    """The parts of the Lambda context object our code and Powertools read."""

    def __init__(self, function_name: str, timeout_seconds: float = 60) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{function_name}"
        self.memory_limit_in_mb = 512
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "local"
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class LambdaBridge:
    def __init__(self, handlers: dict[str, Handler], function_prefix: str, timeout_seconds: float = 60) -> None:
        self.handlers = handlers
        self.function_prefix = function_prefix
        self.timeout_seconds = timeout_seconds
        self.invocations: Counter[str] = Counter()
        self.seconds: Counter[str] = Counter()  # wall time inside each handler
        self.cpu_seconds: Counter[str] = Counter()  # CPU time of the handler's thread (GIL waits excluded)
        # Fault injection for tests: called before the handler, and after it with its result.
        self.fault_hook: Callable[[str, Any], None] | None = None
        self.after_hook: Callable[[str, Any, Any], None] | None = None
        # Told when a handler starts and ends on this thread (the AWS call counter's owner mark).
        self.stage_marker: Any = None
        self._lock = threading.Lock()

    def function_name(self, url_path: str) -> str:
        # url_path: /2015-03-31/functions/<url-encoded name or ARN>/invocations
        name = unquote(url_path.split("/functions/", 1)[1].split("/invocations", 1)[0])
        name = name.split(":function:", 1)[-1].split(":", 1)[0]
        return name[len(self.function_prefix):] if name.startswith(self.function_prefix) else name

    def invoke(self, name: str, event: Any) -> Any:
        """Run the handler of function `name` (its Chalice name) on `event`, as Lambda would; raises
        what the handler raises. Counted, timed, and subject to the fault hooks."""
        handler = self.handlers.get(name)
        started = time.perf_counter()
        cpu_started = time.thread_time()
        if self.stage_marker:
            self.stage_marker.enter_stage()
        try:
            if handler is None:
                raise LookupError(f"no Chalice lambda_function named {name!r}")
            if self.fault_hook:
                self.fault_hook(name, event)
            result: Any = handler(event, FakeLambdaContext(self.function_prefix + name, self.timeout_seconds))
            if self.after_hook:
                self.after_hook(name, event, result)
            return result
        finally:
            if self.stage_marker:
                self.stage_marker.leave_stage()
            with self._lock:
                self.invocations[name] += 1
                self.seconds[name] += time.perf_counter() - started
                self.cpu_seconds[name] += time.thread_time() - cpu_started

    def __call__(self, params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        name = self.function_name(params["url_path"])
        body = params.get("body") or b"{}"
        event = json.loads(body.decode("utf-8") if isinstance(body, bytes) else body)
        try:
            payload = json.dumps(self.invoke(name, event), default=str).encode("utf-8")
            parsed: dict[str, Any] = {"StatusCode": 200}
        except Exception as exc:  # noqa: BLE001 - reported to the engine as a Lambda function error
            payload = json.dumps({
                "errorType": type(exc).__name__,
                "errorMessage": str(exc),
                "stackTrace": traceback.format_exception(exc)[-3:],
            }).encode("utf-8")
            parsed = {"StatusCode": 200, "FunctionError": "Unhandled"}
        parsed["Payload"] = StreamingBody(io.BytesIO(payload), len(payload))
        parsed["ExecutedVersion"] = "$LATEST"
        return AWSResponse("http://127.0.0.1/lambda", 200, {}, None), parsed

    def install(self, session: Any) -> Callable[[], None]:
        session.events.register("before-call.lambda.Invoke", self, unique_id="local-lambda-bridge")
        return lambda: session.events.unregister("before-call.lambda.Invoke", unique_id="local-lambda-bridge")

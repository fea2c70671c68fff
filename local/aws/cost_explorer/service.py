"""A local Cost Explorer: answers `ce.GetCostAndUsage` from a cost data CSV (dev and tests only).

moto's own Cost Explorer returns canned results whatever the request says, so it cannot
check tenant isolation, periods or paging. This emulator implements the real request
semantics on top of an indexed in-memory dataset, and answers in the real response shape:
botocore's service model for `ce` (the output shapes) and the AWS CLI's documented example of
`get-cost-and-usage` (amounts as plain-digit strings with Cost Explorer's precision, never
rounded here; Unit; Estimated per bucket; GroupDefinitions and "Total": {} when grouped; TAG keys
"Key$value"; DimensionValueAttributes naming linked accounts; NextPageToken paging).
tests/unit/test_cost_explorer_shape.py checks every answer against that model. The cost file model is
in data.py, request parsing, filters, sums and paging tokens in query.py; this module answers.

    data = CostData.from_csv("local/samples/costs.csv")   # local.aws.cost_explorer.data
    ce = LocalCostExplorer(data, page_size=500, estimated_from=date(2026, 11, 19))
    uninstall = install(boto3.DEFAULT_SESSION, ce)   # before creating the ce client
    boto3.client("ce", region_name="us-east-1").get_cost_and_usage(...)

How the hook works (botocore 1.44, `BaseClient._make_api_call`): after parameter
validation and serialization, botocore emits `before-call.cost-explorer.GetCostAndUsage`
with `params` (the request dict: `body` is the JSON body as bytes, `url`, `url_path`, ...)
and `model`. The first handler returning non-None short-circuits the HTTP layer: botocore
takes `(http_response, parsed)` from it, emits `after-call`, raises the modeled error class
(a `ClientError`) when `http_response.status_code >= 300`, and otherwise returns `parsed`
as-is. Consequences worth knowing:

* No signing happens, so no credentials are needed (fake ones do no harm).
* botocore's retry handler runs inside the skipped HTTP layer: errors returned from the hook
  are NOT retried by boto3's `retries` config (standard or legacy). `fail_next(2)` makes
  exactly two API calls fail, whatever the client's retry mode.
* A client copies its session's event emitter when it is created: install the hook before
  creating clients (or pass a client to `install`). A client created while the hook was
  installed keeps it after `uninstall()`; the handler then answers None (disabled), so such a
  client falls through to the normal path (moto or the network).
"""

from __future__ import annotations

import json
import statistics
import threading
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from decimal import Context, Decimal, localcontext
from typing import Any, NamedTuple

from local.aws.botocore_answers import answer, events_of, new_request_id
from local.aws.cost_explorer.data import CostData, format_amount
from local.aws.cost_explorer.query import (
    QUANTITY_METRICS,
    CostExplorerError,
    Predicate,
    Query,
    Sum,
    aggregate,
    compile_filter,
    decode_page_token,
    encode_page_token,
    parse_day,
    parse_request,
    time_buckets,
    validation_error,
)


class LoggedRequest(NamedTuple):
    """One call as seen by the emulator: the accounts its Filter restricts to (sorted; None when
    the filter does not restrict accounts) and its TimePeriod (Start, End)."""

    accounts: tuple[str, ...] | None
    time_period: tuple[str, str]


_FORECAST_METRICS = {"AMORTIZED_COST", "BLENDED_COST", "NET_AMORTIZED_COST", "NET_UNBLENDED_COST", "UNBLENDED_COST"}
FORECAST_HISTORY_DAYS = 14
FORECAST_MIN_DAYS = 7  # fewer days with data: DataUnavailableException, as AWS answers a new account
FORECAST_PLACES = Decimal("1e-10")  # a forecast is computed, not data: written with Cost Explorer's 10 decimals


class LocalCostExplorer:
    """GetCostAndUsage over a CostData, with paging, a request counter and fault injection.

    `requests` counts every call that reaches the emulator (each page is one request, as AWS
    bills it; injected faults and rejected requests count too). `succeeded` counts answered ones.
    `log` records a LoggedRequest per call, `params_log` the raw request parameters.
    """

    def __init__(
        self,
        data: CostData,
        page_size: int = 500,
        estimated_from: date | None = None,
        fault_hook: Callable[[dict], None] | None = None,
        today: date | None = None,
        account_names: Mapping[str, str] | None = None,
    ):
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        self.data = data
        self.page_size = page_size
        self.estimated_from = estimated_from
        self.fault_hook = fault_hook
        self.today = today  # GetCostForecast refuses a Start before it (None: not checked)
        # DimensionValueAttributes' description of a linked account (AWS gives the account's name)
        self.account_names = dict(account_names or {})
        self._lock = threading.Lock()
        self._requests = 0
        self._succeeded = 0
        self._faults: list[CostExplorerError] = []
        self.log: list[LoggedRequest] = []
        self.params_log: list[dict] = []

    # -- counters and faults ------------------------------------------------------------------

    @property
    def requests(self) -> int:
        with self._lock:
            return self._requests

    @property
    def succeeded(self) -> int:
        with self._lock:
            return self._succeeded

    def reset_counters(self) -> None:
        with self._lock:
            self._requests = 0
            self._succeeded = 0
            self.log.clear()
            self.params_log.clear()

    def fail_next(
        self,
        n: int,
        code: str = "LimitExceededException",
        message: str = "Rate exceeded",
        status: int = 400,
    ) -> None:
        """Make the next n calls fail with this AWS error (queued after faults already pending)."""
        with self._lock:
            self._faults.extend(CostExplorerError(code, message, status) for _ in range(n))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    # -- the API -----------------------------------------------------------------------------

    def get_cost_and_usage(self, **params: Any) -> dict:
        """Answer like AWS or raise CostExplorerError (the hook turns it into a ClientError)."""
        accounts_logged: tuple[str, ...] | None = None
        try:  # parsed once: its accounts are logged (a request refused is billed and logged too)
            query: Query | None = parse_request(params)
            refused: CostExplorerError | None = None
        except CostExplorerError as error:
            query, refused = None, error
        try:
            if query is not None:
                accounts = query.accounts
            else:
                accounts = compile_filter(params["Filter"])[1] if params.get("Filter") is not None else None
            accounts_logged = tuple(sorted(accounts)) if accounts is not None else None
        except CostExplorerError:
            accounts_logged = None
        self._count(params, accounts_logged)
        if query is None:
            assert refused is not None
            raise refused
        result = self._answer(query, params.get("NextPageToken"))
        with self._lock:
            self._succeeded += 1
        return result

    def _answer(self, query: Query, token: str | None) -> dict:
        buckets = time_buckets(query.start, query.end, query.granularity)
        aggregated = [aggregate(self.data, query, start, end) for start, end in buckets]
        unit = self.data.currency

        def metrics_for(total: Sum | None) -> dict:
            out = {}
            for metric in query.metrics:
                if metric == "UsageQuantity":
                    # One unit when every row of the group has it ("Hrs"); mixed units read "N/A", as in AWS.
                    out[metric] = {"Amount": format_amount(total.quantity) if total else "0",
                                   "Unit": (total.usage_unit or "N/A") if total else "N/A"}
                elif metric in QUANTITY_METRICS:
                    out[metric] = {"Amount": "0", "Unit": "N/A"}  # no normalized units in the cost file
                else:
                    out[metric] = {"Amount": format_amount(total.amount) if total else "0",
                                   "Unit": total.currency if total else unit}
            return out

        def bucket_header(start: date, end: date) -> dict:
            return {"TimePeriod": {"Start": start.isoformat(), "End": end.isoformat()}}

        def estimated(end: date) -> bool:
            # A bucket is estimated when it holds any day on or after estimated_from. For DAILY
            # buckets that is `start >= estimated_from`; a MONTHLY bucket in progress is estimated.
            return self.estimated_from is not None and end > self.estimated_from

        response: dict[str, Any] = {}
        if not query.group_by:
            results = []
            for (start, end), groups in zip(buckets, aggregated, strict=True):
                results.append({**bucket_header(start, end), "Total": metrics_for(groups.get(())), "Groups": [],
                                "Estimated": estimated(end)})
            if token is not None:
                decode_page_token(token, query, total=0)
            response["ResultsByTime"] = results
            response["DimensionValueAttributes"] = []
            return response

        # Flatten groups across buckets; cut pages of page_size group entries.
        ordered = [sorted(groups.items()) for groups in aggregated]
        offsets = []
        total_groups = 0
        for groups in ordered:
            offsets.append(total_groups)
            total_groups += len(groups)
        page_start = 0 if token is None else decode_page_token(token, query, total=total_groups)
        page_end = min(page_start + self.page_size, total_groups)
        last_page = page_end >= total_groups

        results = []
        seen_accounts: list[str] = []
        for (start, end), groups, offset in zip(buckets, ordered, offsets, strict=True):
            lo, hi = offset, offset + len(groups)
            if groups:
                if hi <= page_start or lo >= page_end:
                    continue
                chosen = groups[max(page_start, lo) - lo : min(page_end, hi) - lo]
            else:
                # An empty bucket goes on the page whose range holds its position.
                if not (page_start <= lo < page_end or (lo >= total_groups and last_page)):
                    continue
                chosen = []
            entries = []
            for keys, total in chosen:
                entries.append({"Keys": list(keys), "Metrics": metrics_for(total)})
                if "LINKED_ACCOUNT" in query.group_by:
                    account = keys[query.group_by.index("LINKED_ACCOUNT")]
                    if account not in seen_accounts:
                        seen_accounts.append(account)
            results.append({**bucket_header(start, end), "Total": {}, "Groups": entries, "Estimated": estimated(end)})

        response["GroupDefinitions"] = [dict(d) for d in query.group_definitions]
        response["ResultsByTime"] = results
        # AWS describes each linked account on the page by its name (the account id when it has none).
        response["DimensionValueAttributes"] = [
            {"Value": account, "Attributes": {"description": self.account_names.get(account, account)}}
            for account in seen_accounts
        ]
        if not last_page:
            response["NextPageToken"] = encode_page_token(page_end, query)
        return response


    def _count(self, params: Mapping[str, Any], accounts_logged: tuple[str, ...] | None) -> None:
        """Every call is a billed request: count and log it, then raise a queued or hooked fault."""
        period = params.get("TimePeriod") or {}
        with self._lock:
            self._requests += 1
            self.log.append(LoggedRequest(accounts_logged, (str(period.get("Start")), str(period.get("End")))))
            self.params_log.append(json.loads(json.dumps(params, default=str)))
            fault = self._faults.pop(0) if self._faults else None
        if fault is not None:
            raise fault
        if self.fault_hook is not None:
            self.fault_hook(params)  # type: ignore[arg-type]

    # -- GetCostForecast ----------------------------------------------------------------------

    def get_cost_forecast(self, **params: Any) -> dict:
        """A forecast by a simple, documented method: every future day costs the mean daily total of
        the FORECAST_HISTORY_DAYS days before Start (same Filter); the prediction interval is that mean
        plus or minus z(level) standard deviations per day, summed. Counted and faulted like any call."""
        self._count(params, None)
        with localcontext(Context(prec=60)):  # 10 decimals of a large forecast need more than 28 digits
            answer = self._forecast(params)
        with self._lock:
            self._succeeded += 1
        return answer

    def _forecast(self, params: Mapping[str, Any]) -> dict:
        if not isinstance(params.get("TimePeriod"), Mapping):
            raise validation_error("TimePeriod is required")
        start = parse_day(params["TimePeriod"].get("Start"), "TimePeriod.Start")
        end = parse_day(params["TimePeriod"].get("End"), "TimePeriod.End")
        if start >= end:
            raise validation_error("Start date (and hour) should be before end date (and hour)")
        if self.today is not None and start < self.today:
            raise validation_error("Start date must be equal to or greater than the current date")
        metric = params.get("Metric")
        if metric not in _FORECAST_METRICS:
            raise validation_error(f"Metric must be one of {', '.join(sorted(_FORECAST_METRICS))}, got {metric!r}")
        granularity = params.get("Granularity")
        if granularity not in ("DAILY", "MONTHLY"):
            raise validation_error(f"Granularity must be DAILY or MONTHLY, got {granularity!r}")
        level = params.get("PredictionIntervalLevel", 80)
        if not isinstance(level, int) or not 51 <= level <= 99:
            raise validation_error("PredictionIntervalLevel must be an integer between 51 and 99")
        predicate: Predicate | None = None
        accounts: frozenset[str] | None = None
        if params.get("Filter") is not None:
            predicate, accounts = compile_filter(params["Filter"])
        history = []
        for offset in range(FORECAST_HISTORY_DAYS, 0, -1):
            day = start - timedelta(days=offset)
            rows = [r for r in self.data.rows_for(day, accounts) if predicate is None or predicate(r)]
            if rows:
                history.append(sum((r.amount for r in rows), Decimal(0)))
        if len(history) < FORECAST_MIN_DAYS:
            raise CostExplorerError("DataUnavailableException",
                                    "Insufficient amount of historical data to generate a forecast.", 400)
        mean = sum(history, Decimal(0)) / len(history)
        spread = (sum(((h - mean) ** 2 for h in history), Decimal(0)) / len(history)).sqrt()
        z = Decimal(str(statistics.NormalDist().inv_cdf(0.5 + level / 200)))
        results = []
        for bucket_start, bucket_end in time_buckets(start, end, granularity):
            days = (bucket_end - bucket_start).days
            value = mean * days
            margin = z * spread * days
            results.append({
                "TimePeriod": {"Start": bucket_start.isoformat(), "End": bucket_end.isoformat()},
                "MeanValue": format_amount(value.quantize(FORECAST_PLACES)),
                "PredictionIntervalLowerBound": format_amount((value - margin).quantize(FORECAST_PLACES)),
                "PredictionIntervalUpperBound": format_amount((value + margin).quantize(FORECAST_PLACES)),
            })
        total = mean * (end - start).days
        return {"Total": {"Amount": format_amount(total.quantize(FORECAST_PLACES)), "Unit": self.data.currency},
                "ForecastResultsByTime": results}


# ---------------------------------------------------------------------------------------------
# The botocore hook
# ---------------------------------------------------------------------------------------------

# `ce` is an alias of the service id `cost-explorer`; one handler answers both operations.
_EVENTS = {
    "before-call.cost-explorer.GetCostAndUsage": "get_cost_and_usage",
    "before-call.cost-explorer.GetCostForecast": "get_cost_forecast",
}


def _request_params(params: Mapping[str, Any]) -> dict:
    body = params.get("body")
    if isinstance(body, (bytes, bytearray)):
        body = body.decode("utf-8")
    if isinstance(body, str):
        return json.loads(body) if body.strip() else {}
    if isinstance(body, Mapping):
        return dict(body)
    return {}


def install(session: Any, ce: LocalCostExplorer) -> Callable[[], None]:
    """Answer `ce.GetCostAndUsage` and `ce.GetCostForecast` from `ce` for clients created from `session` from now on.

    `session` is a boto3 Session (e.g. boto3.DEFAULT_SESSION; None means boto3's default
    session), a botocore Session, or an existing client. Returns `uninstall()`.
    """
    events = events_of(session)
    state = {"active": True}

    def handler(params: dict, model: Any = None, event_name: str = "", **_: Any) -> tuple[Any, dict] | None:
        if not state["active"]:
            return None  # clients created while installed keep a copy of this handler
        url = params.get("url") or "https://ce.us-east-1.amazonaws.com/"
        request_id = new_request_id()
        headers = {"x-amzn-requestid": request_id, "content-type": "application/x-amz-json-1.1"}
        try:
            parsed = getattr(ce, _EVENTS[event_name])(**_request_params(params))
            status = 200
        except CostExplorerError as error:
            status = error.status
            parsed = {"Error": {"Code": error.code, "Message": error.message}, "Message": error.message}
        return answer(url, request_id, headers, status, parsed)

    for event in _EVENTS:
        events.register(event, handler)

    def uninstall() -> None:
        state["active"] = False
        for event in _EVENTS:
            events.unregister(event, handler)

    return uninstall


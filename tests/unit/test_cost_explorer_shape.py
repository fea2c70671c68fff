"""The local Cost Explorer answers the way the real one does.

Where the real shape comes from (see also docs/reports.md, "The local Cost Explorer's answers"):
- botocore's service model for `ce` (botocore/data/ce/2017-10-25/service-2.json.gz, shipped with
  boto3): the output shapes of GetCostAndUsage and GetCostForecast, their members, types, string
  patterns and enums. `check_shape` walks every answer this file gets against them.
- the AWS CLI's documented example output for `aws ce get-cost-and-usage` (aws/aws-cli,
  awscli/examples/ce/get-cost-and-usage.rst): amounts as strings with up to 10 decimals
  ("40.3527508453"), UsageQuantity with Unit "N/A" across usage types, `"Total": {}` in a grouped
  answer, `Estimated` per bucket, TAG group keys "Environment$Dev" and "Environment$" (untagged).
  DOCUMENTED_EXAMPLE below holds the figures of that output; the emulator's answer to the same
  request must have the same structure, key for key.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Context, Decimal, localcontext
from typing import Any

import boto3
import pytest

from local.aws.cost_explorer.data import CostData, CostRow, format_amount
from local.aws.cost_explorer.service import LocalCostExplorer, install
from tests import ROOT

D = Decimal
AMOUNT_TEXT = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]*[1-9])?")  # plain digits, no exponent, no trailing zeros

DOCUMENTED_REQUEST = {
    "TimePeriod": {"Start": "2017-09-01", "End": "2017-10-01"}, "Granularity": "MONTHLY",
    "Metrics": ["BlendedCost", "UnblendedCost", "UsageQuantity"],
    "GroupBy": [{"Type": "DIMENSION", "Key": "SERVICE"}, {"Type": "TAG", "Key": "Environment"}],
    "Filter": {"Dimensions": {"Key": "SERVICE", "Values": ["Amazon Simple Storage Service"]}},
}
DOCUMENTED_EXAMPLE = {
    "GroupDefinitions": [{"Type": "DIMENSION", "Key": "SERVICE"}, {"Type": "TAG", "Key": "Environment"}],
    "ResultsByTime": [{
        "Estimated": False,
        "TimePeriod": {"Start": "2017-09-01", "End": "2017-10-01"},
        "Total": {},
        "Groups": [
            {"Keys": ["Amazon Simple Storage Service", "Environment$"],
             "Metrics": {"BlendedCost": {"Amount": "40.3527508453", "Unit": "USD"},
                         "UnblendedCost": {"Amount": "40.3543773134", "Unit": "USD"},
                         "UsageQuantity": {"Amount": "9312771.098461578", "Unit": "N/A"}}},
            {"Keys": ["Amazon Simple Storage Service", "Environment$Dev"],
             "Metrics": {"BlendedCost": {"Amount": "0.2682364644", "Unit": "USD"},
                         "UnblendedCost": {"Amount": "0.2682364644", "Unit": "USD"},
                         "UsageQuantity": {"Amount": "22403.4395271182", "Unit": "N/A"}}},
        ],
    }],
}


# ---- the validator: botocore's output shapes -------------------------------------------------------


def _ce_model() -> Any:
    import botocore.session

    return botocore.session.get_session().get_service_model("ce")


def _pattern(text: str) -> re.Pattern[str] | None:
    """A model's pattern compiled, or None for the Java-only ones Python cannot compile (surrogate
    ranges such as athena's \\uD800\\uDC00-\\uDBFF\\uDFFF): those are not checked."""
    try:
        return re.compile(text)
    except re.error:
        return None


def check_shape(value: Any, shape: Any, path: str = "$") -> list[str]:
    """Every way `value` differs from botocore `shape` (structure members, required members, types,
    string length, pattern and enum), as "path: problem" lines."""
    problems: list[str] = []
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            return [f"{path}: expected an object ({shape.name}), got {type(value).__name__}"]
        for name in shape.required_members:
            if name not in value:
                problems.append(f"{path}: required member {name} missing")
        for name, member in value.items():
            if path == "$" and name == "ResponseMetadata":
                continue  # botocore's own, not part of the shape
            if name not in shape.members:
                problems.append(f"{path}: {name} is not a member of {shape.name}")
                continue
            problems += check_shape(member, shape.members[name], f"{path}.{name}")
    elif kind == "list":
        if not isinstance(value, list):
            return [f"{path}: expected a list ({shape.name})"]
        for index, item in enumerate(value):
            problems += check_shape(item, shape.member, f"{path}[{index}]")
    elif kind == "map":
        if not isinstance(value, dict):
            return [f"{path}: expected a map ({shape.name})"]
        for key, item in value.items():
            problems += check_shape(key, shape.key, f"{path}<key {key}>")
            problems += check_shape(item, shape.value, f"{path}.{key}")
    elif kind == "string":
        if not isinstance(value, str):
            return [f"{path}: expected a string ({shape.name}), got {value!r:.60}"]
        meta = shape.metadata
        if ("min" in meta and len(value) < meta["min"]) or ("max" in meta and len(value) > meta["max"]):
            problems.append(f"{path}: length {len(value)} outside {meta.get('min')}..{meta.get('max')}")
        if "pattern" in meta and _pattern(meta["pattern"]) is not None and not _pattern(meta["pattern"]).fullmatch(value):
            problems.append(f"{path}: {value!r:.60} does not match {meta['pattern']}")
        if shape.enum and value not in shape.enum:
            problems.append(f"{path}: {value!r} not one of {shape.enum}")
    elif kind == "boolean":
        if not isinstance(value, bool):
            problems.append(f"{path}: expected a boolean, got {value!r:.60}")
    elif kind in ("integer", "long"):
        if not isinstance(value, int) or isinstance(value, bool):
            problems.append(f"{path}: expected an integer, got {value!r:.60}")
        elif (("min" in shape.metadata and value < shape.metadata["min"])
              or ("max" in shape.metadata and value > shape.metadata["max"])):
            problems.append(f"{path}: {value} outside {shape.metadata.get('min')}..{shape.metadata.get('max')}")
    elif kind in ("double", "float"):
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            problems.append(f"{path}: expected a number, got {value!r:.60}")
    elif kind == "timestamp":  # botocore parses timestamps into aware datetimes
        if not isinstance(value, datetime) or value.tzinfo is None:
            problems.append(f"{path}: expected a timezone-aware datetime, got {value!r:.60}")
    else:
        problems.append(f"{path}: unchecked type {kind}")
    return problems


def metric_values(answer: Any) -> list[dict]:
    """Every MetricValue ({"Amount", "Unit"}) in an answer, wherever it is."""
    found = []
    if isinstance(answer, dict):
        if set(answer) == {"Amount", "Unit"}:
            return [answer]
        for value in answer.values():
            found += metric_values(value)
    elif isinstance(answer, list):
        for value in answer:
            found += metric_values(value)
    return found


def check_answer(operation: str, answer: dict, request: dict | None = None) -> None:
    """The model's shape, then what the model cannot say: amounts as Cost Explorer writes them, one
    key per group definition, an empty Total in a grouped answer, TAG keys "Key$value"."""
    problems = check_shape(answer, _ce_model().operation_model(operation).output_shape)
    assert not problems, "\n".join(problems[:20])
    for metric in metric_values(answer):
        assert AMOUNT_TEXT.fullmatch(metric["Amount"]), metric
        assert metric["Unit"], metric
    if operation == "GetCostForecast":
        for result in answer["ForecastResultsByTime"]:
            for name in ("MeanValue", "PredictionIntervalLowerBound", "PredictionIntervalUpperBound"):
                assert AMOUNT_TEXT.fullmatch(result[name]), result
        return
    definitions = answer.get("GroupDefinitions", [])
    assert definitions == list((request or {}).get("GroupBy") or []) or (not definitions and not (request or {}).get("GroupBy"))
    for bucket in answer["ResultsByTime"]:
        assert isinstance(bucket["Estimated"], bool)
        if definitions:
            assert bucket["Total"] == {}
        else:
            assert bucket["Groups"] == [] and set(bucket["Total"]) == set(request["Metrics"])
        for group in bucket["Groups"]:
            assert len(group["Keys"]) == len(definitions) and set(group["Metrics"]) == set(request["Metrics"])
            for key, definition in zip(group["Keys"], definitions, strict=True):
                if definition["Type"] == "TAG":
                    assert key.startswith(definition["Key"] + "$"), key


def skeleton(value: Any) -> Any:
    """The structure of an answer: keys and value types (lists by their first item)."""
    if isinstance(value, dict):
        return {k: skeleton(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [skeleton(value[0])] if value else []
    return type(value).__name__


# ---- a boto3 client answered by the emulator ---------------------------------------------------------


@pytest.fixture
def ce_for(monkeypatch, tmp_path):
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
                        "AWS_CONFIG_FILE": str(tmp_path / "none"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none")}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    undo = []

    def make(emulator: LocalCostExplorer) -> Any:
        session = boto3.Session()
        undo.append(install(session, emulator))
        return session.client("ce", region_name="us-east-1")

    yield make
    for uninstall in undo:
        uninstall()


def test_the_validator_accepts_the_documented_answer_and_catches_a_wrong_one():
    output = _ce_model().operation_model("GetCostAndUsage").output_shape
    assert check_shape(DOCUMENTED_EXAMPLE, output) == []
    broken = {**DOCUMENTED_EXAMPLE, "ResultsByTime": [{**DOCUMENTED_EXAMPLE["ResultsByTime"][0], "Estimated": "false"}],
              "Totals": {}}
    problems = check_shape(broken, output)
    assert any("Estimated: expected a boolean" in p for p in problems)
    assert any("Totals is not a member" in p for p in problems)
    assert check_shape({"GroupDefinitions": [{"Type": "FOLDER", "Key": "x"}]}, output) == [
        "$.GroupDefinitions[0].Type: 'FOLDER' not one of ['DIMENSION', 'TAG', 'COST_CATEGORY', 'PRODUCT_ATTRIBUTE']"]


def test_the_documented_request_gets_the_documented_structure(ce_for):
    """Rows that add up to the documented figures: the emulator answers them digit for digit, in the
    documented structure (GroupDefinitions, Total {}, Estimated, "Environment$" and "Environment$Dev")."""
    s3 = "Amazon Simple Storage Service"
    rows = [
        CostRow(date(2017, 9, 3), "123456789012", s3, D("30.1"), usage_quantity=D("9000000.000000001"), usage_unit="GB-Mo"),
        CostRow(date(2017, 9, 17), "123456789012", s3, D("10.2543773134"), usage_quantity=D("312771.098461577"),
                usage_unit="Requests-Tier1"),
        CostRow(date(2017, 9, 9), "123456789012", s3, D("0.2682364644"), usage_quantity=D("22403.4395271182"),
                usage_unit="GB-Mo", tags=(("Environment", "Dev"),)),
        CostRow(date(2017, 9, 9), "123456789012", "AWS Lambda", D("5"), tags=(("Environment", "Dev"),)),
        CostRow(date(2017, 10, 1), "123456789012", s3, D("99")),
    ]
    answer = ce_for(LocalCostExplorer(CostData(rows), estimated_from=date(2017, 10, 1))).get_cost_and_usage(**DOCUMENTED_REQUEST)
    check_answer("GetCostAndUsage", answer, DOCUMENTED_REQUEST)
    answer.pop("ResponseMetadata")
    assert answer.pop("DimensionValueAttributes") == []  # a member of the model; the CLI example predates it
    assert skeleton(answer) == skeleton(DOCUMENTED_EXAMPLE)
    groups = {tuple(g["Keys"]): g["Metrics"] for g in answer["ResultsByTime"][0]["Groups"]}
    assert list(groups) == [(s3, "Environment$"), (s3, "Environment$Dev")]
    assert groups[(s3, "Environment$")]["UnblendedCost"] == {"Amount": "40.3543773134", "Unit": "USD"}
    # two usage units in one group read "N/A", as in the documented answer; one unit is named
    assert groups[(s3, "Environment$")]["UsageQuantity"] == {"Amount": "9312771.098461578", "Unit": "N/A"}
    assert groups[(s3, "Environment$Dev")]["UsageQuantity"] == {"Amount": "22403.4395271182", "Unit": "GB-Mo"}
    assert answer["ResultsByTime"][0]["Estimated"] is False


def test_amounts_keep_every_digit_of_the_data_and_are_never_rounded(ce_for):
    rows = [CostRow(date(2026, 11, 2), "111111111111", "AWS Lambda", D(text)) for text in
            ("0.000000000001", "1000000000000", "40.3527508453", "-0.1", "0.00000000000000000001")]
    rows.append(CostRow(date(2026, 11, 2), "111111111111", "Tax", D("0.25"), "Tax"))
    rows.append(CostRow(date(2026, 11, 2), "111111111111", "Tax", D("0.75"), "Tax"))
    rows.append(CostRow(date(2026, 11, 2), "111111111111", "Credit", D("-0.0000035"), "Credit"))
    client = ce_for(LocalCostExplorer(CostData(rows)))
    request = {"TimePeriod": {"Start": "2026-11-02", "End": "2026-11-03"}, "Granularity": "DAILY",
               "Metrics": ["UnblendedCost"], "GroupBy": [{"Type": "DIMENSION", "Key": "SERVICE"}]}
    answer = client.get_cost_and_usage(**request)
    check_answer("GetCostAndUsage", answer, request)
    amounts = {g["Keys"][0]: g["Metrics"]["UnblendedCost"]["Amount"] for g in answer["ResultsByTime"][0]["Groups"]}
    assert amounts == {"AWS Lambda": "1000000000040.25275084530100000001", "Tax": "1", "Credit": "-0.0000035"}
    total = client.get_cost_and_usage(**{**request, "GroupBy": []})["ResultsByTime"][0]["Total"]["UnblendedCost"]
    with localcontext(Context(prec=100)):  # the default 28 digits would round this sum
        assert D(total["Amount"]) == sum((r.amount for r in rows), D(0)) and total["Unit"] == "USD"
    assert format_amount(D("12.3400000000")) == "12.34" and format_amount(D("-0E-10")) == "0"
    assert format_amount(D("1E+3")) == "1000" and format_amount(D("1E-12")) == "0.000000000001"


def test_estimated_is_true_for_the_open_month_and_false_for_closed_months(ce_for):
    from local.cli.common import open_month

    rows = [CostRow(date(2026, 9, 1) + timedelta(days=i), "111111111111", "AWS Lambda", D("1.0000000001")) for i in range(81)]
    client = ce_for(LocalCostExplorer(CostData(rows), estimated_from=open_month(date(2026, 11, 20))))
    monthly = client.get_cost_and_usage(TimePeriod={"Start": "2026-09-01", "End": "2026-11-20"}, Granularity="MONTHLY",
                                        Metrics=["UnblendedCost"])
    assert {b["TimePeriod"]["Start"]: b["Estimated"] for b in monthly["ResultsByTime"]} == {
        "2026-09-01": False, "2026-10-01": False, "2026-11-01": True}
    daily = client.get_cost_and_usage(TimePeriod={"Start": "2026-10-30", "End": "2026-11-03"}, Granularity="DAILY",
                                      Metrics=["UnblendedCost"])
    assert [b["Estimated"] for b in daily["ResultsByTime"]] == [False, False, True, True]
    # early in a month the previous month's bill is still open: estimated too
    early = ce_for(LocalCostExplorer(CostData(rows), estimated_from=open_month(date(2026, 11, 1))))
    answer = early.get_cost_and_usage(TimePeriod={"Start": "2026-09-01", "End": "2026-11-01"}, Granularity="MONTHLY",
                                      Metrics=["UnblendedCost"])
    assert [b["Estimated"] for b in answer["ResultsByTime"]] == [False, True]


def test_linked_accounts_are_described_by_their_names_on_the_page_that_shows_them(ce_for):
    accounts = [f"1111111111{i:02d}" for i in range(6)]
    rows = [CostRow(date(2026, 11, 2), account, "AWS Lambda", D("0.0123456789")) for account in accounts]
    names = {accounts[0]: "Production", accounts[1]: "Staging"}
    client = ce_for(LocalCostExplorer(CostData(rows), page_size=4, account_names=names))
    request = {"TimePeriod": {"Start": "2026-11-02", "End": "2026-11-03"}, "Granularity": "DAILY", "Metrics": ["UnblendedCost"],
               "GroupBy": [{"Type": "DIMENSION", "Key": "LINKED_ACCOUNT"}]}
    first = client.get_cost_and_usage(**request)
    second = client.get_cost_and_usage(**request, NextPageToken=first["NextPageToken"])
    for page in (first, second):
        check_answer("GetCostAndUsage", page, request)
    assert "NextPageToken" not in second
    assert first["DimensionValueAttributes"] == [
        {"Value": accounts[0], "Attributes": {"description": "Production"}},
        {"Value": accounts[1], "Attributes": {"description": "Staging"}},
        {"Value": accounts[2], "Attributes": {"description": accounts[2]}},
        {"Value": accounts[3], "Attributes": {"description": accounts[3]}}]
    assert [a["Value"] for a in second["DimensionValueAttributes"]] == accounts[4:]
    grouped_by_service = client.get_cost_and_usage(**{**request, "GroupBy": [{"Type": "DIMENSION", "Key": "SERVICE"}]})
    assert grouped_by_service["DimensionValueAttributes"] == []


def test_tag_filters_and_groups(ce_for):
    rows = [CostRow(date(2026, 11, 2), "111111111111", "Amazon EC2", D("1.5"), tags=(("Environment", "Prod"),)),
            CostRow(date(2026, 11, 2), "111111111111", "Amazon EC2", D("0.25"), tags=(("Environment", "Dev"), ("Team", "a"))),
            CostRow(date(2026, 11, 2), "111111111111", "Amazon EC2", D("0.125"))]
    client = ce_for(LocalCostExplorer(CostData(rows)))
    base = {"TimePeriod": {"Start": "2026-11-02", "End": "2026-11-03"}, "Granularity": "DAILY", "Metrics": ["UnblendedCost"]}

    def total(**extra: Any) -> str:
        return client.get_cost_and_usage(**base, **extra)["ResultsByTime"][0]["Total"]["UnblendedCost"]["Amount"]

    assert total(Filter={"Tags": {"Key": "Environment", "Values": ["Prod", "Dev"]}}) == "1.75"
    assert total(Filter={"Tags": {"Key": "Environment", "MatchOptions": ["ABSENT"]}}) == "0.125"
    assert total(Filter={"Not": {"Tags": {"Key": "Team", "Values": ["a"]}}}) == "1.625"
    request = {**base, "GroupBy": [{"Type": "TAG", "Key": "Team"}, {"Type": "TAG", "Key": "Environment"}]}
    answer = client.get_cost_and_usage(**request)
    check_answer("GetCostAndUsage", answer, request)
    assert {tuple(g["Keys"]): g["Metrics"]["UnblendedCost"]["Amount"] for g in answer["ResultsByTime"][0]["Groups"]} == {
        ("Team$", "Environment$Prod"): "1.5", ("Team$a", "Environment$Dev"): "0.25", ("Team$", "Environment$"): "0.125"}


def test_a_cost_file_reads_quantities_units_and_tags(tmp_path):
    path = tmp_path / "costs.csv"
    path.write_text('date,account_id,service,amount,usage_quantity,usage_unit,tags\n'
                    '2026-11-02,111111111111,Amazon EC2,0.1920000001,1.000000000521,Hrs,"{""Environment"":""Prod""}"\n'
                    "2026-11-02,111111111111,AWS Lambda,0.0000002,,,\n")
    data = CostData.from_csv(path)
    assert [(r.amount, r.usage_quantity, r.usage_unit, r.tags) for r in data.rows] == [
        (D("0.1920000001"), D("1.000000000521"), "Hrs", (("Environment", "Prod"),)),
        (D("0.0000002"), D(0), "N/A", ())]
    path.write_text("date,account_id,service,amount,tags\n2026-11-02,111111111111,Amazon EC2,1,not json\n")
    with pytest.raises(ValueError, match=r"line 2, column 'tags'"):
        CostData.from_csv(path)


def test_every_answer_to_the_products_own_requests_has_the_real_shape(ce_for):
    """The requests the product makes (the report's dataset, the why's usage types, an opted-in
    forecast; the budget check's spend and forecast) for every sample client and report type, and paging:
    every answer, every page, against botocore's model."""

    from chalicelib.core.models import ClientConfig
    from chalicelib.core.periods import Period, report_periods
    from chalicelib.costs.contracts import CostWindowRequest
    from chalicelib.costs.explorer import reader
    from chalicelib.costs.windows import forecast_window
    from chalicelib.reports.contracts import RunContext
    from chalicelib.reports.costs import context
    from local.aws.client_configs import load_clients
    from local.cli.common import open_month

    samples = ROOT / "local" / "samples"
    data = CostData.from_csv(samples / "costs.csv")
    as_of = date(2026, 11, 22)
    emulator = LocalCostExplorer(data, page_size=300, estimated_from=open_month(as_of), today=as_of)
    client = ce_for(emulator)
    answers = paged = 0
    for raw in load_clients(samples / "clients.json"):
        config = ClientConfig.model_validate(raw)
        for report_type in ("daily", "weekly", "monthly"):
            current, previous = report_periods(report_type, as_of)
            run = RunContext(run_id="shape", report_type=report_type, as_of=as_of, current=current, previous=previous,
                             started_at=datetime(2026, 11, 22, 6, tzinfo=UTC))
            window = context.report_request(config, run)
            periods = context.both_periods(run)
            requests = [*reader.planned_requests(config, window, periods),
                        reader.detail_request(config, "Amazon Elastic Compute Cloud - Compute", periods, window.granularity)]
            for request in requests:
                token = None
                for _ in range(100):
                    answer = client.get_cost_and_usage(**request, **({"NextPageToken": token} if token else {}))
                    check_answer("GetCostAndUsage", answer, request)
                    answers += 1
                    token = answer.get("NextPageToken")
                    if not token:
                        break
                    paged += 1
            rest = forecast_window(report_type, as_of)
            if rest is not None:
                check_answer("GetCostForecast", client.get_cost_forecast(**reader.forecast_request(config, rest)))
                answers += 1
        budget = reader.forecast_request(config, Period(start=as_of, end=date(2026, 12, 1)), "MONTHLY")
        check_answer("GetCostForecast", client.get_cost_forecast(**budget))
        month = Period(start=date(2026, 11, 1), end=as_of)
        spent = reader.read_window(config, CostWindowRequest(client_id=config.client_id, window=month, detail="account"),
                                   ce=client)
        total, currency = spent.total(month.start, month.end), spent.currency
        assert currency == "USD" and total == sum((r.amount for r in data.rows if r.account_id in config.accounts
                                                   and date(2026, 11, 1) <= r.date < as_of
                                                   and r.record_type not in config.record_types_excluded()), D(0))
    assert answers > 60 and paged > 5  # every page of the paged answers checked too


def test_the_sample_data_has_cost_explorer_precision():

    data = CostData.from_csv(ROOT / "local" / "samples" / "costs.csv")
    places = [-r.amount.as_tuple().exponent for r in data.rows]
    assert sum(8 <= p <= 10 for p in places) > len(places) // 2  # most usage lines carry 8-10 decimals
    assert max(places) == 10  # never more than Cost Explorer writes
    sub_cent = [r for r in data.rows if 0 < r.amount < D("0.01")]
    assert len(sub_cent) > 100 and {r.service for r in sub_cent} >= {"AWS X-Ray", "Amazon EventBridge"}
    assert any(r.usage_unit == "Hrs" and r.usage_quantity > 0 for r in data.rows)
    assert {dict(r.tags).get("Environment") for r in data.rows} >= {"Production", "Staging", None}

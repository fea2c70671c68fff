"""The local Cost Explorer, driven through a real boto3 client and the botocore before-call hook."""

from __future__ import annotations

import base64
import json
import threading
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from local.aws.cost_explorer.data import CostData, CostRow
from local.aws.cost_explorer.query import CostExplorerError
from local.aws.cost_explorer.service import LocalCostExplorer, LoggedRequest, install
from tests import ROOT

SAMPLES = ROOT / "local" / "samples"
A1, A2, B1 = "111111111111", "111111111112", "222222222222"
EC2 = "Amazon Elastic Compute Cloud - Compute"
S3 = "Amazon Simple Storage Service"
LAMBDA = "AWS Lambda"
SERVICES = [EC2, S3, LAMBDA]
START, END = date(2026, 9, 1), date(2026, 11, 22)
GROUP_BY = [{"Type": "DIMENSION", "Key": "SERVICE"}, {"Type": "DIMENSION", "Key": "LINKED_ACCOUNT"}]


def usage(account: str, service: str, day: date) -> Decimal:
    """Distinct per account, service and day, so a wrong day or account changes the sums."""
    return Decimal(int(account[-3:]) * 100 + SERVICES.index(service) * 10) + Decimal(day.toordinal() % 1000) / 100


def make_rows() -> list[dict]:
    rows = []
    day = START
    while day < END:
        for account in (A1, A2, B1):
            for service in SERVICES:
                rows.append({"date": day.isoformat(), "account_id": account, "service": service,
                             "amount": str(usage(account, service, day))})
        if day.day == 1:
            rows.append({"date": day.isoformat(), "account_id": A1, "service": "Tax", "amount": "55.50", "record_type": "Tax"})
        if day.day == 15:
            rows.append({"date": day.isoformat(), "account_id": A1, "service": EC2, "amount": "-100.25", "record_type": "Credit"})
        day += timedelta(days=1)
    return rows


ROWS = make_rows()


def expected_sum(start: date, end: date, accounts=(A1, A2, B1), record_types=None) -> Decimal:
    total = Decimal(0)
    for row in ROWS:
        day = date.fromisoformat(row["date"])
        in_scope = start <= day < end and row["account_id"] in accounts
        if in_scope and (record_types is None or row.get("record_type", "Usage") in record_types):
            total += Decimal(row["amount"])
    return total


@pytest.fixture
def fake_aws_env(monkeypatch, tmp_path):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)


@pytest.fixture
def emulator():
    return LocalCostExplorer(CostData.from_rows(ROWS), page_size=500, estimated_from=date(2026, 11, 19))


@pytest.fixture
def ce_client(fake_aws_env, emulator):
    """A boto3 ce client answered by the emulator (install before the client is created)."""
    session = boto3.Session()
    uninstall = install(session, emulator)
    client = session.client("ce", region_name="us-east-1")
    yield client
    uninstall()


def get(client, start: str, end: str, granularity: str = "DAILY", **extra) -> dict:
    return client.get_cost_and_usage(
        TimePeriod={"Start": start, "End": end}, Granularity=granularity, Metrics=["UnblendedCost"], **extra
    )


def totals(response: dict) -> dict[str, Decimal]:
    return {b["TimePeriod"]["Start"]: Decimal(b["Total"]["UnblendedCost"]["Amount"]) for b in response["ResultsByTime"]}


def all_pages(client, **request) -> list[dict]:
    pages = [client.get_cost_and_usage(**request)]
    while pages[-1].get("NextPageToken"):
        assert len(pages) < 500, "runaway paging"
        pages.append(client.get_cost_and_usage(**request, NextPageToken=pages[-1]["NextPageToken"]))
    return pages


# ---- time periods --------------------------------------------------------------------------


def test_time_period_end_is_exclusive(ce_client):
    response = get(ce_client, "2026-11-02", "2026-11-05")
    buckets = response["ResultsByTime"]
    assert [(b["TimePeriod"]["Start"], b["TimePeriod"]["End"]) for b in buckets] == [
        ("2026-11-02", "2026-11-03"),
        ("2026-11-03", "2026-11-04"),
        ("2026-11-04", "2026-11-05"),
    ]
    assert sum(totals(response).values()) == expected_sum(date(2026, 11, 2), date(2026, 11, 5))
    assert expected_sum(date(2026, 11, 5), date(2026, 11, 6)) > 0  # the End day has data, and it was left out
    # Plain strings and the AWS shape, not parsed types.
    assert buckets[0]["Total"]["UnblendedCost"]["Unit"] == "USD"
    assert isinstance(buckets[0]["Total"]["UnblendedCost"]["Amount"], str)
    assert buckets[0]["Groups"] == [] and "GroupDefinitions" not in response


def test_monthly_buckets_are_calendar_months_clipped_to_the_period(ce_client):
    response = get(ce_client, "2026-09-15", "2026-11-03", granularity="MONTHLY")
    periods = [(b["TimePeriod"]["Start"], b["TimePeriod"]["End"]) for b in response["ResultsByTime"]]
    assert periods == [("2026-09-15", "2026-10-01"), ("2026-10-01", "2026-11-01"), ("2026-11-01", "2026-11-03")]
    assert totals(response) == {
        "2026-09-15": expected_sum(date(2026, 9, 15), date(2026, 10, 1)),
        "2026-10-01": expected_sum(date(2026, 10, 1), date(2026, 11, 1)),
        "2026-11-01": expected_sum(date(2026, 11, 1), date(2026, 11, 3)),
    }


@pytest.mark.parametrize("start,end", [("2026-11-05", "2026-11-05"), ("2026-11-06", "2026-11-05")])
def test_start_not_before_end_is_a_validation_error(ce_client, start, end):
    with pytest.raises(ClientError) as caught:
        get(ce_client, start, end)
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_estimated_marks_buckets_from_estimated_from(ce_client):
    response = get(ce_client, "2026-11-17", "2026-11-21")
    assert {b["TimePeriod"]["Start"]: b["Estimated"] for b in response["ResultsByTime"]} == {
        "2026-11-17": False,
        "2026-11-18": False,
        "2026-11-19": True,
        "2026-11-20": True,
    }


# ---- filters and groups --------------------------------------------------------------------


def test_linked_account_filter_returns_only_those_accounts(ce_client, emulator):
    response = get(
        ce_client, "2026-11-01", "2026-11-08", GroupBy=GROUP_BY,
        Filter={"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": [A1, A2]}},
    )
    accounts = {g["Keys"][1] for b in response["ResultsByTime"] for g in b["Groups"]}
    assert accounts == {A1, A2}  # B1 belongs to another tenant
    amount = sum(Decimal(g["Metrics"]["UnblendedCost"]["Amount"]) for b in response["ResultsByTime"] for g in b["Groups"])
    assert amount == expected_sum(date(2026, 11, 1), date(2026, 11, 8), accounts=(A1, A2))
    assert emulator.log == [LoggedRequest(accounts=(A1, A2), time_period=("2026-11-01", "2026-11-08"))]

    only_b = get(ce_client, "2026-11-01", "2026-11-08", Filter={"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": [B1]}})
    assert sum(totals(only_b).values()) == expected_sum(date(2026, 11, 1), date(2026, 11, 8), accounts=(B1,))


def test_record_type_not_filter_excludes_credits_and_tax(ce_client):
    period = ("2026-10-01", "2026-11-01")
    everything = get(ce_client, *period, Filter={"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": [A1]}})
    usage_only = get(
        ce_client, *period,
        Filter={"And": [
            {"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": [A1]}},
            {"Not": {"Dimensions": {"Key": "RECORD_TYPE", "Values": ["Credit", "Tax"]}}},
        ]},
    )
    span = (date(2026, 10, 1), date(2026, 11, 1))
    assert sum(totals(everything).values()) == expected_sum(*span, accounts=(A1,))
    assert sum(totals(usage_only).values()) == expected_sum(*span, accounts=(A1,), record_types={"Usage"})
    assert totals(everything)["2026-10-01"] - totals(usage_only)["2026-10-01"] == Decimal("55.50")
    assert totals(everything)["2026-10-15"] - totals(usage_only)["2026-10-15"] == Decimal("-100.25")


def test_or_filter_and_record_type_grouping(ce_client):
    response = get(
        ce_client, "2026-10-01", "2026-10-02",
        GroupBy=[{"Type": "DIMENSION", "Key": "RECORD_TYPE"}],
        Filter={"Or": [
            {"Dimensions": {"Key": "SERVICE", "Values": ["Tax"]}},
            {"Dimensions": {"Key": "SERVICE", "Values": [LAMBDA], "MatchOptions": ["EQUALS"]}},
        ]},
    )
    groups = {g["Keys"][0]: Decimal(g["Metrics"]["UnblendedCost"]["Amount"]) for g in response["ResultsByTime"][0]["Groups"]}
    day = date(2026, 10, 1)
    assert groups == {"Tax": Decimal("55.50"), "Usage": sum(usage(a, LAMBDA, day) for a in (A1, A2, B1))}


def test_group_by_service_and_linked_account(ce_client):
    response = get(ce_client, "2026-11-10", "2026-11-11", GroupBy=GROUP_BY)
    assert response["GroupDefinitions"] == GROUP_BY
    bucket = response["ResultsByTime"][0]
    assert bucket["Total"] == {}
    keys = [tuple(g["Keys"]) for g in bucket["Groups"]]
    assert sorted(keys) == sorted((s, a) for s in SERVICES for a in (A1, A2, B1))
    by_key = {tuple(g["Keys"]): g["Metrics"]["UnblendedCost"] for g in bucket["Groups"]}
    assert Decimal(by_key[(S3, A2)]["Amount"]) == usage(A2, S3, date(2026, 11, 10))
    assert by_key[(S3, A2)]["Unit"] == "USD"


@pytest.mark.parametrize(
    "group_by",
    [
        GROUP_BY + [{"Type": "DIMENSION", "Key": "RECORD_TYPE"}],
        [{"Type": "COST_CATEGORY", "Key": "team"}],  # TAG groups are answered (tests/unit/test_cost_explorer_shape.py)
        [{"Type": "DIMENSION", "Key": "INSTANCE_TYPE"}],
    ],
)
def test_unsupported_group_by_is_rejected(ce_client, group_by):
    with pytest.raises(ClientError) as caught:
        get(ce_client, "2026-11-10", "2026-11-11", GroupBy=group_by)
    assert caught.value.response["Error"]["Code"] == "ValidationException"


def test_expression_with_two_roots_is_rejected(ce_client):
    with pytest.raises(ClientError) as caught:
        get(ce_client, "2026-11-10", "2026-11-11", Filter={
            "Dimensions": {"Key": "LINKED_ACCOUNT", "Values": [A1]},
            "Not": {"Dimensions": {"Key": "RECORD_TYPE", "Values": ["Tax"]}},
        })
    assert "more than one roots" in caught.value.response["Error"]["Message"]


# ---- paging --------------------------------------------------------------------------------


def test_paging_visits_every_group_once_and_matches_the_unpaged_totals(ce_client, emulator):
    request = {
        "TimePeriod": {"Start": "2026-10-20", "End": "2026-10-26"},  # no Tax/Credit days
        "Granularity": "DAILY",
        "Metrics": ["UnblendedCost", "AmortizedCost"],
        "GroupBy": GROUP_BY,
        "Filter": {"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": [A1, A2]}},
    }
    unpaged = all_pages(ce_client, **request)
    assert len(unpaged) == 1

    emulator.page_size = 3
    emulator.reset_counters()
    pages = all_pages(ce_client, **request)
    seen = Counter()
    sums: dict[tuple, Decimal] = {}
    for page in pages:
        assert sum(len(b["Groups"]) for b in page["ResultsByTime"]) <= 3
        for bucket in page["ResultsByTime"]:
            for group in bucket["Groups"]:
                key = (bucket["TimePeriod"]["Start"], *group["Keys"])
                seen[key] += 1
                sums[key] = Decimal(group["Metrics"]["UnblendedCost"]["Amount"])
                assert group["Metrics"]["AmortizedCost"] == group["Metrics"]["UnblendedCost"]
    expected = {
        (b["TimePeriod"]["Start"], *g["Keys"]): Decimal(g["Metrics"]["UnblendedCost"]["Amount"])
        for b in unpaged[0]["ResultsByTime"]
        for g in b["Groups"]
    }
    assert len(expected) == 6 * 3 * 2  # days x services x accounts
    assert set(seen.values()) == {1} and sums == expected
    assert len(pages) == 12  # 36 groups / 3 per page
    # A day (6 groups) is split across two pages: the continuation repeats the TimePeriod.
    starts = [b["TimePeriod"]["Start"] for b in pages[0]["ResultsByTime"] + pages[1]["ResultsByTime"]]
    assert starts == ["2026-10-20", "2026-10-20"]
    # Every page is a request, as AWS bills it.
    assert emulator.requests == len(pages) == 12
    assert all(entry.accounts == (A1, A2) for entry in emulator.log)


def test_page_size_counts_groups_across_days(ce_client, emulator):
    emulator.page_size = 4
    pages = all_pages(
        ce_client, TimePeriod={"Start": "2026-11-10", "End": "2026-11-13"}, Granularity="DAILY",
        Metrics=["UnblendedCost"], GroupBy=[{"Type": "DIMENSION", "Key": "SERVICE"}],
        Filter={"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": [B1]}},
    )
    layout = [[(b["TimePeriod"]["Start"], len(b["Groups"])) for b in page["ResultsByTime"]] for page in pages]
    assert layout == [
        [("2026-11-10", 3), ("2026-11-11", 1)],
        [("2026-11-11", 2), ("2026-11-12", 2)],
        [("2026-11-12", 1)],
    ]


def _paged_request(account: str) -> dict:
    return {
        "TimePeriod": {"Start": "2026-11-01", "End": "2026-11-08"},
        "Granularity": "DAILY",
        "Metrics": ["UnblendedCost"],
        "GroupBy": GROUP_BY,
        "Filter": {"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": [account]}},
    }


def test_a_tampered_token_is_rejected(ce_client, emulator):
    emulator.page_size = 3
    first = ce_client.get_cost_and_usage(**_paged_request(A1))
    token = first["NextPageToken"]
    blob = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    forged = base64.urlsafe_b64encode(blob.replace(b'"o":3', b'"o":6')).decode().rstrip("=")
    assert forged != token
    for bad in (forged, token[:-2], "not-a-token", token + "A"):
        with pytest.raises(ClientError) as caught:
            ce_client.get_cost_and_usage(**_paged_request(A1), NextPageToken=bad)
        assert caught.value.response["Error"]["Code"] == "InvalidNextTokenException", bad
    # The genuine token still works.
    assert ce_client.get_cost_and_usage(**_paged_request(A1), NextPageToken=token)["ResultsByTime"]


def test_a_token_from_another_request_is_rejected(ce_client, emulator):
    emulator.page_size = 3
    token_for_a = ce_client.get_cost_and_usage(**_paged_request(A1))["NextPageToken"]
    with pytest.raises(ClientError) as caught:
        ce_client.get_cost_and_usage(**_paged_request(B1), NextPageToken=token_for_a)
    assert caught.value.response["Error"]["Code"] == "InvalidNextTokenException"
    assert "different request" in caught.value.response["Error"]["Message"]


# ---- faults and counting -------------------------------------------------------------------


def test_fail_next_raises_the_aws_error_then_succeeds(ce_client, emulator):
    emulator.fail_next(2)
    for _ in range(2):
        with pytest.raises(ClientError) as caught:
            get(ce_client, "2026-11-01", "2026-11-02")
        assert caught.value.response["Error"]["Code"] == "LimitExceededException"
        assert isinstance(caught.value, ce_client.exceptions.LimitExceededException)
    assert get(ce_client, "2026-11-01", "2026-11-02")["ResultsByTime"]
    assert emulator.requests == 3 and emulator.succeeded == 1


def test_hook_errors_bypass_botocore_retries(fake_aws_env, emulator):
    """Retries live in botocore's HTTP layer, which the before-call hook skips: one call, one failure."""
    session = boto3.Session()
    uninstall = install(session, emulator)
    try:
        client = session.client("ce", region_name="us-east-1", config=Config(retries={"mode": "standard", "max_attempts": 3}))
        emulator.fail_next(1, code="ThrottlingException", message="slow down", status=400)
        with pytest.raises(ClientError) as caught:
            get(client, "2026-11-01", "2026-11-02")
        assert caught.value.response["Error"] == {"Code": "ThrottlingException", "Message": "slow down"}
        assert emulator.requests == 1
        emulator.fail_next(1, code="InternalServerError", status=500)
        with pytest.raises(ClientError) as caught:
            get(client, "2026-11-01", "2026-11-02")
        assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    finally:
        uninstall()


def test_fault_hook_sees_the_request_and_can_fail_it(ce_client, emulator):
    seen = []

    def hook(params):
        seen.append(params)
        if params.get("NextPageToken"):
            raise CostExplorerError("AccessDeniedException", "denied mid-paging", 400)

    emulator.fault_hook = hook
    emulator.page_size = 3
    first = ce_client.get_cost_and_usage(**_paged_request(A1))
    with pytest.raises(ClientError) as caught:
        ce_client.get_cost_and_usage(**_paged_request(A1), NextPageToken=first["NextPageToken"])
    assert caught.value.response["Error"]["Code"] == "AccessDeniedException"
    assert seen[0]["Filter"] == _paged_request(A1)["Filter"] and len(seen) == 2


def test_the_request_counter_is_thread_safe(emulator):
    def work():
        for _ in range(50):
            emulator.get_cost_and_usage(TimePeriod={"Start": "2026-11-01", "End": "2026-11-02"}, Granularity="DAILY",
                                        Metrics=["UnblendedCost"])

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert emulator.requests == 400 and len(emulator.log) == 400


# ---- the hook with moto --------------------------------------------------------------------


def test_install_on_the_default_session_under_mock_aws(fake_aws_env, emulator):
    from moto import mock_aws

    with mock_aws():
        boto3.setup_default_session()
        uninstall = install(boto3.DEFAULT_SESSION, emulator)
        client = boto3.client("ce", region_name="us-east-1")
        response = get(client, "2026-11-01", "2026-11-03", Filter={"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": [B1]}})
        assert sum(totals(response).values()) == expected_sum(date(2026, 11, 1), date(2026, 11, 3), accounts=(B1,))
        assert emulator.requests == 1
        uninstall()
        # The client still holds a copy of the handler, but it is disabled: moto answers now.
        client.get_cost_and_usage(TimePeriod={"Start": "2026-11-01", "End": "2026-11-03"}, Granularity="DAILY",
                                  Metrics=["UnblendedCost"])
        assert emulator.requests == 1
    boto3.DEFAULT_SESSION = None


# ---- CSV validation ------------------------------------------------------------------------

GOOD = "2026-11-01,111111111111,AWS Lambda,1.25"


@pytest.mark.parametrize(
    "bad_line,column",
    [
        ("2026-11-31,111111111111,AWS Lambda,1.25", "date"),
        ("11/01/2026,111111111111,AWS Lambda,1.25", "date"),
        ("2026-11-01,11111111111,AWS Lambda,1.25", "account_id"),
        ("2026-11-01,11111111111x,AWS Lambda,1.25", "account_id"),
        ("2026-11-01,111111111111,AWS Lambda,NaN", "amount"),
        ("2026-11-01,111111111111,AWS Lambda,12,5", None),
        ("2026-11-01,111111111111,AWS Lambda,abc", "amount"),
        ("2026-11-01,111111111111,AWS Lambda,", "amount"),
        ("2026-11-01,111111111111,  ,1.25", "service"),
    ],
)
def test_csv_errors_name_file_line_and_column(tmp_path, bad_line, column):
    path = tmp_path / "costs.csv"
    path.write_text("\n".join(["date,account_id,service,amount", GOOD, GOOD, bad_line, GOOD]) + "\n")
    with pytest.raises(ValueError) as caught:
        CostData.from_csv(path)
    message = str(caught.value)
    assert str(path) in message and "line 4" in message
    if column:
        assert f"column {column!r}" in message


def test_csv_header_and_optional_columns(tmp_path):
    path = tmp_path / "costs.csv"
    path.write_text("date,account_id,service,amount,recordtype\n" + GOOD + ",Usage\n")
    with pytest.raises(ValueError, match=r"line 1, column 'recordtype': unknown column"):
        CostData.from_csv(path)
    path.write_text("date,account_id,service,amount,record_type,currency\n"
                    + GOOD + ",,\n2026-11-01,111111111111,Tax,0.10,Tax,EUR\n")
    data = CostData.from_csv(path)
    assert data.rows == [
        CostRow(date(2026, 11, 1), "111111111111", "AWS Lambda", Decimal("1.25"), "Usage", "USD"),
        CostRow(date(2026, 11, 1), "111111111111", "Tax", Decimal("0.10"), "Tax", "EUR"),
    ]


def test_from_rows_errors_name_the_row():
    with pytest.raises(ValueError, match=r"<rows>, line 3, column 'amount'"):
        CostData.from_rows([{"date": "2026-11-01", "account_id": A1, "service": EC2, "amount": "1"},
                            {"date": "2026-11-01", "account_id": A1, "service": EC2, "amount": "inf"}])


# ---- sample data ---------------------------------------------------------------------------


def test_sample_clients_validate_and_costs_cover_them():
    from chalicelib.core.models import ClientConfig

    clients = json.loads((SAMPLES / "clients.json").read_text())
    configs = [ClientConfig.model_validate(c) for c in clients]
    assert [c.client_id for c in configs] == ["acme-retail", "northwind-health", "globex-logistics", "initech", "umbrella-labs"]
    accounts = [a for c in configs for a in c.accounts]
    assert len(accounts) == len(set(accounts)), "an account is shared between clients"
    assert {c.client_id: c.status for c in configs}["initech"] == "PAUSED"
    umbrella = next(c for c in configs if c.client_id == "umbrella-labs")
    assert umbrella.role_arn and umbrella.external_id

    data = CostData.from_csv(SAMPLES / "costs.csv")
    assert data.first_day == date(2026, 8, 1) and data.last_day == date(2026, 11, 21)
    assert data.accounts == set(accounts)
    for config in configs:
        services = {r.service for r in data.rows if r.account_id in config.accounts}
        assert 8 <= len(services) <= 25, config.client_id
    assert {r.record_type for r in data.rows} >= {"Usage", "Credit", "Tax", "Support", "Refund"}
    assert all(r.date.day == 1 for r in data.rows if r.record_type == "Tax")
    assert all(r.amount < 0 for r in data.rows if r.record_type in ("Credit", "Refund"))


def test_globex_has_an_ec2_spike_in_the_last_full_week():
    clients = {c["client_id"]: c for c in json.loads((SAMPLES / "clients.json").read_text())}
    data = CostData.from_csv(SAMPLES / "costs.csv")

    def ec2(client_id: str, start: date) -> Decimal:
        accounts = set(clients[client_id]["accounts"])
        return sum(
            (r.amount for r in data.rows
             if r.account_id in accounts and r.service == EC2 and r.record_type == "Usage"
             and start <= r.date < start + timedelta(days=7)),
            Decimal(0),
        )

    growth = ec2("globex-logistics", date(2026, 11, 9)) / ec2("globex-logistics", date(2026, 11, 2))
    assert Decimal("2.5") < growth < Decimal("3.1")  # about +180%
    steady = ec2("acme-retail", date(2026, 11, 9)) / ec2("acme-retail", date(2026, 11, 2))
    assert Decimal("0.9") < steady < Decimal("1.1")


def test_samples_are_reproducible(tmp_path):
    from local.samples.make_samples import write_samples

    clients_path, costs_path = write_samples(tmp_path)
    assert clients_path.read_bytes() == (SAMPLES / "clients.json").read_bytes()
    assert costs_path.read_bytes() == (SAMPLES / "costs.csv").read_bytes()


def test_synthetic_clients_are_valid_and_disjoint():
    from chalicelib.core.models import ClientConfig
    from local.samples.make_samples import synthetic_clients

    clients, rows = synthetic_clients(5, seed=1, start=date(2026, 11, 1), end=date(2026, 11, 15))
    assert len(rows) == 5 * 2 * 12 * 14
    configs = [ClientConfig.model_validate(c) for c in clients]
    accounts = [a for c in configs for a in c.accounts]
    assert len(set(accounts)) == 10
    data = CostData.from_rows(rows)
    assert data.accounts == set(accounts)
    assert synthetic_clients(5, seed=1, start=date(2026, 11, 1), end=date(2026, 11, 15)) == (clients, rows)


# --- GetCostForecast and USAGE_TYPE (the forecast and the why of a change) ---


def test_forecast_is_the_trailing_daily_mean_with_an_interval(ce_client):
    answer = ce_client.get_cost_forecast(
        TimePeriod={"Start": "2026-11-22", "End": "2026-11-25"}, Metric="UNBLENDED_COST", Granularity="DAILY",
        Filter={"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": [A1]}},
    )
    history = [expected_sum(date(2026, 11, 8) + timedelta(days=i), date(2026, 11, 9) + timedelta(days=i), accounts=(A1,))
               for i in range(14)]
    mean = sum(history, Decimal(0)) / 14
    # a computed figure, written with Cost Explorer's 10 decimals
    assert Decimal(answer["Total"]["Amount"]) == (mean * 3).quantize(Decimal("1e-10"))
    days = answer["ForecastResultsByTime"]
    assert [d["TimePeriod"]["Start"] for d in days] == ["2026-11-22", "2026-11-23", "2026-11-24"]
    for d in days:
        assert Decimal(d["PredictionIntervalLowerBound"]) <= Decimal(d["MeanValue"]) <= Decimal(d["PredictionIntervalUpperBound"])


def test_forecast_refuses_what_aws_refuses(fake_aws_env):
    emulator = LocalCostExplorer(CostData.from_rows(ROWS), today=date(2026, 11, 22))
    session = boto3.Session()
    uninstall = install(session, emulator)
    client = session.client("ce", region_name="us-east-1")
    try:
        base = {"Metric": "UNBLENDED_COST", "Granularity": "DAILY"}
        with pytest.raises(ClientError, match="greater than the current date"):
            client.get_cost_forecast(TimePeriod={"Start": "2026-11-21", "End": "2026-11-30"}, **base)
        with pytest.raises(ClientError) as caught:  # no history before 2027: a new account
            client.get_cost_forecast(TimePeriod={"Start": "2027-06-01", "End": "2027-06-30"}, **base)
        assert caught.value.response["Error"]["Code"] == "DataUnavailableException"
        assert emulator.requests == 2  # refused calls are billed too
    finally:
        uninstall()


def test_usage_type_and_region_group_and_filter(fake_aws_env):
    rows = [
        CostRow(date(2026, 11, 1), A1, EC2, Decimal("7"), "Usage", "USD", "us-east-1", "BoxUsage:m5.xlarge"),
        CostRow(date(2026, 11, 1), A1, EC2, Decimal("3"), "Usage", "USD", "eu-west-1", "EU-BoxUsage:m5.large"),
        CostRow(date(2026, 11, 1), A1, S3, Decimal("1")),
    ]
    emulator = LocalCostExplorer(CostData(rows))
    session = boto3.Session()
    uninstall = install(session, emulator)
    try:
        answer = get(session.client("ce", region_name="us-east-1"), "2026-11-01", "2026-11-02",
                     GroupBy=[{"Type": "DIMENSION", "Key": "USAGE_TYPE"}, {"Type": "DIMENSION", "Key": "REGION"}],
                     Filter={"Dimensions": {"Key": "SERVICE", "Values": [EC2]}})
    finally:
        uninstall()
    groups = {tuple(g["Keys"]): g["Metrics"]["UnblendedCost"]["Amount"] for g in answer["ResultsByTime"][0]["Groups"]}
    assert groups == {("BoxUsage:m5.xlarge", "us-east-1"): "7", ("EU-BoxUsage:m5.large", "eu-west-1"): "3"}


@pytest.mark.parametrize("cost_filter", [
    {"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": [A1, B1]}},
    {"And": [{"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": [A1, A2]}},
             {"Not": {"Dimensions": {"Key": "RECORD_TYPE", "Values": ["Credit", "Tax"]}}}]},
    {"And": [{"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": [A1, A2]}},
             {"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": [A2, B1]}}]},
    {"And": [{"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": [A1, B1]}},
             {"Or": [{"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": [A1]}},
                     {"Dimensions": {"Key": "SERVICE", "Values": [S3]}}]},
             {"Dimensions": {"Key": "SERVICE", "Values": [EC2, S3, "Tax"]}}]},
    {"Or": [{"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": [A1]}}, {"Dimensions": {"Key": "SERVICE", "Values": [LAMBDA]}}]},
    {"Not": {"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": [A1]}}},
])
def test_rows_read_through_the_account_index_are_the_rows_the_whole_filter_matches(cost_filter):
    """The emulator asks of an indexed row only what the index does not guarantee: the sums are the
    ones a scan of every row with the whole Filter gives, for each shape of Filter."""
    from local.aws.cost_explorer.query import aggregate, parse_request

    data = CostData.from_rows(ROWS)
    query = parse_request({"TimePeriod": {"Start": "2026-10-01", "End": "2026-10-20"}, "Granularity": "MONTHLY",
                           "Metrics": ["UnblendedCost"], "GroupBy": GROUP_BY, "Filter": cost_filter})
    answered = {key: total.amount for key, total in aggregate(data, query, query.start, query.end).items()}
    scanned: dict[tuple[str, str], Decimal] = {}
    for row in data.rows:
        if query.start <= row.date < query.end and query.predicate(row):
            key = (row.service, row.account_id)
            scanned[key] = scanned.get(key, Decimal(0)) + row.amount
    assert scanned and answered == scanned

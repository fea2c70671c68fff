"""A report run whose clients read a billing export, through the state machine on the local AWS: one
Athena query per export for all of them, each export client's dataset under the run with only its own
accounts' rows, Cost Explorer clients untouched, an export failure refusing only export clients."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from local.__main__ import main
from local.aws.client_configs import load_clients
from local.aws.cost_explorer.data import CostData

SAMPLES = Path(__file__).resolve().parents[2] / "local" / "samples"
AS_OF = "2026-11-22"


@pytest.fixture
def sample_aws(tmp_path):
    from local.aws.runtime import LocalAWS

    opened = []

    def make(clients=None, costs=None):
        aws = LocalAWS(out_dir=tmp_path / "out", costs=costs if costs is not None else CostData.from_csv(SAMPLES / "costs.csv"),
                       clients=clients if clients is not None else load_clients(SAMPLES / "clients.json"),
                       retry_time_scale=0.05)
        opened.append(aws.__enter__())
        return aws

    yield make
    for aws in reversed(opened):
        aws.__exit__(None, None, None)


def _slice(aws, run_id, client_id):
    from chalicelib.costs.store import get_slice

    return get_slice(run_id, client_id)


def _states(aws, execution_arn):
    return [e["stateEnteredEventDetails"]["name"] for e in aws.history(execution_arn) if "stateEnteredEventDetails" in e]


def test_make_run_queries_the_sample_focus_export_once(tmp_path):
    out = tmp_path / "out"
    assert main(["run", "--out", str(out), "--as-of", AS_OF]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["athena_queries"] == 1  # one export read by three clients: one query
    assert summary["athena_bytes_scanned"] > 0
    clients = {c["client_id"]: c for c in summary["clients"]}
    sources = {c["client_id"]: c.get("cost_source") for c in load_clients(SAMPLES / "clients.json")}
    for client_id in ("acme-retail", "northwind-health", "umbrella-labs"):
        assert sources[client_id] == "focus"
        assert clients[client_id]["status"] == "delivered" and clients[client_id]["ce_requests"] == 0
    assert clients["globex-logistics"]["status"] == "delivered" and clients["globex-logistics"]["ce_requests"] > 0
    assert summary["ce_requests"] == clients["globex-logistics"]["ce_requests"]


def test_a_run_on_an_azure_focus_file_delivers_every_report_without_cost_explorer(tmp_path):
    """`python -m local run --costs FOCUS-FILE`: every client reads that export, by subscription id."""
    usd = sorted(a for a, c in _azure_currencies().items() if c == {"USD"})
    assert len(usd) >= 2
    clients = [{"client_id": "contoso", "name": "Contoso", "status": "ACTIVE", "recipients": ["finops@contoso.example"],
                "reports": ["weekly"], "accounts": usd[:1]},
               {"client_id": "tailspin", "name": "Tailspin", "status": "ACTIVE", "recipients": ["it@tailspin.example"],
                "reports": ["weekly"], "accounts": usd[1:]}]
    (tmp_path / "clients.json").write_text(json.dumps(clients))
    out = tmp_path / "out"
    assert main(["run", "--clients", str(tmp_path / "clients.json"), "--costs", str(SAMPLES / "focus-azure-1.0.csv.gz"),
                 "--as-of", _azure_as_of(), "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["ce_requests"] == 0 and summary["athena_queries"] == 1
    assert {c["client_id"]: c["status"] for c in summary["clients"]} == {"contoso": "delivered", "tailspin": "delivered"}
    html = (out / "contoso" / "report.html").read_text()
    assert "Contoso" in html and usd[0] in html  # the report names the subscription as the export writes it


def test_each_export_client_gets_only_its_own_accounts_rows(sample_aws):
    aws = sample_aws()
    run_id = "export-run"
    described = aws.run({"report_type": "weekly", "as_of": AS_OF}, name=run_id)
    assert described["status"] == "SUCCEEDED", described
    states = _states(aws, described["executionArn"])
    assert states.count("QueryExports") == 1 and states.count("SplitExports") == 1
    assert aws.athena.queries == 1
    configs = {c["client_id"]: c for c in load_clients(SAMPLES / "clients.json")}
    costs = CostData.from_csv(SAMPLES / "costs.csv")
    for client_id in ("acme-retail", "northwind-health", "umbrella-labs"):
        dataset = _slice(aws, run_id, client_id)
        accounts = set(configs[client_id]["accounts"])
        assert dataset.source == "export" and dataset.export == "focus" and dataset.rows
        assert {r.account_id for r in dataset.rows} <= accounts  # another client's rows never reach it
        if configs[client_id].get("cost_metric", "UnblendedCost") != "UnblendedCost":
            continue
        expected: dict[date, Decimal] = defaultdict(Decimal)
        for row in costs.rows:
            if row.account_id in accounts and dataset.window.start <= row.date < dataset.window.end:
                expected[row.date] += row.amount
        got: dict[date, Decimal] = defaultdict(Decimal)
        for r in dataset.rows:
            got[r.day] += r.amount
        assert set(got) == set(expected)
        assert all(abs(got[d] - expected[d]) < Decimal("0.000001") for d in expected), client_id
    # the Cost Explorer client has no export dataset; the paused one was never eligible
    from chalicelib.core.errors import CostReportError

    for client_id in ("globex-logistics", "initech"):
        with pytest.raises(CostReportError):
            _slice(aws, run_id, client_id)


def test_a_failed_export_query_refuses_its_clients_and_the_others_go_on(sample_aws):
    from chalicelib.core.errors import BusinessLogicError

    aws = sample_aws()
    aws.athena.fail_next_query("HIVE_CANNOT_OPEN_SPLIT: Error opening Hive split: injected")
    run_id = "failed-export-run"
    described = aws.run({"report_type": "weekly", "as_of": AS_OF}, name=run_id)
    assert described["status"] == "SUCCEEDED", described
    with pytest.raises(BusinessLogicError, match="HIVE_CANNOT_OPEN_SPLIT"):
        _slice(aws, run_id, "acme-retail")
    records = aws.run_records(run_id)
    assert records["globex-logistics"]["status"] == "completed"


def test_a_non_aws_focus_file_is_read_as_every_clients_export(sample_aws):
    from local.aws.exports.files import read_costs

    currencies = _azure_currencies()
    usd = sorted(a for a, c in currencies.items() if c == {"USD"})
    eur = sorted(a for a, c in currencies.items() if c == {"EUR"})
    base = {"status": "ACTIVE", "recipients": ["finops@contoso.example"], "reports": ["weekly"]}
    clients = [{**base, "client_id": "contoso", "name": "Contoso", "accounts": usd},
               {**base, "client_id": "fabrikam", "name": "Fabrikam", "accounts": eur[:1]}]
    aws = sample_aws(clients=clients, costs=read_costs(SAMPLES / "focus-azure-1.0.csv.gz"))
    run_id = "azure-run"
    described = aws.run({"report_type": "weekly", "as_of": _azure_as_of()}, name=run_id)
    assert described["status"] == "SUCCEEDED", described
    assert aws.athena.queries == 1
    contoso, fabrikam = _slice(aws, run_id, "contoso"), _slice(aws, run_id, "fabrikam")
    assert contoso.rows and {r.provider for r in contoso.rows} == {"Microsoft"} and contoso.currency == "USD"
    assert {r.account_id for r in contoso.rows} == set(usd)
    assert fabrikam.currency == "EUR" and {r.account_id for r in fabrikam.rows} == set(eur[:1])


def test_a_client_billed_in_two_currencies_is_refused_through_a_run(sample_aws):
    from chalicelib.core.errors import BusinessLogicError
    from local.aws.exports.files import read_costs

    currencies = _azure_currencies()
    both = [min(a for a, c in currencies.items() if c == {"USD"}), min(a for a, c in currencies.items() if c == {"EUR"})]
    clients = [{"client_id": "mixed", "name": "Mixed", "status": "ACTIVE", "recipients": ["finops@mixed.example"],
                "reports": ["weekly"], "accounts": both}]
    aws = sample_aws(clients=clients, costs=read_costs(SAMPLES / "focus-azure-1.0.csv.gz"))
    described = aws.run({"report_type": "weekly", "as_of": _azure_as_of()}, name="mixed-run")
    assert described["status"] == "SUCCEEDED", described
    with pytest.raises(BusinessLogicError, match=r"2 currencies \(EUR, USD\)"):
        _slice(aws, "mixed-run", "mixed")


def _azure_currencies() -> dict[str, set[str]]:
    import duckdb

    found: dict[str, set[str]] = defaultdict(set)
    for account, currency in duckdb.connect().execute(
            f"SELECT DISTINCT SubAccountId, BillingCurrency FROM read_csv('{SAMPLES / 'focus-azure-1.0.csv.gz'}', "
            "all_varchar = true)").fetchall():
        found[account].add(currency)
    return dict(found)


def _azure_as_of() -> str:
    import duckdb

    last = duckdb.connect().execute(f"SELECT max(CAST(ChargePeriodStart AS TIMESTAMP)) FROM read_csv("
                                    f"'{SAMPLES / 'focus-azure-1.0.csv.gz'}', all_varchar = true)").fetchone()[0]
    return (last.date() + timedelta(days=1)).isoformat()


def test_a_client_naming_an_export_the_stage_does_not_declare_is_refused_by_name(sample_aws):
    clients = load_clients(SAMPLES / "clients.json")
    clients = [{**c, "cost_source": "nosuch"} if isinstance(c, dict) and c["client_id"] == "acme-retail" else c
               for c in clients]
    aws = sample_aws(clients=clients)
    described = aws.run({"report_type": "weekly", "as_of": AS_OF}, name="unknown-export-run")
    assert described["status"] == "SUCCEEDED", described
    records = aws.run_records("unknown-export-run")
    assert records["acme-retail"]["status"] == "failed"
    assert "'nosuch' is not an export this stage declares (declared: focus, cur)" in records["acme-retail"]["reason"]
    assert aws.athena.queries == 1  # the other export clients still read theirs

"""Bad input at the edges, through the entry points people and AWS use: a report on demand for a
period with no costs yet or at the calendar's ends, the budget check and the aggregation with such
dates, booleans that are not JSON booleans, and a clients file with a 1 MB name. Each is refused
with a DataValidationError (or exit code 2) naming the field, never an OverflowError or a "$0" answer."""

from __future__ import annotations

import json
import os
import uuid
from datetime import date

import pytest

from chalicelib.core.constants import ENV_AGGREGATION_STATE_MACHINE_ARN
from tests.factories import client_config as client, cost_rows

ALPHA = client("alpha", ["111111111111"], budgets={"monthly": 100})
ROWS = cost_rows(["111111111111"], start=date(2026, 10, 1), end=date(2026, 11, 20))


@pytest.fixture
def aws(local_aws):
    # One per test: the CLI tests open an in-process AWS of their own, never alongside another.
    return local_aws(clients=[ALPHA], rows=ROWS, poll_queues=False)


def _report_pdf(aws, payload: dict) -> tuple[dict, bool]:
    reply = aws.session.client("lambda").invoke(FunctionName=aws.stage.function_name("report_pdf"),
                                                Payload=json.dumps({"client_id": "alpha", **payload}).encode())
    return json.loads(reply["Payload"].read()), bool(reply.get("FunctionError"))


# ---- the report on demand -----------------------------------------------------------------------------


@pytest.mark.parametrize(("report_type", "as_of"), [("monthly", "2999-01-01"), ("weekly", "2999-01-01"),
                                                    ("daily", "9999-12-31"), ("weekly", "9999-12-31")])
def test_report_on_demand_later_than_tomorrow_is_refused_as_runs_refuse_it(aws, report_type, as_of):
    error, failed = _report_pdf(aws, {"report_type": report_type, "as_of": as_of, "format": "html"})
    assert failed, f"a report for a period with no costs yet: {error}"
    assert error["errorType"] == "DataValidationError"
    assert error["errorMessage"].startswith("report_pdf: invalid stage input: as_of:") and "tomorrow" in error["errorMessage"]


@pytest.mark.parametrize(("report_type", "as_of"), [("daily", "0001-01-01"), ("daily", "0001-01-03"),
                                                    ("weekly", "0001-01-09"), ("monthly", "0001-03-01")])
def test_report_on_demand_at_the_calendars_start_names_as_of(aws, report_type, as_of):
    error, failed = _report_pdf(aws, {"report_type": report_type, "as_of": as_of, "format": "html"})
    assert failed and error["errorType"] == "DataValidationError", error
    assert "as_of:" in error["errorMessage"] and "out of range" in error["errorMessage"]


def test_local_report_later_than_tomorrow_names_as_of(tmp_path, capsys):
    from local.__main__ import main

    out = tmp_path / "out"
    code = main(["report", "--client-id", "acme-retail", "--format", "html", "--as-of", "2999-01-01", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 1 and "DataValidationError" in err and "as_of" in err and "tomorrow" in err
    assert "Traceback" not in err and not out.joinpath("acme-retail").exists()


# ---- the budget check ---------------------------------------------------------------------------------


@pytest.mark.parametrize("as_of", ["9999-12-31", "0001-01-01", "2999-01-01"])
def test_budget_check_with_an_extreme_or_future_as_of_fails_naming_as_of(aws, as_of):
    described = aws.wait(aws.notify.start_budget_check({"as_of": as_of}, f"budget-{uuid.uuid4().hex[:8]}"))
    assert described["status"] == "FAILED", described.get("output")
    assert described["error"] == "DataValidationError"
    assert "invalid execution input: as_of:" in described["cause"]
    assert aws.cost_explorer.requests == 0  # no client was checked against an impossible period


# ---- the aggregation ----------------------------------------------------------------------------------


def _aggregate(aws, run_input: dict) -> dict:
    arn = aws.sfn.start_execution(stateMachineArn=os.environ[ENV_AGGREGATION_STATE_MACHINE_ARN],
                                  name=f"aggregate-{uuid.uuid4().hex[:12]}", input=json.dumps(run_input))["executionArn"]
    return aws.wait(arn, timeout=300)


@pytest.mark.parametrize(("run_input", "field"), [
    ({"run_date": "0001-01-01"}, "run_date"),
    ({"run_date": "9999-12-31"}, "run_date"),
    ({"backfill": True, "start_date": "9999-12-30", "end_date": "9999-12-31"}, "start_date"),
    ({"backfill": True, "start_date": "0001-01-01", "end_date": "0001-01-02"}, "start_date"),
])
def test_aggregation_at_the_calendars_ends_fails_naming_the_field(aws, run_input, field):
    described = _aggregate(aws, run_input)
    assert described["status"] == "FAILED" and described["error"] == "DataValidationError", described.get("cause")
    assert f"invalid execution input: {field}:" in described["cause"] and "out of range" in described["cause"]


# ---- booleans are JSON booleans in every execution input ---------------------------------------------


@pytest.mark.parametrize("value", ["yes", "true", 1, "false"])
def test_backfill_and_force_must_be_json_booleans(aws, value):
    described = _aggregate(aws, {"backfill": value, "start_date": "2026-11-01", "end_date": "2026-11-02"})
    assert described["status"] == "FAILED" and described["error"] == "DataValidationError", described.get("output")
    assert "invalid execution input: backfill:" in described["cause"]
    described = aws.run({"report_type": "weekly", "as_of": "2026-11-18", "force": value}, name=f"force-{uuid.uuid4().hex[:8]}")
    assert described["status"] == "FAILED" and "invalid execution input: force:" in described["cause"]


# ---- a clients file the table cannot hold ---------------------------------------------------------------


def test_local_run_with_a_1_mb_client_name_exits_2_naming_the_field(tmp_path, capsys):
    from local.__main__ import main

    clients_path = tmp_path / "clients.json"
    clients_path.write_text(json.dumps([client("bravo", ["222222222222"]),
                                        client("alpha", ["111111111111"], name="x" * 1_000_000)]))
    code = main(["run", "--clients", str(clients_path), "--as-of", "2026-11-18", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2, err[-2000:]
    assert "entry [1] (client 'alpha')" in err and "name: String should have at most 200 characters" in err
    assert "Traceback" not in err and len(err) < 2000  # the name itself is not echoed

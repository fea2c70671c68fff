"""Every path that loads a client's config goes through the one loader (chalicelib/core/clients.py),
so a client listing another client's account never gets that account's figures: the scheduled run
(EventBridge -> trigger -> state machine), a manual one-client execution, the report on demand
(`report_pdf` through Lambda, and `python -m local report`), the budget check, and a config edited
while a run or a check is in flight."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pytest

from tests.factories import client_config as client, cost_rows

ALPHA_ACCOUNT, BRAVO_ACCOUNT, CHARLIE_ACCOUNT = "111111111111", "222222222222", "333333333333"
ROWS = cost_rows([ALPHA_ACCOUNT, BRAVO_ACCOUNT, CHARLIE_ACCOUNT], start=date(2026, 10, 1), end=date(2026, 11, 20))
ALPHA = client("alpha", [ALPHA_ACCOUNT], budgets={"monthly": 100})
# bravo lists alpha's account as well (a typo, or a hostile edit): refused for both, every path.
BRAVO_OVERLAPPING = client("bravo", [BRAVO_ACCOUNT, ALPHA_ACCOUNT], budgets={"monthly": 100})
BRAVO = client("bravo", [BRAVO_ACCOUNT], budgets={"monthly": 100})
CHARLIE = client("charlie", [CHARLIE_ACCOUNT], budgets={"monthly": 100})
WEEKLY = {"report_type": "weekly", "as_of": "2026-11-18"}


def _names_the_overlap(text: str, other: str) -> bool:
    return ALPHA_ACCOUNT in text and f"'{other}'" in text and "shared_accounts" in text


def _sent_to(aws) -> list[str]:
    return sorted(sent["client_id"] for sent in aws.outbox.sent)


# ---- the scheduled run and a manual one-client execution ------------------------------------------


def test_scheduled_run_and_manual_one_client_run_refuse_the_overlap(local_aws):
    aws = local_aws(clients=[ALPHA, BRAVO_OVERLAPPING, CHARLIE], rows=ROWS)
    event = {"version": "0", "id": "e1", "detail-type": "Scheduled Event", "source": "aws.events",
             "account": "123456789012", "time": "2026-11-16T09:00:00Z", "region": "us-east-1", "resources": [], "detail": {}}
    started = aws.app.handler_map["weekly_trigger"](event, None)
    assert aws.wait(started["execution_arn"])["status"] == "SUCCEEDED"
    records = aws.run_records(started["execution_name"])
    assert records["alpha"]["status"] == records["bravo"]["status"] == "failed"
    assert _names_the_overlap(records["bravo"]["reason"], "alpha") and _names_the_overlap(records["alpha"]["reason"], "bravo")
    assert records["charlie"]["status"] == "completed" and _sent_to(aws) == ["charlie"]

    described = aws.run({**WEEKLY, "client_id": "bravo"}, name="manual-bravo")
    assert described["status"] == "SUCCEEDED"
    (only,) = aws.run_records("manual-bravo").values()
    assert only["client_id"] == "bravo" and only["status"] == "failed" and only["category"] == "configuration"
    assert _sent_to(aws) == ["charlie"]


# ---- the report on demand --------------------------------------------------------------------------


def _report_pdf(aws, client_id: str, **extra) -> tuple[dict, bool]:
    reply = aws.session.client("lambda").invoke(
        FunctionName=aws.stage.function_name("report_pdf"),
        Payload=json.dumps({"client_id": client_id, "report_type": "weekly", "as_of": "2026-11-18", **extra}).encode())
    return json.loads(reply["Payload"].read()), bool(reply.get("FunctionError"))


def test_report_pdf_refuses_a_client_listing_another_clients_account(local_aws):
    aws = local_aws(clients=[ALPHA, BRAVO_OVERLAPPING, CHARLIE], rows=ROWS)
    for client_id, other in (("bravo", "alpha"), ("alpha", "bravo")):
        error, failed = _report_pdf(aws, client_id, format="html")
        assert failed, f"{client_id} got a report: {error}"
        assert error["errorType"] == "ConfigurationError" and _names_the_overlap(error["errorMessage"], other)
    # nothing rendered for either; a client that overlaps nobody still gets its report
    assert not [name for name in aws.artefact_names("runs/") if "/alpha/" in name or "/bravo/" in name]
    result, failed = _report_pdf(aws, "charlie", format="html")
    assert not failed, result
    html = aws.read_artefact(result["report_key"])
    assert "3333 3333 3333" in html and "1111 1111 1111" not in html


def _write_inputs(folder: Path, clients: list[dict]) -> tuple[Path, Path]:
    clients_path, costs_path = folder / "clients.json", folder / "costs.csv"
    clients_path.write_text(json.dumps(clients))
    with costs_path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["date", "account_id", "service", "amount", "record_type", "currency"])
        writer.writeheader()
        for row in ROWS:
            writer.writerow({"record_type": "Usage", "currency": "USD", **row})
    return clients_path, costs_path


@pytest.mark.parametrize("client_id", ["bravo", "alpha"])
def test_local_report_refuses_a_client_listing_another_clients_account(tmp_path, capsys, client_id):
    from local.__main__ import main

    clients_path, costs_path = _write_inputs(tmp_path, [ALPHA, BRAVO_OVERLAPPING, CHARLIE])
    out = tmp_path / "out"
    code = main(["report", "--client-id", client_id, "--format", "html", "--as-of", "2026-11-18",
                 "--clients", str(clients_path), "--costs", str(costs_path), "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 1, err
    assert "ConfigurationError" in err and _names_the_overlap(err, "bravo" if client_id == "alpha" else "alpha")
    assert not (out / client_id).exists()


# ---- the budget check --------------------------------------------------------------------------------


def _budget_check(aws, name: str) -> dict[str, dict]:
    described = aws.wait(aws.notify.start_budget_check({"as_of": "2026-11-20"}, name))
    assert described["status"] == "SUCCEEDED", described
    return {c["client_id"]: c for c in json.loads(described["output"])["clients"]}


def test_budget_check_refuses_the_overlap(local_aws):
    aws = local_aws(clients=[ALPHA, BRAVO_OVERLAPPING, CHARLIE], rows=ROWS, poll_queues=False)
    clients = _budget_check(aws, "budget-overlap")
    assert clients["alpha"]["status"] == clients["bravo"]["status"] == "skipped"
    assert _names_the_overlap(clients["bravo"]["reason"], "alpha")
    assert clients["charlie"]["status"] == "checked" and clients["charlie"]["crossed"]
    assert aws.cost_explorer.requests == 2  # charlie's spend and forecast only


# ---- a config edited while the run is in flight -----------------------------------------------------


def _edit_after(aws, stage: str, client_id: str, config: dict | str) -> None:
    """Replace a stored config as soon as `stage` has finished (as a person editing the table would)."""
    from chalicelib.core import clients

    def edit(name, event, result):
        if name == stage:
            clients.put_client_config(config, client_id=client_id)

    aws.bridge.after_hook = edit


def test_a_config_edited_after_eligibility_is_not_reported_on(local_aws):
    aws = local_aws(clients=[ALPHA, BRAVO, CHARLIE], rows=ROWS)
    _edit_after(aws, "eligibility", "bravo", BRAVO_OVERLAPPING)
    described = aws.run(WEEKLY, name="edited-mid-run")
    assert described["status"] == "SUCCEEDED"
    records = aws.run_records("edited-mid-run")
    bravo = records["bravo"]
    assert bravo["status"] == "failed" and bravo["category"] == "configuration" and bravo["error"] == "ConfigChangedError"
    assert "config changed during the run" in bravo["reason"] and "rerun" in bravo["recommended_action"]
    assert _sent_to(aws) == ["alpha", "charlie"]  # alpha's own config did not change
    assert json.loads(described["output"])["status"] == "completed_with_failures"
    # the rerun checks the edited config against every other client first: both refused, named
    aws.bridge.after_hook = None
    aws.run(WEEKLY, name="rerun-after-edit")
    rerun = aws.run_records("rerun-after-edit")
    assert _names_the_overlap(rerun["bravo"]["reason"], "alpha") and rerun["bravo"]["status"] == "failed"


def test_an_edit_that_changes_nothing_but_the_writing_is_still_reported(local_aws):
    aws = local_aws(clients=[ALPHA, CHARLIE], rows=ROWS)
    rewritten = json.dumps(dict(reversed(list(ALPHA.items()))), indent=4)  # other key order, other spacing
    _edit_after(aws, "eligibility", "alpha", rewritten)
    aws.run(WEEKLY, name="rewritten-mid-run")
    assert {r["status"] for r in aws.run_records("rewritten-mid-run").values()} == {"completed"}
    assert _sent_to(aws) == ["alpha", "charlie"]


def test_a_config_edited_during_the_budget_check_is_not_checked(local_aws):
    aws = local_aws(clients=[ALPHA, BRAVO, CHARLIE], rows=ROWS, poll_queues=False)
    _edit_after(aws, "budget_plan", "bravo", BRAVO_OVERLAPPING)
    clients = _budget_check(aws, "budget-edited")
    bravo = clients["bravo"]
    assert bravo["status"] == "failed" and bravo["category"] == "configuration"
    assert "config changed during the run" in bravo["reason"] and bravo["crossed"] == []
    assert clients["alpha"]["status"] == clients["charlie"]["status"] == "checked"
    assert aws.cost_explorer.requests == 4  # alpha's and charlie's spend and forecast: none for bravo

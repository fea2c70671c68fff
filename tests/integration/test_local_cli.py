"""`python -m local run` as a person uses it: files it writes, exit codes, error messages."""

from __future__ import annotations

import csv
import io
import json
import re
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest

from local.__main__ import main
from tests.factories import client_config as client, cost_rows

ALPHA = client("alpha", ["111111111111"])
PAUSED = client("paused", ["444444444444"], status="PAUSED")


def _write_inputs(tmp_path: Path, clients: list, rows: list[dict] | None = None) -> tuple[Path, Path]:
    clients_path = tmp_path / "clients.json"
    clients_path.write_text(json.dumps(clients))
    rows = rows if rows is not None else cost_rows(["111111111111", "444444444444"])
    costs_path = tmp_path / "costs.csv"
    columns = ["date", "account_id", "service", "amount", "record_type", "currency"]
    with costs_path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({"record_type": "Usage", "currency": "USD", **row})
    return clients_path, costs_path


def _run(tmp_path: Path, clients: list, *options: str, rows: list[dict] | None = None) -> tuple[int, Path]:
    clients_path, costs_path = _write_inputs(tmp_path, clients, rows)
    out = tmp_path / "out"
    code = main(["run", "--clients", str(clients_path), "--costs", str(costs_path), "--out", str(out), *options])
    return code, out


def _summary(out: Path) -> dict:
    return json.loads((out / "summary.json").read_text())


def test_out_never_deletes_what_this_run_did_not_write(tmp_path):
    out = tmp_path / "out"
    (out / "alpha").mkdir(parents=True)
    (out / "alpha" / "my-notes.txt").write_text("mine")
    (out / "paused").mkdir()
    (out / "paused" / "old-report.html").write_text("older run")
    code, _ = _run(tmp_path, [ALPHA, PAUSED], "--as-of", "2026-11-18", "--client-id", "alpha")
    assert code == 0
    assert (out / "alpha" / "my-notes.txt").read_text() == "mine"
    assert (out / "paused" / "old-report.html").read_text() == "older run"
    assert (out / "alpha" / "report.html").exists()


def test_exit_code_0_when_every_client_is_delivered_or_benignly_skipped(tmp_path):
    code, out = _run(tmp_path, [ALPHA, PAUSED], "--as-of", "2026-11-18")
    assert code == 0
    assert {c["client_id"]: c["status"] for c in _summary(out)["clients"]} == {"alpha": "delivered", "paused": "skipped"}


def test_exit_code_3_when_a_client_failed(tmp_path):
    broken = client("broken", ["555555555555"], recipients=["not-an-email"])
    code, out = _run(tmp_path, [ALPHA, broken], "--as-of", "2026-11-18")
    assert code == 3
    assert {c["client_id"]: c["status"] for c in _summary(out)["clients"]} == {"alpha": "delivered", "broken": "failed"}


def test_exit_code_3_when_a_client_is_skipped_as_a_problem(tmp_path):
    nodata = client("nodata", ["999999999999"])
    code, out = _run(tmp_path, [ALPHA, nodata], "--as-of", "2026-11-18")
    assert code == 3
    record = next(c for c in _summary(out)["clients"] if c["client_id"] == "nodata")
    assert record["status"] == "skipped" and record["problem"] is True


def test_exit_code_1_when_the_execution_failed(tmp_path, capsys):
    code, out = _run(tmp_path, [ALPHA], "--as-of", "2999-01-01")
    assert code == 1
    assert _summary(out)["execution_status"] == "FAILED"
    assert "as_of" in capsys.readouterr().out


def test_exit_code_2_for_an_unreadable_input(tmp_path, capsys):
    code = main(["run", "--clients", str(tmp_path / "missing.json"), "--out", str(tmp_path / "out")])
    assert code == 2
    assert "missing.json" in capsys.readouterr().err


def test_unknown_client_id_is_named_with_known_ids(tmp_path, capsys):
    code, _ = _run(tmp_path, [ALPHA, PAUSED], "--client-id", "nosuch")
    assert code == 2
    err = capsys.readouterr().err
    assert "nosuch" in err and "not in the clients file" in err and "alpha" in err and "paused" in err
    assert "Traceback" not in err and "{" not in err


def test_bad_as_of_says_what_a_date_looks_like(tmp_path, capsys):
    with pytest.raises(SystemExit) as exited:
        _run(tmp_path, [ALPHA], "--as-of", "2026-13-01")
    assert exited.value.code == 2
    assert "as_of must be a date YYYY-MM-DD" in capsys.readouterr().err


def test_duplicate_client_id_names_the_id_and_both_positions(tmp_path, capsys):
    code, _ = _run(tmp_path, [ALPHA, PAUSED, {**ALPHA, "name": "Alpha again"}], "--as-of", "2026-11-18")
    assert code == 2
    err = capsys.readouterr().err
    assert "duplicate client_id 'alpha'" in err and "[0]" in err and "[2]" in err


def test_an_invalid_entry_is_named_by_its_position(tmp_path):
    code, out = _run(tmp_path, [ALPHA, {"name": "no id"}, "just a string"], "--as-of", "2026-11-18")
    assert code == 3
    records = {c["client_id"]: c for c in _summary(out)["clients"]}
    assert set(records) == {"alpha", "entry[1]", "entry[2]"}
    assert records["entry[1]"]["status"] == "failed" and "client_id" in records["entry[1]"]["reason"]
    assert not any(cid.startswith("unknown-") for cid in records)


def test_periods_are_written_with_an_inclusive_end_everywhere(tmp_path):
    code, out = _run(tmp_path, [ALPHA], "--as-of", "2026-11-18")
    assert code == 0
    assert _summary(out)["period"] == {"start": "2026-11-09", "end": "2026-11-15"}
    rows = list(csv.DictReader(io.StringIO((out / "alpha" / "report.csv").read_text())))
    assert {(r["period_start"], r["period_end"], r["previous_start"], r["previous_end"]) for r in rows} == {
        ("2026-11-09", "2026-11-15", "2026-11-02", "2026-11-08")}
    message = message_from_bytes(next((out / "alpha").glob("*.eml")).read_bytes(), policy=default)
    assert "2026-11-09 to 2026-11-15" in str(message["Subject"])
    assert "2026-11-09 to 2026-11-15" in message.get_body(preferencelist=("plain",)).get_content()


ESTIMATED_NOTE = "estimated by AWS"


def test_estimated_figures_are_marked_end_to_end(tmp_path):
    # Cost data runs to 2026-11-19: October is still estimated on 2026-11-01 (its bill is open)...
    code, out = _run(tmp_path, [ALPHA], "--report-type", "monthly", "--as-of", "2026-11-01")
    assert code == 0
    assert ESTIMATED_NOTE in (out / "alpha" / "report.html").read_text()
    assert "estimated" in (out / "alpha" / "report.txt").read_text().split("\n\n")[1].lower()


def test_a_closed_month_is_not_marked_estimated(tmp_path):
    # ... and final by 2026-11-20, once November's first days are the recent ones.
    code, out = _run(tmp_path, [ALPHA], "--report-type", "monthly", "--as-of", "2026-11-20")
    assert code == 0
    assert ESTIMATED_NOTE not in (out / "alpha" / "report.html").read_text()


def test_an_amount_too_large_to_render_names_account_service_and_date(tmp_path):
    rows = cost_rows(["111111111111"])
    rows.append({"date": "2026-11-10", "account_id": "111111111111", "service": "AWS Lambda", "amount": "1e30"})
    code, out = _run(tmp_path, [ALPHA], "--as-of", "2026-11-18", rows=rows)
    assert code == 3
    reason = _summary(out)["clients"][0]["reason"]
    assert "111111111111" in reason and "AWS Lambda" in reason and "2026-11-10" in reason


def test_the_local_cost_explorer_refuses_mixed_currencies_in_one_account_service_day(tmp_path, capsys):
    rows = cost_rows(["111111111111"])
    rows.append({"date": "2026-11-10", "account_id": "111111111111", "service": "AWS Lambda", "amount": "3", "currency": "EUR"})
    code, _ = _run(tmp_path, [ALPHA], "--as-of", "2026-11-18", rows=rows)
    assert code == 2
    err = capsys.readouterr().err
    assert "EUR" in err and "USD" in err and "111111111111" in err and "AWS Lambda" in err and "2026-11-10" in err


def test_local_budgets_on_the_samples_sends_each_channel_once_across_a_rerun(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["budgets", "--reruns", "1", "--out", str(out)]) == 0
    summary = json.loads((out / "budgets_summary.json").read_text())
    assert summary["duplicates_after_reruns"] == 0 and summary["dead_letter_queue_depth"] == 0
    assert [run["execution_status"] for run in summary["runs"]] == ["SUCCEEDED", "SUCCEEDED"]
    assert summary["runs"][1]["notifications_queued"] == 0  # the rerun finds every crossing claimed
    # every notification a channel accepted is one file per channel, under its client's folder
    written: dict[str, int] = {}
    for path in (out / "notifications").rglob("*.*"):
        channel = path.name.split(".")[-2]
        written[channel] = written.get(channel, 0) + 1
    assert written == summary["notifications_sent_per_channel"]
    assert {"email", "slack", "teams", "sns", "webhook"} <= set(written)
    printed = capsys.readouterr().out
    assert "duplicates after 1 rerun(s): 0" in printed and "initech" in printed  # the paused client is listed


def test_local_budgets_names_an_unknown_client_id(tmp_path, capsys):
    assert main(["budgets", "--client-id", "nosuch", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "nosuch" in err and "acme-retail" in err and "Traceback" not in err


def test_local_budgets_names_a_client_without_cost_data_as_a_problem_and_its_alert_is_no_duplicate(tmp_path, capsys):
    clients = [client("alpha", ["111111111111"], budgets={"monthly": 10**6}),
               client("ghost", ["888888888881"], budgets={"monthly": 100})]
    clients_path, costs_path = _write_inputs(tmp_path, clients)
    out = tmp_path / "out"
    assert main(["budgets", "--clients", str(clients_path), "--costs", str(costs_path), "--as-of", "2026-11-20",
                 "--reruns", "1", "--out", str(out)]) == 0
    summary = json.loads((out / "budgets_summary.json").read_text())
    ghost = next(c for c in summary["clients"] if c["client_id"] == "ghost")
    assert ghost["status"] == "skipped" and ghost["problem"] is True
    assert ghost["reason"].startswith("no cost data for 888888888881 from 2026-10-20 to 2026-11-19")
    assert [run["problems"] for run in summary["runs"]] == [1, 1]  # each run's own operator alert...
    assert summary["notifications_sent_per_channel"] == {"sns": 2}
    assert summary["duplicates_after_reruns"] == 0  # ...is not a repeat
    printed = capsys.readouterr().out
    assert "no cost data for 888888888881" in printed
    assert "1 problem(s) in the operator alert" in printed


# ---- the operator's view ------------------------------------------------------------------------------


def test_the_run_table_shows_total_change_and_where_each_report_was_written(tmp_path, capsys):
    broken = client("broken", ["555555555555"], recipients=["not-an-email"], name="B" * 40)
    code, out = _run(tmp_path, [ALPHA, PAUSED, broken], "--as-of", "2026-11-18")
    assert code == 3
    printed = capsys.readouterr().out
    table = printed[printed.index("client "):printed.index("\nexecution ")]
    header, _, *rows = table.strip().splitlines()
    assert header.split() == ["client", "status", "total", "change", "report", "/", "reason"]
    row = {line.split()[0]: line for line in rows}
    summary = {c["client_id"]: c for c in _summary(out)["clients"]}
    total = f"${float(summary['alpha']['spend_reported']):,.2f}"
    assert total in row["alpha"] and summary["alpha"]["change_reported"] in row["alpha"]
    assert re.search(r"\+\$[\d,.]+ \([+-][\d.]+%\)", row["alpha"])
    assert str(out / "alpha" / "report.html") in row["alpha"]
    assert row["paused"].rstrip().endswith("status is PAUSED")
    # A long reason is cut at a word with an ellipsis, never mid-word and never silently.
    reason = row["broken"].split("  ")[-1].strip()
    assert reason.endswith("\u2026") and len(reason) <= 70
    assert summary["broken"]["reason"].startswith(reason[:-1].rstrip())


def test_a_config_error_carries_its_recommended_action(tmp_path):
    broken = client("broken", ["555555555555"], recipients=["not-an-email"])
    nodata = client("nodata", ["999999999999"])
    code, out = _run(tmp_path, [ALPHA, broken, nodata], "--as-of", "2026-11-18")
    assert code == 3
    records = {c["client_id"]: c for c in _summary(out)["clients"]}
    assert "Fix the client configuration" in (records["broken"]["recommended_action"] or "")
    assert "Cost Explorer" in (records["nodata"]["recommended_action"] or "")
    assert records["alpha"]["recommended_action"] is None
    (alert,) = (out / "notifications" / "_operator").glob("*.sns.json")
    assert "Recommended action: -" not in alert.read_text()


@pytest.mark.parametrize("command", ["run", "budgets", "serve", "summaries", "scrape", "report"])
def test_every_subcommand_help_has_a_description_defaults_and_an_example(command, capsys):
    with pytest.raises(SystemExit) as exited:
        main([command, "--help"])
    assert exited.value.code == 0
    text = capsys.readouterr().out
    _usage, description, *_ = text.split("\n\n")
    assert f"python -m local {command}" in description  # what the command does, from its module
    assert "(default:" in text
    examples = text[text.index("examples:"):].splitlines()[1:]
    assert examples and all(line.strip().startswith(("python -m local " + command, "AWS_ENDPOINT_URL="))
                            for line in examples if line.strip())


@pytest.mark.parametrize("option", ["--clients", "--costs"])
def test_a_missing_file_names_its_option(tmp_path, option, capsys):
    missing = tmp_path / "nowhere.file"
    code = main(["run", option, str(missing), "--out", str(tmp_path / "out")])
    assert code == 2
    assert f"error: {option} {missing}: no such file" in capsys.readouterr().err


@pytest.mark.parametrize(("option", "says"), [("--clients", "not valid JSON"), ("--costs", "not a cost file this tool reads")])
def test_an_empty_file_names_its_option_and_path_once(tmp_path, option, says, capsys):
    empty = tmp_path / "empty.file"
    empty.write_text("")
    assert main(["run", option, str(empty), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert f"error: {option} {empty}: {says}" in err and err.count(str(empty)) == 1

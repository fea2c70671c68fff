"""The operator's clients tool, `python -m admin clients ...`: against `python -m local serve` through
AWS_ENDPOINT_URL as an operator runs it (a subprocess), and in process on the local AWS where a
failure must be arranged between the tool's read and its write."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from chalicelib.core import clients as loader
from chalicelib.core.store import table
from infra.stage import ROOT
from tests.factories import CLIENTS, client_config
from tests.integration.test_serve import WEEKLY, external_client, wait


def admin(endpoint: str, *args: str, stage: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k not in ("TABLE_NAME", "APP_STAGE")}
    env.update({"AWS_ENDPOINT_URL": endpoint, "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull})
    if stage:
        env["APP_STAGE"] = stage
    return subprocess.run([sys.executable, "-m", "admin", "clients", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120, stdin=subprocess.DEVNULL)


def write(path: Path, clients: list[Any]) -> Path:
    path.write_text(json.dumps(clients))
    return path


def listed(endpoint: str) -> dict[str, dict[str, Any]]:
    done = admin(endpoint, "list", "--json")
    assert done.returncode == 0, done.stderr
    return {row["client_id"]: row for row in json.loads(done.stdout)}


def test_onboarding_a_client_from_file_to_first_report_through_local_serve(server: Any, tmp_path: Path) -> None:
    endpoint = server.endpoint
    assert set(listed(endpoint)) == {"alpha", "bravo", "charlie", "paused"}

    # validate: every rule the run applies, each problem named; exit 2 and nothing written
    bad = write(tmp_path / "bad.json", [
        *CLIENTS,
        client_config("delta", ["111111111111"]),  # alpha's account
        client_config("echo", ["555555555555"], recipients=["not-an-address"]),
        client_config("foxtrot", ["666666666666"], sender="reports@elsewhere.example"),
        client_config("golf", ["777777777777"]),
        client_config("golf", ["888888888888"]),  # golf twice
    ])
    done = admin(endpoint, "validate", str(bad))
    assert done.returncode == 2, done.stdout
    assert "entry [4] (client 'delta'): accounts: 111111111111 is also listed by client 'alpha'" in done.stderr
    assert "entry [5] (client 'echo'): recipients[0]: Value error, value is not a valid email address" in done.stderr
    assert "entry [6] (client 'foxtrot'): sender: reports@elsewhere.example is outside the allowed sender domains" \
        in done.stderr
    assert "entry [7] (client 'golf'): client_id: duplicate client_id 'golf'" in done.stderr
    assert "entry [8]: client_id: duplicate client_id 'golf'" in done.stderr
    assert admin(endpoint, "apply", str(bad), "--yes").returncode == 2
    assert set(listed(endpoint)) == {"alpha", "bravo", "charlie", "paused"}

    # diff: the new client, a change, a pause, a removal of a client whose weekly period is undelivered
    alpha, bravo, charlie, _paused = CLIENTS
    wanted = [
        {**alpha, "name": "Alpha Holdings"},
        bravo,
        {**charlie, "status": "PAUSED"},
        client_config("delta", ["555555555555"], reports=["weekly"]),  # no cost data yet: a problem skip
    ]
    good = write(tmp_path / "clients.json", wanted)
    assert admin(endpoint, "validate", str(good)).returncode == 0
    done = admin(endpoint, "diff", str(good))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "remove  paused; undelivered: daily" in next(line for line in lines if line.startswith("remove"))
    assert "pause   charlie (status)" in lines
    assert "change  alpha (name)" in lines
    assert "add     delta" in lines

    # apply: refused without --prune (undelivered periods), and without --yes off a terminal
    done = admin(endpoint, "apply", str(good), "--yes")
    assert done.returncode == 3 and "paused still have undelivered periods" in done.stderr
    assert admin(endpoint, "apply", str(good), "--prune").returncode == 3
    assert set(listed(endpoint)) == {"alpha", "bravo", "charlie", "paused"}
    done = admin(endpoint, "apply", str(good), "--yes", "--prune")
    assert done.returncode == 0, done.stderr
    assert "applied 4 change(s) to stage local in 1 transaction(s)" in done.stdout
    rows = listed(endpoint)
    assert {cid: (row["name"], row["status"], row["problem"]) for cid, row in rows.items()} == {
        "alpha": ("Alpha Holdings", "ACTIVE", None), "bravo": ("Bravo Corp", "ACTIVE", None),
        "charlie": ("Charlie Corp", "PAUSED", None), "delta": ("Delta Corp", "ACTIVE", None)}
    assert admin(endpoint, "diff", str(good)).stdout.startswith("stage local: the table already matches the file")

    # the first report: the weekly run delivers alpha's report; show says so, and delta's problem skip
    sfn = external_client(endpoint)
    run = wait(sfn, sfn.start_execution(stateMachineArn=server.state_machine_arn, name="weekly-admin",
                                        input=json.dumps(WEEKLY))["executionArn"])
    assert run["status"] == "SUCCEEDED", run
    done = admin(endpoint, "show", "alpha", "--json")
    assert done.returncode == 0, done.stderr
    alpha_shown = json.loads(done.stdout)
    weekly = alpha_shown["reports"]["weekly"]
    assert weekly["last_delivery"]["period_start"] == "2026-11-09"
    assert weekly["last_delivery"]["run_id"]
    assert alpha_shown["config"]["name"] == "Alpha Holdings" and alpha_shown["recent_problems"] == []
    delta_shown = json.loads(admin(endpoint, "show", "delta", "--json").stdout)
    assert delta_shown["reports"]["weekly"]["last_delivery"] is None
    assert delta_shown["reports"]["weekly"]["next_due"]["overdue"] is True
    assert [(p["status"], p["kind"]) for p in delta_shown["recent_problems"]] == [("skipped", "no_data")]
    assert "never delivered" in admin(endpoint, "show", "delta").stdout
    assert admin(endpoint, "show", "nobody").returncode == 2

    # pause and resume: one client's status, checked like any change
    done = admin(endpoint, "pause", "alpha")
    assert done.returncode == 0, done.stderr
    assert listed(endpoint)["alpha"]["status"] == "PAUSED"
    assert "already PAUSED" in admin(endpoint, "pause", "alpha").stdout
    assert admin(endpoint, "resume", "alpha").returncode == 0
    assert listed(endpoint)["alpha"]["status"] == "ACTIVE"
    assert admin(endpoint, "resume", "nobody").returncode == 2
    assert admin(endpoint, "list", stage="nosuchstage").returncode == 2


# ---- in process: the local AWS, failures arranged between read and write ------------------------------


def run_admin(*args: str) -> int:
    from admin.cli import main

    return main(["clients", *args, "--stage", "local"])


def stored() -> dict[str, str]:
    return dict(loader.stored_configs())


def test_an_apply_refused_midway_leaves_the_table_as_it_was(local_aws: Any, tmp_path: Path, monkeypatch: Any,
                                                            capsys: Any) -> None:
    from admin import clients

    local_aws(clients=CLIENTS)
    before = stored()
    new = [client_config(f"new{i:02d}", [f"9{i:011d}"]) for i in range(7)]
    good = write(tmp_path / "clients.json", [*CLIENTS[:3], {**CLIENTS[3], "status": "DISABLED"}, *new])
    monkeypatch.setattr(clients, "TRANSACTION_ACTIONS", 3)  # 8 changes: 3 transactions
    planned = clients.plan

    def plan_then_someone_edits(*args: Any) -> list[Any]:
        changes = planned(*args)
        # another operator stores new06 (written by the last transaction) after this apply read the table
        loader.put_client_config(client_config("new06", ["999999999999"]))
        return changes

    monkeypatch.setattr(clients, "plan", plan_then_someone_edits)
    assert run_admin("apply", str(good), "--yes") == 1
    err = capsys.readouterr().err
    assert "the stored config of new06 changed since this apply read it" in err
    assert "nothing was changed (the 6 change(s) already written were undone)" in err
    assert stored() == {**before, "new06": json.dumps(client_config("new06", ["999999999999"]))}

    monkeypatch.setattr(clients, "plan", planned)
    table.table().delete_item(Key={"pk": "CLIENTS", "sk": "new06"})
    assert run_admin("apply", str(good), "--yes") == 0
    assert "in 3 transaction(s)" in capsys.readouterr().out
    assert set(stored()) == {"alpha", "bravo", "charlie", "paused", *(c["client_id"] for c in new)}
    assert json.loads(stored()["paused"])["status"] == "DISABLED"


def test_a_file_larger_than_one_transaction_is_written_whole(local_aws: Any, tmp_path: Path, capsys: Any) -> None:
    local_aws(clients=CLIENTS)
    many = [client_config(f"c{i:03d}", [f"8{i:011d}"], reports=["monthly"]) for i in range(150)]
    good = write(tmp_path / "clients.json", [*CLIENTS, *many])
    assert run_admin("apply", str(good), "--yes") == 0
    assert "applied 150 change(s) to stage local in 2 transaction(s)" in capsys.readouterr().out
    assert len(stored()) == 154
    assert loader.load_configs()["c149"].accounts == ["800000000149"]  # type: ignore[union-attr]


def test_removing_is_refused_while_periods_are_undelivered_and_allowed_once_delivered(
        local_aws: Any, tmp_path: Path, capsys: Any) -> None:
    from chalicelib.core.periods import report_periods
    from chalicelib.reports import store

    only_monthly = client_config("gone", ["121212121212"], reports=["monthly"])
    local_aws(clients=[*CLIENTS, only_monthly])
    without = write(tmp_path / "clients.json", CLIENTS)
    assert run_admin("apply", str(without), "--yes") == 3
    assert "gone still have undelivered periods" in capsys.readouterr().err
    assert "gone" in stored()
    from admin.cli import _today

    current = report_periods("monthly", _today())[0]
    store.record_delivery("gone", "monthly", current.start.isoformat(), "message-1", "run-1")
    assert run_admin("apply", str(without), "--yes") == 0
    assert "gone" not in stored()


@pytest.mark.parametrize(("stage", "code"), [("local", 2), ("prod", 0)])
def test_validate_applies_the_stages_own_sender_domains(stage: str, code: int, tmp_path: Path, capsys: Any) -> None:
    """prod's sender is reports@example.com, local's reports@cost-reporter.example (infra/stages.json):
    the same file is valid for one stage and not the other, as the runs of each stage would decide."""
    from admin.cli import main

    path = write(tmp_path / "clients.json", [client_config("acme", sender="billing@example.com")])
    assert main(["clients", "validate", str(path), "--stage", stage]) == code
    if code:
        assert "sender: billing@example.com is outside the allowed sender domains (cost-reporter.example)" \
            in capsys.readouterr().err


def test_pause_refuses_a_result_the_rules_reject(local_aws: Any, capsys: Any) -> None:
    """Resuming a DISABLED client whose account another client now lists would break the overlap rule."""
    local_aws(clients=[client_config("old", ["131313131313"], status="DISABLED"),
                       client_config("new", ["131313131313"])])
    assert run_admin("resume", "old") == 2
    assert "accounts: 131313131313 is also listed by client 'new'" in capsys.readouterr().err
    assert json.loads(stored()["old"])["status"] == "DISABLED"

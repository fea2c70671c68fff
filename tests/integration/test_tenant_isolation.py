"""Tenant isolation and security: one client's data never reaches another's report, log or role.

* A property test: random clients sharing payer roles and services, each run on its own in-process
  AWS; no client's HTML, text, CSV or email holds another client's account ids or amounts.
* Cross-account access only through sts:AssumeRole with the client's ExternalId: a botocore hook
  emulates the payer role's trust policy (and records every call).
* Logs at DEBUG: JSON lines with the run and client as keys, and never a full recipient address,
  role credentials or report bodies.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from email import message_from_bytes
from email.policy import default as default_policy
from typing import Any
from urllib.parse import parse_qsl

from botocore.awsrequest import AWSResponse
from hypothesis import HealthCheck, given, settings, strategies as st

from chalicelib.core.formatting import format_money
from chalicelib.core.models import ClientConfig
from chalicelib.core.periods import report_periods
from chalicelib.reports.contracts import CostDataset, CostLine, RunContext
from chalicelib.reports.costs.analysis import analyze
from chalicelib.reports.rendering import build_csv

AS_OF = date(2026, 11, 18)  # weekly: current 2026-11-09..15, previous 2026-11-02..08
WEEKLY = {"report_type": "weekly", "as_of": AS_OF.isoformat()}
CURRENT, PREVIOUS = report_periods("weekly", AS_OF)
SERVICES = [
    "Amazon Elastic Compute Cloud - Compute",
    "Amazon Simple Storage Service",
    "AWS Lambda",
    "Amazon DynamoDB",
    "Amazon CloudFront",
    "Shared <Data> & Analytics",
]
PAYER_ACCOUNTS = ["990000000001", "990000000002"]


# ------------------------------------------------------------------------------------------------
# the emulated STS trust policy and a recorder of Cost Explorer calls
# ------------------------------------------------------------------------------------------------


def _form(body: Any) -> dict[str, str]:
    if isinstance(body, dict):
        return {str(k): str(v) for k, v in body.items()}
    if isinstance(body, bytes):
        body = body.decode("utf-8")
    return dict(parse_qsl(body or "", keep_blank_values=True))


def _accounts_in(expression: Any) -> set[str]:
    """Every LINKED_ACCOUNT value a Cost Explorer Filter names."""
    found: set[str] = set()
    if isinstance(expression, dict):
        dimension = expression.get("Dimensions")
        if isinstance(dimension, dict) and dimension.get("Key") == "LINKED_ACCOUNT":
            found.update(dimension.get("Values", []))
        for value in expression.values():
            found |= _accounts_in(value)
    elif isinstance(expression, list):
        for value in expression:
            found |= _accounts_in(value)
    return found


@dataclass
class TrustPolicies:
    """`before-call.sts.AssumeRole`: allow a role only with an ExternalId its trust policy lists."""

    trust: dict[str, set[str]]
    calls: list[dict[str, str | None]] = field(default_factory=list)
    issued: dict[str, dict[str, Any]] = field(default_factory=dict)  # AccessKeyId -> call + credentials

    def __call__(self, params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        request = _form(params.get("body"))
        call = {"RoleArn": request.get("RoleArn"), "ExternalId": request.get("ExternalId"),
                "RoleSessionName": request.get("RoleSessionName")}
        self.calls.append(call)
        url = params.get("url") or "https://sts.amazonaws.com/"
        request_id = str(uuid.uuid4())
        role = call["RoleArn"] or ""
        if call["ExternalId"] is None or call["ExternalId"] not in self.trust.get(role, set()):
            return AWSResponse(url, 403, {"x-amzn-requestid": request_id}, None), {
                "Error": {"Type": "Sender", "Code": "AccessDenied",
                          "Message": f"User: arn:aws:sts::123456789012:assumed-role/cost-reporter-local/collect is not "
                                     f"authorized to perform: sts:AssumeRole on resource: {role}"},
                "ResponseMetadata": {"RequestId": request_id, "HTTPStatusCode": 403, "HTTPHeaders": {}, "RetryAttempts": 0},
            }
        credentials = {
            "AccessKeyId": "ASIA" + uuid.uuid4().hex[:16].upper(),
            "SecretAccessKey": "sk" + uuid.uuid4().hex + uuid.uuid4().hex[:6],
            "SessionToken": "IQoJb3JpZ2luX2VjE" + uuid.uuid4().hex * 6,
            "Expiration": datetime.now(UTC) + timedelta(minutes=15),
        }
        self.issued[credentials["AccessKeyId"]] = {**call, "credentials": credentials}
        account, name = role.split("::", 1)[1].split(":role/", 1)
        return AWSResponse(url, 200, {"x-amzn-requestid": request_id}, None), {
            "Credentials": credentials,
            "AssumedRoleUser": {"AssumedRoleId": f"AROA{uuid.uuid4().hex[:17].upper()}:{call['RoleSessionName']}",
                                "Arn": f"arn:aws:sts::{account}:assumed-role/{name}/{call['RoleSessionName']}"},
            "PackedPolicySize": 0,
            "ResponseMetadata": {"RequestId": request_id, "HTTPStatusCode": 200, "HTTPHeaders": {}, "RetryAttempts": 0},
        }

    def secrets(self) -> list[str]:
        return [value for entry in self.issued.values() for key, value in entry["credentials"].items() if key != "Expiration"]


@dataclass
class CostExplorerCalls:
    """Registered first on every Cost Explorer call the report makes (GetCostAndUsage: the costs,
    the history, the usage types of the why; GetCostForecast): who asked for which accounts."""

    calls: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, params: dict[str, Any], request_signer: Any = None, **_: Any) -> None:
        body = json.loads(params.get("body") or b"{}")
        credentials = request_signer._credentials.get_frozen_credentials()
        self.calls.append({"access_key": credentials.access_key, "accounts": _accounts_in(body.get("Filter"))})
        return None  # the local Cost Explorer answers


def _install_spies(aws: Any, trust: dict[str, set[str]]) -> tuple[TrustPolicies, CostExplorerCalls]:
    """Before any client is created: clients copy the session's handlers when they are made."""
    sts, ce = TrustPolicies(trust), CostExplorerCalls()
    aws.session.events.register("before-call.sts.AssumeRole", sts, unique_id="test-sts-trust")
    for operation in ("GetCostAndUsage", "GetCostForecast"):
        aws.session.events.register_first(f"before-call.cost-explorer.{operation}", ce, unique_id=f"test-ce-{operation}")
    return sts, ce


# ------------------------------------------------------------------------------------------------
# what one client must (and must not) see
# ------------------------------------------------------------------------------------------------


@dataclass
class Tenant:
    config: dict[str, Any]
    rows: list[dict[str, str]]

    @property
    def client_id(self) -> str:
        return self.config["client_id"]

    @property
    def accounts(self) -> list[str]:
        return self.config["accounts"]

    def expected_lines(self) -> list[CostLine]:
        sums: dict[tuple[str, str], list[Decimal]] = {}
        for row in self.rows:
            slot = 1 if date.fromisoformat(row["date"]) >= CURRENT.start else 0
            sums.setdefault((row["account_id"], row["service"]), [Decimal(0), Decimal(0)])[slot] += Decimal(row["amount"])
        return [CostLine(account_id=a, service=s, current_amount=v[1], previous_amount=v[0])
                for (a, s), v in sorted(sums.items())]

    def expected_report(self, run_id: str) -> Any:
        run = RunContext(run_id=run_id, report_type="weekly", as_of=AS_OF, current=CURRENT, previous=PREVIOUS,
                         started_at=datetime(2026, 11, 18, 9, tzinfo=UTC))
        return analyze(CostDataset(client=ClientConfig.model_validate(self.config), run=run, lines=self.expected_lines()))

    def distinctive(self) -> tuple[set[str], set[str]]:
        """This client's row amounts as the HTML/text show money ($1,234.13) and as the CSV holds them."""
        amounts = [Decimal(row["amount"]) for row in self.rows]
        return {format_money(a) for a in amounts}, {f",{a:.4f}," for a in amounts}

    def legitimate(self, run_id: str) -> tuple[set[str], set[str]]:
        """Every figure this client's own report may show (so a coincidence is never called a leak)."""
        report = self.expected_report(run_id)
        values: list[Decimal] = [report.total_current, report.total_previous, report.total_change]
        for row in [*report.services, *report.accounts]:
            values += [row.current, row.previous, row.change]
        line_values = [v for line in report.lines for v in (line.current_amount, line.previous_amount,
                                                             line.current_amount - line.previous_amount)]
        values += line_values
        return {format_money(abs(v)) for v in values}, {f",{abs(v):.4f}," for v in line_values}


def _documents(aws: Any, run_id: str, client_id: str) -> dict[str, str]:
    """Every artefact of the client's report, and each email it was sent (one per recipient), as text."""
    base = f"runs/{run_id}/{client_id}/"
    docs = {name: aws.read_artefact(base + name) for name in ("report.html", "report.txt", "report.csv")}
    sent_all = [s for s in aws.outbox.sent if s["client_id"] == client_id]
    assert sent_all, client_id
    for index, sent in enumerate(sent_all):
        message = message_from_bytes(sent["raw"], policy=default_policy)
        docs[f"email{index}.raw"] = sent["raw"].decode("utf-8", "replace")
        docs[f"email{index}.headers"] = "\n".join(f"{k}: {v}" for k, v in message.items())
        docs[f"email{index}.html"] = message.get_body(preferencelist=("html",)).get_content()
        docs[f"email{index}.text"] = message.get_body(preferencelist=("plain",)).get_content()
        docs[f"email{index}.csv"] = next(message.iter_attachments()).get_content()
    return docs


def _spaced(account: str) -> str:
    return " ".join(account[i:i + 4] for i in range(0, 12, 4))


def _check_isolation(aws: Any, run_id: str, tenants: list[Tenant], noise: list[dict[str, str]]) -> int:
    """Asserts isolation for every pair of tenants; returns how many leak probes were made."""
    probes = 0
    legit = {t.client_id: t.legitimate(run_id) for t in tenants}
    noise_money = {format_money(Decimal(r["amount"])) for r in noise}
    for tenant in tenants:
        docs = _documents(aws, run_id, tenant.client_id)
        own_money, own_csv = legit[tenant.client_id]
        # The report is exactly what the client's own rows give: nothing added, nothing lost.
        expected = tenant.expected_report(run_id)
        assert docs["report.csv"] == build_csv(expected)
        for name in [n for n in docs if n.startswith("email") and n.endswith(".csv")]:  # every recipient's copy
            assert docs[name].splitlines() == docs["report.csv"].splitlines()
        assert format_money(expected.total_current) in docs["report.html"]
        for account in tenant.accounts:  # the email shows ids spaced, "1111 2222 3333"
            assert account in docs["report.csv"] and _spaced(account) in docs["report.html"]
        for other in tenants:
            if other is tenant:
                continue
            other_money, other_csv = other.distinctive()
            for name, text in docs.items():
                for account in other.accounts:
                    probes += 1
                    assert account not in text and _spaced(account) not in text, (
                        f"{other.client_id}'s account {account} in {tenant.client_id}'s {name}")
                for figure in other_money - own_money:
                    probes += 1
                    assert figure not in text, f"{other.client_id}'s amount {figure} in {tenant.client_id}'s {name}"
                if name.endswith("csv"):
                    for figure in other_csv - own_csv:
                        probes += 1
                        assert figure not in text, f"{other.client_id}'s amount {figure} in {tenant.client_id}'s {name}"
        for name, text in docs.items():  # the payer accounts' own costs belong to nobody
            for account in PAYER_ACCOUNTS:
                assert account not in text and _spaced(account) not in text, (tenant.client_id, name, account)
            for figure in noise_money - own_money:
                assert figure not in text, (tenant.client_id, name, figure)
        # the email goes to exactly this client's recipients: one message each (per-recipient delivery)
        sent = [s for s in aws.outbox.sent if s["client_id"] == tenant.client_id]
        assert sorted(address for s in sent for address in s["to"]) == sorted(tenant.config["recipients"])
        for one in sent:
            message = message_from_bytes(one["raw"], policy=default_policy)
            assert [a.addr_spec for a in message["To"].addresses] == one["to"]
            assert message["Cc"] is None and message["Bcc"] is None
    return probes


# ------------------------------------------------------------------------------------------------
# 1. the property test
# ------------------------------------------------------------------------------------------------

# Payer roles are named CostReporter... (docs/DEPLOY.md): the only roles collect_costs may assume.
ROLES = [f"arn:aws:iam::{PAYER_ACCOUNTS[0]}:role/CostReporterRead", f"arn:aws:iam::{PAYER_ACCOUNTS[1]}:role/CostReporterCeRead"]


@st.composite
def tenant_sets(draw: Any) -> tuple[list[Tenant], dict[str, set[str]], list[dict[str, str]]]:
    count = draw(st.integers(2, 6))
    trust: dict[str, set[str]] = {role: set() for role in ROLES}
    tenants: list[Tenant] = []
    global_index = 0
    for k in range(count):
        client_id = f"tenant-{k}"
        accounts = []
        rows: list[dict[str, str]] = []
        services = draw(st.lists(st.sampled_from(SERVICES), min_size=1, max_size=4, unique=True))
        for j in range(draw(st.integers(1, 3))):
            # unique per client; the cents of every amount (".ab" then "ab" in the sub-cents) name the account
            account = f"{k + 1}{j + 1}{global_index:02d}" + "4" * 8
            tag = 10 + global_index
            global_index += 1
            accounts.append(account)
            for service in services:
                for day in (draw(st.sampled_from(["2026-11-02", "2026-11-05", "2026-11-08"])),
                            draw(st.sampled_from(["2026-11-09", "2026-11-12", "2026-11-15"]))):
                    whole = draw(st.integers(1, 99_999))
                    rows.append({"date": day, "account_id": account, "service": service,
                                 "amount": f"{whole}.{tag:02d}{tag:02d}"})
        config: dict[str, Any] = {
            "client_id": client_id,
            "name": f"Tenant {k} <b>&</b>",
            "status": "ACTIVE",
            "accounts": accounts,
            "recipients": [f"{local}@tenant{k}.example" for local in
                           draw(st.lists(st.sampled_from(["finops", "billing", "cto", "ops"]),
                                         min_size=1, max_size=3, unique=True))],
            "reports": ["weekly"],
        }
        if draw(st.booleans()):  # reads its costs through a payer role shared with others
            role = draw(st.sampled_from(ROLES))
            external_id = draw(st.sampled_from(["shared-external-id-1", f"external-id-for-{client_id}"]))
            trust[role].add(external_id)
            config.update(role_arn=role, external_id=external_id)
        tenants.append(Tenant(config, rows))
    # the payer accounts have costs of their own, in the same services: nobody's report may show them
    noise = [{"date": day, "account_id": account, "service": service, "amount": f"{77000 + i}.9999"}
             for i, (account, service, day) in enumerate(
                 (a, s, d) for a in PAYER_ACCOUNTS for s in SERVICES for d in ("2026-11-03", "2026-11-10"))]
    return tenants, trust, noise


def test_no_client_sees_another_clients_accounts_or_amounts(tmp_path_factory):
    from local.aws.cost_explorer.data import CostData
    from local.aws.runtime import LocalAWS

    figures = {"runs": 0, "clients": 0, "role_clients": 0, "probes": 0}

    @settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(case=tenant_sets())
    def check(case: tuple[list[Tenant], dict[str, set[str]], list[dict[str, str]]]) -> None:
        tenants, trust, noise = case
        rows = [row for t in tenants for row in t.rows] + noise
        with LocalAWS(out_dir=tmp_path_factory.mktemp("isolation"), costs=CostData.from_rows(rows),
                      clients=[t.config for t in tenants], retry_time_scale=0.01) as aws:
            sts, ce = _install_spies(aws, trust)
            described = aws.run(WEEKLY, name="isolation")
            assert described["status"] == "SUCCEEDED", described
            summary = json.loads(described["output"])
            assert (summary["delivered"], summary["failed"]) == (len(tenants), 0), summary

            # every Cost Explorer call of a client (costs, history, forecast, why) is for exactly its
            # accounts, with the right credentials; one AssumeRole per role client serves them all
            by_accounts: dict[frozenset[str], list[dict[str, Any]]] = {}
            for call in ce.calls:
                by_accounts.setdefault(frozenset(call["accounts"]), []).append(call)
            assert set(by_accounts) == {frozenset(t.accounts) for t in tenants}
            role_tenants = [t for t in tenants if "role_arn" in t.config]
            assert len(sts.calls) == len(role_tenants)
            for tenant, call in ((t, c) for t in tenants for c in by_accounts[frozenset(t.accounts)]):
                if "role_arn" in tenant.config:
                    issued = sts.issued[call["access_key"]]
                    assert (issued["RoleArn"], issued["ExternalId"], issued["RoleSessionName"]) == (
                        tenant.config["role_arn"], tenant.config["external_id"], f"cost-report-{tenant.client_id}")
                else:  # the deployment's own credentials
                    assert call["access_key"] == aws.session.get_credentials().access_key
                    assert call["access_key"] not in sts.issued
            figures["probes"] += _check_isolation(aws, "isolation", tenants, noise)
        figures["runs"] += 1
        figures["clients"] += len(tenants)
        figures["role_clients"] += len(role_tenants)

    check()
    print(f"\ntenant isolation: runs={figures['runs']} clients={figures['clients']} "
          f"via payer roles={figures['role_clients']} leak probes={figures['probes']}")
    assert figures["runs"] >= 8 and figures["role_clients"] > 0 and figures["probes"] > 0


# ------------------------------------------------------------------------------------------------
# 2. AssumeRole with the client's ExternalId, or nothing
# ------------------------------------------------------------------------------------------------

PAYER_ROLE = f"arn:aws:iam::{PAYER_ACCOUNTS[0]}:role/CostReporterRead"
GOOD_EXTERNAL_ID = "acme-7f3c9a1e-5d2b-4e80"


def _external_id_clients() -> list[dict[str, Any]]:
    from tests.factories import client_config

    return [
        client_config("payer-good", ["510000000001", "510000000002"], role_arn=PAYER_ROLE, external_id=GOOD_EXTERNAL_ID,
               recipients=["finops@payer-good.example"]),
        client_config("payer-wrong", ["520000000001"], role_arn=PAYER_ROLE, external_id="acme-guessed-external-id",
               recipients=["finops@payer-wrong.example"]),
        client_config("payer-missing", ["530000000001"], role_arn=PAYER_ROLE, recipients=["finops@payer-missing.example"]),
        client_config("direct", ["540000000001"], recipients=["finops@direct.example"]),
    ]


def test_cross_account_access_only_through_assume_role_with_the_clients_external_id(local_aws):
    from tests.factories import cost_rows

    clients = _external_id_clients()
    aws = local_aws(clients=clients, rows=cost_rows([a for c in clients for a in c["accounts"]] + PAYER_ACCOUNTS))
    sts, ce = _install_spies(aws, {PAYER_ROLE: {GOOD_EXTERNAL_ID}})
    described = aws.run(WEEKLY, name="external-ids")
    assert described["status"] == "SUCCEEDED", described
    records = aws.run_records("external-ids")

    # the right ExternalId: delivered, and its Cost Explorer call used the assumed role's credentials
    assert records["payer-good"]["status"] == "completed"
    good_calls = [c for c in sts.calls if c["RoleSessionName"] == "cost-report-payer-good"]
    assert good_calls == [{"RoleArn": PAYER_ROLE, "ExternalId": GOOD_EXTERNAL_ID, "RoleSessionName": "cost-report-payer-good"}]
    good_ce = [c for c in ce.calls if c["accounts"] == {"510000000001", "510000000002"}]
    assert good_ce and all(sts.issued[c["access_key"]]["ExternalId"] == GOOD_EXTERNAL_ID for c in good_ce)

    # a wrong ExternalId: the trust policy refuses it; the client fails as an authorization error
    wrong = records["payer-wrong"]
    assert (wrong["status"], wrong["category"], wrong["error"]) == ("failed", "authorization", "AuthorizationError")
    assert "ExternalId" in wrong["recommended_action"]
    assert "AccessDenied" in wrong["reason"] and "external_id" in wrong["reason"]
    assert [c["ExternalId"] for c in sts.calls
            if c["RoleSessionName"] == "cost-report-payer-wrong"] == ["acme-guessed-external-id"]
    assert not [c for c in ce.calls if c["accounts"] & {"520000000001"}]  # never reached Cost Explorer

    # a missing ExternalId never gets as far as AssumeRole: the config is refused, naming the field
    missing = records["payer-missing"]
    assert (missing["status"], missing["category"]) == ("failed", "configuration")
    assert "external_id" in missing["reason"]
    assert not [c for c in sts.calls if c["RoleSessionName"] == "cost-report-payer-missing"]

    # the others are delivered; the direct client used the deployment's own credentials
    assert records["direct"]["status"] == "completed"
    direct_ce = [c for c in ce.calls if c["accounts"] == {"540000000001"}]
    assert direct_ce and all(c["access_key"] == aws.session.get_credentials().access_key
                             and c["access_key"] not in sts.issued for c in direct_ce)
    assert sorted(s["client_id"] for s in aws.outbox.sent) == ["direct", "payer-good"]
    summary = json.loads(described["output"])
    failures = {f["client_id"]: f for f in summary["failures"]}
    assert failures["payer-wrong"]["category"] == "authorization"
    assert "ExternalId" in failures["payer-wrong"]["recommended_action"]


# ------------------------------------------------------------------------------------------------
# 3. logs
# ------------------------------------------------------------------------------------------------

DISTINCTIVE_SERVICE = "Zyxquor Telemetry Vault"

# Run in a fresh interpreter, as a Lambda cold start is: importing app.py and building the Powertools
# logger set up logging exactly once, with this level and this stdout (inside a pytest session both
# were set up long ago by other tests, and are cached).
_LOG_RUN = """
import json, logging, sys
from pathlib import Path
from local.aws.cost_explorer.data import CostData
from local.aws.runtime import LocalAWS
from tests.integration import test_tenant_isolation as t

out = Path(sys.argv[1])
clients = t._external_id_clients()
with LocalAWS(out_dir=out / "out", costs=CostData.from_rows(t.log_rows(clients)), clients=clients,
              retry_time_scale=0.01, env_overrides={"POWERTOOLS_LOG_LEVEL": "DEBUG"}) as aws:
    sts, _ = t._install_spies(aws, {t.PAYER_ROLE: {t.GOOD_EXTERNAL_ID}})
    described = aws.run(t.WEEKLY, name="debug-logs")
    result = {"status": described["status"], "secrets": sts.secrets(),
              "html": aws.read_artefact("runs/debug-logs/payer-good/report.html"),
              "level": logging.getLogger("cost-reporter").getEffectiveLevel()}
(out / "result.json").write_text(json.dumps(result))
"""


def log_rows(clients: list[dict[str, Any]]) -> list[dict[str, str]]:
    from tests.factories import cost_rows

    rows = cost_rows([a for c in clients for a in c["accounts"]])
    return rows + [{"date": day, "account_id": "510000000001", "service": DISTINCTIVE_SERVICE, "amount": "4321.98"}
                   for day in ("2026-11-04", "2026-11-11")]


def test_debug_logs_are_json_with_correlation_ids_and_hold_no_secrets(tmp_path):
    import os
    import subprocess
    import sys

    from tests import ROOT
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POWERTOOLS_", "AWS_"))}
    done = subprocess.run([sys.executable, "-c", _LOG_RUN, str(tmp_path)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads((tmp_path / "result.json").read_text())
    assert result["status"] == "SUCCEEDED"
    assert result["level"] == logging.DEBUG
    assert DISTINCTIVE_SERVICE in result["html"]  # the report body really held it
    stdout, stderr = done.stdout, done.stderr

    lines = [line for line in stdout.splitlines() if line.strip()]
    assert lines, "the run logged nothing"
    for line in lines:
        assert line.startswith("{"), f"not a JSON log line: {line[:200]!r}"
    entries = [json.loads(line) for line in lines]  # every line is one JSON document
    assert all(isinstance(entry, dict) for entry in entries)
    clients = _external_id_clients()
    stage_lines = [e for e in entries if "stage" in e]
    assert stage_lines
    for entry in stage_lines:
        assert entry["run_id"] == "debug-logs", entry
        if entry["stage"] in ("collect", "render", "deliver", "record"):
            assert entry["client_id"] in {c["client_id"] for c in clients}, entry
    sent = [e for e in stage_lines if e.get("message") == "report sent"]
    assert sorted(e["client_id"] for e in sent) == ["direct", "payer-good"]
    failed = [e for e in stage_lines if e.get("message") == "stage failed"]
    assert [(e["client_id"], e["stage"], e["error"]) for e in failed] == [("payer-wrong", "collect", "AuthorizationError")]

    secrets = result["secrets"]
    assert len(secrets) == 3  # one AssumeRole answered: key id, secret, token
    forbidden = {
        **{address: "a recipient address" for c in clients for address in c["recipients"]},
        **dict.fromkeys(secrets, "role credentials"),
        DISTINCTIVE_SERVICE: "a report body (service name)",
        "<table": "a report body (HTML)",
        "4,321.98": "a report body (amount)",
        "TOTAL SPEND": "a report body (text)",
    }
    for output_name, output in (("stdout", stdout), ("stderr", stderr)):
        for value, what in forbidden.items():
            assert value not in output, f"{what} in {output_name}: {value!r}"
    # a masked address is fine: it names the domain only
    assert any("f***@payer-good.example" in json.dumps(e) for e in sent)

"""Every figure of a report from one dataset, through the state machine, on the sample data: the day-1
cases that disagreed when figures came from separate Cost Explorer requests (Acme's month to date
and budget verdict on 2 and 3 Nov, 1 Nov in every trend, Umbrella's month to date with its tax and
credits), on both real sources: Cost Explorer, and the sample FOCUS export read by the run's own
QueryExports/SplitExports (one Athena query, no Cost Explorer request). The same client's figures
are identical to the cent on both sources, for daily, weekly and monthly runs. And a slice holding
an account that is not the client's (written after the split, as a faulty split would) is refused,
never rendered. A budget check reads its export clients from one query too, and the on-demand report
of an export client says the scheduled report's figures."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal
from email import message_from_bytes
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "local" / "samples"
SOURCES = ["cost_explorer", "focus"]  # the sample FOCUS export is generated from the same rows as costs.csv
# Cost Explorer marks the open month's days estimated, as the export does (its open billing period):
# the local Cost Explorer is told where the open month starts, so both sources say the same.
OPEN_MONTH = date(2026, 11, 1)
MTD = re.compile(r"November month to date \(1st to \d+\w\w\): \$([\d,.]+)")
TREND_POINT = re.compile(r"^\[[ x]\] \w{3} (\d+) (\w{3}) +\$([\d,.-]+)", re.M)
TREND_LINE = re.compile(r"^\[[ x]\] .*?(-?\$[\d,.]+)", re.M)
HEADLINE = re.compile(r"^TOTAL[^:\n]*: (-?\$[\d,.]+)\n.*? vs (-?\$[\d,.]+) in the previous period\n", re.M)
VERDICT = re.compile(r"On track to (cross|stay within) the \$52,000.00 monthly budget")


def _samples() -> tuple[list, object]:
    from local.aws.client_configs import load_clients
    from local.aws.cost_explorer.data import CostData

    return load_clients(SAMPLES / "clients.json"), CostData.from_csv(SAMPLES / "costs.csv")


def _money(text: str) -> Decimal:
    return Decimal(text.replace(",", "").replace("$", ""))


def _config(client_id: str, **changes: object) -> dict:
    clients, _ = _samples()
    (config,) = [c for c in clients if isinstance(c, dict) and c["client_id"] == client_id]
    return {**config, **changes}


def _sample_clients(source: str) -> list[dict]:
    """Every active sample client, all read from `source`."""
    clients, _ = _samples()
    return [{**c, "cost_source": source} for c in clients if isinstance(c, dict) and c.get("status") == "ACTIVE"]


@pytest.fixture
def on_samples(tmp_path):
    """A factory: the in-process AWS on the sample cost rows (and the sample FOCUS export) with the
    given clients; one open at a time (the local AWS hooks the process's default session), closed after."""
    from local.aws.runtime import LocalAWS

    opened = []

    def close() -> None:
        while opened:
            opened.pop().__exit__(None, None, None)

    def make(clients: list[dict], **options: object) -> object:
        close()
        _, data = _samples()
        aws = LocalAWS(out_dir=tmp_path / f"out{len(list(tmp_path.iterdir()))}", costs=data, clients=clients,
                       retry_time_scale=0.05, estimated_from=OPEN_MONTH, **options)
        opened.append(aws.__enter__())
        return aws

    make.close = close
    yield make
    close()


def _run(aws, clients: list[dict], report_type: str, as_of: date, source: str) -> dict[str, object]:
    """One run of the state machine as of `as_of`: each client's report.txt, or its run record. On the
    export every client's costs come from one Athena query and no Cost Explorer request."""
    name = f"{report_type}-{as_of.isoformat()}-{source}"
    requests, queries = aws.cost_explorer.requests, aws.athena.queries
    described = aws.run({"report_type": report_type, "as_of": as_of.isoformat()}, name=name)
    assert described["status"] == "SUCCEEDED", described
    if source == "focus":
        assert aws.cost_explorer.requests == requests
        assert aws.athena.queries == queries + 1
    else:
        assert aws.cost_explorer.requests > requests
        assert aws.athena.queries == queries
    records = aws.run_records(name)
    return {c["client_id"]: (aws.read_artefact(f"runs/{name}/{c['client_id']}/report.txt")
                             if records[c["client_id"]]["status"] == "completed" else records[c["client_id"]])
            for c in clients}


def _trend(text: str) -> dict[str, Decimal]:
    return {f"{day} {month}": _money(amount) for day, month, amount in TREND_POINT.findall(text)}


def _sample_total(client_id: str, start: date, end: date) -> Decimal:
    """What the client's figures count in [start, end), summed straight from the sample file."""
    from chalicelib.core.models import ClientConfig

    _, data = _samples()
    config = ClientConfig.model_validate(_config(client_id))
    excluded = set(config.record_types_excluded())
    return sum((r.amount for r in data.rows if r.account_id in config.accounts and start <= r.date < end
                and r.record_type not in excluded), Decimal(0))


@pytest.mark.parametrize("source", SOURCES)
def test_acme_month_to_date_and_budget_verdict_agree_on_consecutive_days(on_samples, source):
    clients = [_config("acme-retail", cost_source=source)]
    aws = on_samples(clients)
    second = _run(aws, clients, "daily", date(2026, 11, 3), source)["acme-retail"]  # the report of 2 Nov
    third = _run(aws, clients, "daily", date(2026, 11, 4), source)["acme-retail"]  # the report of 3 Nov
    mtd_2, mtd_3 = _money(MTD.search(second).group(1)), _money(MTD.search(third).group(1))
    trend_2, trend_3 = _trend(second), _trend(third)
    # 1 Nov (Support, Tax and a marketplace fee post on it) has one value in every trend: its net spend.
    first = _sample_total("acme-retail", date(2026, 11, 1), date(2026, 11, 2)).quantize(Decimal("0.01"))
    assert trend_2["1 Nov"] == trend_3["1 Nov"] == first
    # Month to date: everything the client counts from the 1st; the next day adds exactly its own day.
    assert mtd_2 == _sample_total("acme-retail", date(2026, 11, 1), date(2026, 11, 3)).quantize(Decimal("0.01"))
    assert mtd_3 == _sample_total("acme-retail", date(2026, 11, 1), date(2026, 11, 4)).quantize(Decimal("0.01"))
    assert abs(mtd_3 - (mtd_2 + trend_3["3 Nov"])) <= Decimal("0.01")
    # The same budget verdict on both days (the monthly budget of $52,000 and the same month's spend).
    assert VERDICT.search(second).group(1) == VERDICT.search(third).group(1) == "cross"


@pytest.mark.parametrize("source", SOURCES)
def test_acme_budget_check_spend_is_the_reports_month_to_date(on_samples, source):
    clients = [_config("acme-retail", cost_source=source)]
    aws = on_samples(clients)
    report = _run(aws, clients, "daily", date(2026, 11, 3), source)["acme-retail"]
    mtd = _money(MTD.search(report).group(1))
    requests = aws.cost_explorer.requests
    described = aws.wait(aws.notify.start_budget_check({"as_of": "2026-11-03"}, f"budgets-2026-11-03-{source}"))
    if source == "focus":
        assert aws.cost_explorer.requests == requests  # the budget check reads the export too
    summary = json.loads(described["output"])
    (acme,) = summary["clients"]
    # The report says the month is on track to cross the budget; the check crosses the forecast threshold.
    assert VERDICT.search(report).group(1) == "cross"
    assert [c.split(":")[1] for c in acme["crossed"]] == ["forecast-100"]
    aws.notify.drain()
    texts = [part.get_payload(decode=True).decode() for m in aws.outbox.notifications if m["client_id"] == "acme-retail"
             for part in message_from_bytes(m["raw"]).walk() if part.get_content_type() == "text/plain"]
    # One copy per recipient (each with its own unsubscribe link), the same text in each.
    (text,) = {t for t in texts if "Actual to date" in t}
    assert f"Actual to date: ${mtd:,.2f}" in text


@pytest.mark.parametrize("source", SOURCES)
def test_umbrella_month_to_date_counts_its_tax_and_credits(on_samples, source):
    clients = [_config("umbrella-labs", cost_source=source)]
    aws = on_samples(clients)
    report = _run(aws, clients, "daily", date(2026, 11, 3), source)["umbrella-labs"]
    mtd = _money(MTD.search(report).group(1))
    with_everything = _sample_total("umbrella-labs", date(2026, 11, 1), date(2026, 11, 3))
    assert mtd == with_everything.quantize(Decimal("0.01"))
    # The samples put tax and credits in these days: leaving either out would give another figure.
    from chalicelib.core.models import ClientConfig

    _, data = _samples()
    config = ClientConfig.model_validate(_config("umbrella-labs"))
    kinds = {r.record_type for r in data.rows if r.account_id in config.accounts
             and date(2026, 11, 1) <= r.date < date(2026, 11, 3)}
    assert {"Tax", "Credit", "Usage"} <= kinds


def _figures(text: str) -> dict[str, object]:
    """What a report says in figures: both period totals, the lines between the headline and the trend
    (usage, credits, refunds, the monthly charges line), month to date, every trend point."""
    headline = HEADLINE.search(text)
    between = text[headline.end():text.index("\nTREND:")]
    mtd = MTD.search(text)
    return {"current": _money(headline.group(1)), "previous": _money(headline.group(2)),
            "breakdown": [line for line in between.splitlines() if "$" in line],
            "month_to_date": _money(mtd.group(1)) if mtd else None,
            "trend": [_money(amount) for amount in TREND_LINE.findall(text)]}


# Periods holding a 1st (monthly charges, Support, Tax post on it), a whole closed month, and a week
# across the month's turn: where separate requests used to disagree.
RUNS = [("daily", date(2026, 11, 2)), ("daily", date(2026, 11, 4)), ("weekly", date(2026, 11, 4)),
        ("monthly", date(2026, 11, 1))]


@pytest.mark.parametrize(("report_type", "as_of"), RUNS, ids=[f"{t}-{d.isoformat()}" for t, d in RUNS])
def test_every_figure_is_the_same_to_the_cent_on_cost_explorer_and_on_the_export(on_samples, report_type, as_of):
    reports = {}
    for source in SOURCES:
        clients = [c for c in _sample_clients(source) if report_type in c["reports"]]
        aws = on_samples(clients)
        reports[source] = _run(aws, clients, report_type, as_of, source)
    assert reports["cost_explorer"].keys() == reports["focus"].keys() and len(reports["focus"]) >= 3
    for client_id, explorer in reports["cost_explorer"].items():
        export = reports["focus"][client_id]
        assert isinstance(explorer, str) and isinstance(export, str), (client_id, explorer, export)
        figures = _figures(explorer)
        assert figures["trend"] and figures["current"], client_id  # the comparison is of something
        assert _figures(export) == figures, client_id
        # Not only the figures: every line of the report, the services and accounts tables included.
        assert export == explorer, client_id


def test_a_slice_holding_another_clients_account_is_refused_never_rendered(on_samples):
    """The run's own split writes both clients' slices from the export; a faulty split is stood in for
    by adding a row of Umbrella's account to Acme's slice right after it: Acme's collect refuses it."""
    from app import app
    from chalicelib.costs.contracts import CostRow
    from chalicelib.costs.store import get_slice, put_slice

    acme = _config("acme-retail", cost_source="focus")
    umbrella = _config("umbrella-labs", cost_source="focus")
    stranger = CostRow(day=date(2026, 11, 2), account_id=umbrella["accounts"][0], service="Amazon S3", category="usage",
                       amount=Decimal("987654.3210"))
    split = app.handler_map["split_exports"]
    leaked: list[str] = []

    def split_then_leak(event, context):
        result = split(event, context)
        run_id = event["run_id"]
        honest = get_slice(run_id, "acme-retail")  # the split wrote it from the export: Acme's own rows only
        assert honest.rows and {r.account_id for r in honest.rows} <= set(acme["accounts"])
        put_slice(run_id, honest.model_copy(update={"rows": [*honest.rows, stranger]}))
        leaked.append(run_id)
        return result

    aws = on_samples([acme, umbrella], handler_overrides={"split_exports": split_then_leak})
    name = "daily-leak"
    described = aws.run({"report_type": "daily", "as_of": "2026-11-03"}, name=name)
    assert described["status"] == "SUCCEEDED", described
    assert leaked == [name]  # the foreign row was in Acme's slice when its collect read it
    records = aws.run_records(name)
    assert records["acme-retail"]["status"] == "failed"
    assert umbrella["accounts"][0] in records["acme-retail"].get("error", "") + records["acme-retail"].get("reason", "")
    assert records["umbrella-labs"]["status"] == "completed"  # one client's bad slice never stops the others
    assert "report.txt" not in aws.artefact_names(f"runs/{name}/acme-retail/")
    assert not [m for m in aws.outbox.sent if m["client_id"] == "acme-retail"]
    assert "987,654.32" not in aws.read_artefact(f"runs/{name}/umbrella-labs/report.txt")


@pytest.mark.parametrize("as_of", ["2026-11-03", "2026-11-10"])
def test_a_budget_check_reads_every_export_client_from_one_query_with_the_same_verdicts(on_samples, as_of):
    """The budget check machine runs the report run's export steps: one Athena query per export for
    all its export clients, no Cost Explorer request for them, and the verdicts (and the spend they
    come from) of the same clients read from Cost Explorer."""
    outcomes = {}
    for source in SOURCES:
        clients = _sample_clients(source)
        aws = on_samples(clients)
        requests, queries = aws.cost_explorer.requests, aws.athena.queries
        described = aws.wait(aws.notify.start_budget_check({"as_of": as_of}, f"budgets-{as_of}-{source}"))
        assert described["status"] == "SUCCEEDED", described
        if source == "focus":
            assert (aws.cost_explorer.requests, aws.athena.queries) == (requests, queries + 1)
        else:
            assert aws.cost_explorer.requests > requests and aws.athena.queries == queries
        summary = json.loads(described["output"])
        aws.notify.drain()
        texts = sorted(part.get_payload(decode=True).decode() for m in aws.outbox.notifications
                       for part in message_from_bytes(m["raw"]).walk() if part.get_content_type() == "text/plain")
        outcomes[source] = ({c["client_id"]: (c.get("status"), sorted(c.get("crossed", []))) for c in summary["clients"]},
                            [t for t in texts if "Actual to date" in t])
    explorer, export = outcomes["cost_explorer"], outcomes["focus"]
    assert len(explorer[0]) >= 3 and any(crossed for _, crossed in explorer[0].values())  # verdicts to compare
    assert export[0] == explorer[0]
    assert export[1] == explorer[1] and explorer[1]  # the alerts say the same spend, to the cent


def test_a_failed_export_query_fails_its_budget_clients_with_the_reason_and_the_others_are_checked(on_samples):
    clients = [_config("acme-retail", cost_source="focus"), _config("globex-logistics", cost_source="cost_explorer")]
    aws = on_samples(clients)
    aws.athena.fail_next_query("GENERIC_INTERNAL_ERROR: injected for the budget check")
    described = aws.wait(aws.notify.start_budget_check({"as_of": "2026-11-03"}, "budgets-failed-query"))
    assert described["status"] == "SUCCEEDED", described
    outcomes = {c["client_id"]: c for c in json.loads(described["output"])["clients"]}
    assert outcomes["acme-retail"]["status"] == "failed" and not outcomes["acme-retail"]["crossed"]
    assert "injected for the budget check" in outcomes["acme-retail"]["reason"]
    assert outcomes["globex-logistics"]["status"] == "checked"  # a Cost Explorer client never waits on the export
    aws.notify.drain()
    assert not [m for m in aws.outbox.notifications if m["client_id"] == "acme-retail"]  # no alert from no data


MONEY = re.compile(r"-?\$[\d,]+\.\d\d")


@pytest.mark.parametrize("report_type", ["daily", "weekly", "monthly"])
def test_the_on_demand_report_of_an_export_client_has_the_scheduled_reports_figures(on_samples, tmp_path, capsys,
                                                                                      report_type):
    """`python -m local report` (the report_pdf function: one client's own export query, outside any
    run) says every figure the scheduled run's report of the same day says, in the same order."""
    from local.__main__ import main

    as_of = date(2026, 11, 4)
    acme = _config("acme-retail", cost_source="focus")
    aws = on_samples([acme])
    name = f"{report_type}-{as_of.isoformat()}-focus"
    _run(aws, [acme], report_type, as_of, "focus")
    scheduled = aws.read_artefact(f"runs/{name}/acme-retail/report.html")
    on_samples.close()  # the CLI opens its own local AWS
    clients = tmp_path / "clients.json"
    clients.write_text(json.dumps([acme]))
    code = main(["report", "--client-id", "acme-retail", "--format", "html", "--report-type", report_type,
                 "--as-of", as_of.isoformat(), "--clients", str(clients), "--out", str(tmp_path / "cli")])
    assert code == 0
    printed = capsys.readouterr()
    assert " 0 Cost Explorer requests" in printed.err  # the export answered, not Cost Explorer
    on_demand = Path(printed.out.strip().splitlines()[-1]).read_text()
    figures = MONEY.findall(scheduled)
    assert len(figures) > 20 and MONEY.findall(on_demand) == figures

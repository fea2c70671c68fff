"""Every figure of a report from one dataset, through the state machine, on the sample data: the day-1
cases that disagreed when figures came from separate Cost Explorer requests (Acme's month to date
and budget verdict on 2 and 3 Nov, 1 Nov in every trend, Umbrella's month to date with its tax and
credits), on the Cost Explorer source and on a slice source (a ClientCosts under the run, written
with put_slice from the same rows as the billing-export split writes it). And a slice holding an
account that is not the client's is refused, never rendered."""

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
MTD = re.compile(r"November month to date \(1st to \d+\w\w\): \$([\d,.]+)")
TREND_POINT = re.compile(r"^\[[ x]\] \w{3} (\d+) (\w{3}) +\$([\d,.-]+)", re.M)


def _samples() -> tuple[list, object]:
    from local.aws.client_configs import load_clients
    from local.aws.cost_explorer.data import CostData

    return load_clients(SAMPLES / "clients.json"), CostData.from_csv(SAMPLES / "costs.csv")


def _money(text: str) -> Decimal:
    return Decimal(text.replace(",", ""))


def _config(client_id: str, **changes: object) -> dict:
    clients, _ = _samples()
    (config,) = [c for c in clients if isinstance(c, dict) and c["client_id"] == client_id]
    return {**config, **changes}


def _slice_from_rows(data: object, config: dict, report_type: str, as_of: date) -> object:
    """The client's ClientCosts for the run's window from the sample rows, as the export split writes
    one: a row per day, account, service and charge category, usage type and region on every row."""
    from chalicelib.core.models import ClientConfig
    from chalicelib.core.periods import report_periods
    from chalicelib.costs.categories import category_of
    from chalicelib.costs.contracts import ClientCosts, CostRow
    from chalicelib.costs.windows import report_window

    client = ClientConfig.model_validate(config)
    current, previous = report_periods(report_type, as_of)
    window, granularity = report_window(report_type, current, previous, as_of)
    excluded = set(client.record_types_excluded())
    sums: dict[tuple, Decimal] = {}
    for row in data.rows:
        if row.account_id in client.accounts and window.start <= row.date < window.end and row.record_type not in excluded:
            key = (row.date, row.account_id, row.service, category_of(row.record_type), row.usage_type or "", row.region or "")
            sums[key] = sums.get(key, Decimal(0)) + row.amount
    rows = [CostRow(day=d, account_id=a, service=s, category=c, usage_type=u, region=r, amount=amount)
            for (d, a, s, c, u, r), amount in sorted(sums.items())]
    return ClientCosts(client_id=client.client_id, source="export", export="focus", metric="UnblendedCost",
                       currency="USD", granularity=granularity, window=window, rows=rows, detail_services=None)


@pytest.fixture
def on_samples(tmp_path):
    """A factory: the in-process AWS on the sample cost rows with the given clients, closed after."""
    from local.aws.runtime import LocalAWS

    opened = []

    def make(clients: list[dict], estimated_from: date | None = None) -> object:
        _, data = _samples()
        aws = LocalAWS(out_dir=tmp_path / f"out{len(opened)}", costs=data, clients=clients, retry_time_scale=0.05,
                       estimated_from=estimated_from)
        opened.append(aws.__enter__())
        return aws

    yield make
    for aws in reversed(opened):
        aws.__exit__(None, None, None)


def _run_daily(aws, clients: list[dict], as_of: date, slices: bool) -> dict[str, object]:
    """One daily run of the state machine as of `as_of`: each client's report.txt, or its run record."""
    from chalicelib.costs.store import put_slice

    _, data = _samples()
    name = f"daily-{as_of.isoformat()}-{'slice' if slices else 'ce'}"
    if slices:
        for config in clients:
            put_slice(name, _slice_from_rows(data, config, "daily", as_of))
    before = aws.cost_explorer.requests
    described = aws.run({"report_type": "daily", "as_of": as_of.isoformat()}, name=name)
    assert described["status"] == "SUCCEEDED", described
    if slices:
        assert aws.cost_explorer.requests == before  # a slice source asks Cost Explorer nothing
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


@pytest.mark.parametrize("slices", [False, True], ids=["cost_explorer", "slice"])
def test_acme_month_to_date_and_budget_verdict_agree_on_consecutive_days(on_samples, slices):
    clients = [_config("acme-retail", **({"cost_source": "focus"} if slices else {}))]
    aws = on_samples(clients)
    second = _run_daily(aws, clients, date(2026, 11, 3), slices)["acme-retail"]  # the report of 2 Nov
    third = _run_daily(aws, clients, date(2026, 11, 4), slices)["acme-retail"]  # the report of 3 Nov
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
    verdict = re.compile(r"On track to (exceed|stay within) the \$52,000.00 monthly budget")
    assert verdict.search(second).group(1) == verdict.search(third).group(1)


def test_acme_budget_check_spend_is_the_reports_month_to_date(on_samples):
    clients = [_config("acme-retail")]
    aws = on_samples(clients)
    report = _run_daily(aws, clients, date(2026, 11, 3), slices=False)["acme-retail"]
    mtd = _money(MTD.search(report).group(1))
    described = aws.wait(aws.notify.start_budget_check({"as_of": "2026-11-03"}, "budgets-2026-11-03"))
    summary = json.loads(described["output"])
    (acme,) = summary["clients"]
    # The report says the month is on track to exceed the budget; the check crosses the forecast threshold.
    assert "On track to exceed the $52,000.00 monthly budget" in report
    assert [c.split(":")[1] for c in acme["crossed"]] == ["forecast-100"]
    aws.notify.drain()
    texts = [part.get_payload(decode=True).decode() for m in aws.outbox.notifications if m["client_id"] == "acme-retail"
             for part in message_from_bytes(m["raw"]).walk() if part.get_content_type() == "text/plain"]
    (text,) = [t for t in texts if "Actual to date" in t]
    assert f"Actual to date: ${mtd:,.2f}" in text


@pytest.mark.parametrize("slices", [False, True], ids=["cost_explorer", "slice"])
def test_umbrella_month_to_date_counts_its_tax_and_credits(on_samples, slices):
    clients = [_config("umbrella-labs", **({"cost_source": "focus"} if slices else {}))]
    aws = on_samples(clients)
    report = _run_daily(aws, clients, date(2026, 11, 3), slices)["umbrella-labs"]
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


def test_a_slice_holding_another_clients_account_is_refused_never_rendered(on_samples):
    from chalicelib.costs.contracts import CostRow
    from chalicelib.costs.store import put_slice

    _, data = _samples()
    acme = _config("acme-retail", cost_source="focus")
    umbrella = _config("umbrella-labs", cost_source="focus")
    aws = on_samples([acme, umbrella])
    name = "daily-leak"
    stranger = CostRow(day=date(2026, 11, 2), account_id=umbrella["accounts"][0], service="Amazon S3", category="usage",
                       amount=Decimal("987654.3210"))
    leaky = _slice_from_rows(data, acme, "daily", date(2026, 11, 3))
    put_slice(name, leaky.model_copy(update={"rows": [*leaky.rows, stranger]}))
    put_slice(name, _slice_from_rows(data, umbrella, "daily", date(2026, 11, 3)))
    described = aws.run({"report_type": "daily", "as_of": "2026-11-03"}, name=name)
    assert described["status"] == "SUCCEEDED", described
    records = aws.run_records(name)
    assert records["acme-retail"]["status"] == "failed"
    assert umbrella["accounts"][0] in records["acme-retail"].get("error", "") + records["acme-retail"].get("reason", "")
    assert records["umbrella-labs"]["status"] == "completed"  # one client's bad slice never stops the others
    assert "report.txt" not in aws.artefact_names(f"runs/{name}/acme-retail/")
    assert not [m for m in aws.outbox.sent if m["client_id"] == "acme-retail"]
    assert "987,654.32" not in aws.read_artefact(f"runs/{name}/umbrella-labs/report.txt")

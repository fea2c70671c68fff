"""The sample run as a person gets it: the HTML laid out by headless Chromium at a phone's and a
desktop's width, the PDF turned into pages and text by poppler, the workbook opened by openpyxl.

Chromium and poppler-utils come from the project's setup (`make setup` installs them when missing).
"""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal

import pytest

from local.aws.client_configs import load_clients
from local.aws.cost_explorer.data import CostData
from local.aws.organizations import load as load_organizations
from local.cli.run import run_locally
from tests import ROOT, browser, factories as f

SAMPLES = ROOT / "local" / "samples"
AS_OF = date(2026, 11, 22)  # the sample data's last day is 2026-11-21; weekly: Nov 9-15 vs Nov 2-8
DELIVERED = ("acme-retail", "globex-logistics", "northwind-health", "umbrella-labs")


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("sample-run")
    summary = run_locally(load_clients(SAMPLES / "clients.json"), CostData.from_csv(SAMPLES / "costs.csv"),
                          {"report_type": "weekly", "as_of": AS_OF.isoformat()}, out, progress=False,
                          organizations=load_organizations(SAMPLES / "organizations.json"))
    assert summary["execution_status"] == "SUCCEEDED"
    assert sorted(c["client_id"] for c in summary["clients"] if c["status"] == "delivered") == list(DELIVERED)
    return out, summary


def test_sample_run_shows_trend_forecast_names_and_the_why_of_the_spike(sample_run):
    out, _ = sample_run
    globex = (out / "globex-logistics" / "report.txt").read_text()
    assert "TREND: Daily totals, last 14 days" in globex and len(re.findall(r"^\[x\] ", globex, re.M)) == 7
    # Month to date as of the run (Sunday 22nd): the forecast starts where the actual spend stops.
    assert "November month to date (1st to 21st)" in globex and "more forecast by month end" in globex
    # The spike has already blown Globex's monthly budget; Acme is heading past its own.
    assert re.search(r"Over the \$58,000\.00 monthly budget since the \d+(st|nd|rd|th); heading for \$[\d,.]+", globex)
    acme = (out / "acme-retail" / "report.txt").read_text()
    assert re.search(r"On track to cross the \$52,000\.00 monthly budget on the \d+(st|nd|rd|th) \(month total about", acme)
    # The spike (new p3.2xlarge instances) is explained, with a console link pre-filtered to EC2.
    assert "WHY IT MOVED\nAmazon Elastic Compute Cloud - Compute rose" in globex
    assert "- BoxUsage:p3.2xlarge (us-east-1): +$" in globex
    html = (out / "globex-logistics" / "report.html").read_text()
    assert "Amazon%20Elastic%20Compute%20Cloud%20-%20Compute" in html and "startDate=2026-11-02" in html
    # Names: from the config (acme) and from the payer's organization (umbrella), never another account's.
    assert "Production (7269 5959 6028)" in (out / "acme-retail" / "report.txt").read_text()
    umbrella = (out / "umbrella-labs" / "report.txt").read_text()
    assert "Umbrella Research (1926 6393 2021)" in umbrella and "Shared Services" not in umbrella
    # Only the clients that ask get a workbook and a PDF.
    assert (out / "acme-retail" / "report.xlsx").exists() and (out / "acme-retail" / "report.pdf").exists()
    assert (out / "globex-logistics" / "report.pdf").exists() and not (out / "globex-logistics" / "report.xlsx").exists()
    assert not list((out / "northwind-health").glob("report.p*"))


def test_extra_cost_explorer_requests_are_counted_and_bounded(sample_run):
    import math

    out, summary = sample_run
    clients = {c["client_id"]: c for c in json.loads((SAMPLES / "clients.json").read_text())}
    data = CostData.from_csv(SAMPLES / "costs.csv")
    records = {c["client_id"]: c for c in summary["clients"]}
    why = {cid for cid in DELIVERED if "WHY IT MOVED" in (out / cid / "report.txt").read_text()}
    assert "globex-logistics" in why and "acme-retail" not in why
    from chalicelib.core.periods import report_periods
    from chalicelib.costs.categories import SEPARATED_RECORD_TYPES
    from chalicelib.costs.windows import report_window

    current, previous = report_periods("weekly", AS_OF)
    window, _ = report_window("weekly", current, previous, AS_OF)
    for client_id in DELIVERED:
        config = clients[client_id]
        if config.get("cost_source", "cost_explorer") != "cost_explorer":
            assert records[client_id]["ce_requests"] == 0, client_id  # the export run's query read its costs
            continue
        excluded = {"Credit", "Refund"} - ({"Credit"} if config.get("include_credits") else set())
        mine = [r for r in data.rows if r.account_id in config["accounts"] and r.record_type not in excluded]
        # One request by account and record type over the whole window (trend, month to date, the
        # forecast's history, the charges), one by account and service for usage over both periods.
        by_kind = {(r.date, r.account_id, r.record_type) for r in mine if window.start <= r.date < window.end}
        by_service = {(r.date, r.account_id, r.service) for r in mine if previous.start <= r.date < current.end
                      and r.record_type not in SEPARATED_RECORD_TYPES}
        pages = math.ceil(len(by_kind) / 1000) + math.ceil(len(by_service) / 1000)  # the local page size
        # + the why (1, only with a flagged mover); no forecast request: it comes from the dataset
        assert records[client_id]["ce_requests"] == pages + (client_id in why), client_id
    # What collect reported is what the (emulated) bill says.
    assert summary["ce_requests"] == sum(records[c]["ce_requests"] for c in DELIVERED)


@pytest.mark.parametrize("width", [375, 900])
def test_sample_reports_fit_the_screen_in_chromium(sample_run, width, tmp_path):
    out, _ = sample_run
    for client_id in DELIVERED:
        shot = tmp_path / f"{client_id}-{width}.png"
        layout = browser.measure((out / client_id / "report.html").read_text(), width, screenshot=shot)
        assert layout.viewport == width
        assert layout.scroll_width <= width, f"{client_id} scrolls sideways at {width}px: {layout}"
        assert shot.stat().st_size > 10_000  # a real picture of the report, not an empty page


def test_worst_case_report_fits_a_phone_in_chromium() -> None:
    """300 services with 120-character unbroken names and 7-digit figures: names wrap, figures stay whole."""
    from chalicelib.reports.costs.analysis import analyze
    from chalicelib.reports.rendering import render_report

    lines = [f.line(account, f"Service {i:03d} " + "x" * 108, f"{9_000_000 + i}.99", f"{1_000_000 + i}.01")
             for i in range(300) for account in f.ACCOUNTS]
    html = render_report(analyze(f.dataset(lines, client={"budgets": {"weekly": Decimal(1)}}))).html
    layout = browser.measure(html, 375)
    assert layout.scroll_width <= 375, layout


def test_pdf_pages_and_headline_figures(sample_run, tmp_path):
    out, _ = sample_run
    pdf = out / "acme-retail" / "report.pdf"
    pages = browser.pdf_pages_to_png(pdf, tmp_path / "page")
    assert 2 <= len(pages) <= 4, pages  # headline, trend, month to date, changes, 18 services, accounts
    assert all(p.stat().st_size > 3_000 for p in pages)
    text = browser.pdf_text(pdf)
    facts = (out / "acme-retail" / "report.txt").read_text()
    total = re.search(r"TOTAL SPEND[^:\n]*: (\S+)", facts).group(1)
    change = re.search(r"Change[^:\n]*: (\S+ \(\S+\))", facts).group(1)
    month = re.search(r"November month to date \(1st to 21st\): (\S+)", facts).group(1)
    for figure in (total, change, month, "Production (7269 5959 6028)", "Daily totals, last 14 days"):
        assert figure in text, figure


def test_xlsx_has_summary_chart_services_accounts(sample_run):
    import openpyxl

    out, _ = sample_run
    path = out / "acme-retail" / "report.xlsx"
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Summary", "Services", "Accounts"]
    summary, services, accounts = (book[name] for name in book.sheetnames)
    assert len(summary._charts) == 1  # the native trend chart
    facts = (out / "acme-retail" / "report.txt").read_text()
    total = Decimal(re.search(r"TOTAL SPEND[^:\n]*: \$(\S+)", facts).group(1).replace(",", ""))
    # Full precision in the cell (sums stay exact), shown in cents by its number format.
    assert summary["A4"].value.startswith("Total spend")
    assert Decimal(str(summary["B4"].value)).quantize(Decimal("0.01")) == total
    assert "$" in summary["B4"].number_format
    assert services.freeze_panes == "B2" and accounts.freeze_panes == "B2"
    assert [c.value for c in services[1]][:5] == ["Service", "Current", "Previous", "Change", "Change %"]
    rows = list(services.iter_rows(min_row=2, values_only=True))
    listed = [r for r in rows if r[0] != "Total"]
    assert abs(sum(Decimal(str(r[1])) for r in listed) - total) < Decimal("0.01")
    assert accounts["A2"].value == "Production" and accounts["B2"].value == "726959596028"


def test_workbook_and_pdf_keep_hostile_names_inert(tmp_path) -> None:
    import openpyxl

    from chalicelib.reports.costs.analysis import analyze
    from chalicelib.reports.rendering import render_report

    names = ['=HYPERLINK("http://evil.example","x")', '<font size="90">big</font> & <b>bold</b>']
    report = analyze(f.dataset([f.line(f.ACCOUNTS[0], n, "10", "1") for n in names]))
    files = render_report(report, attachments=["xlsx", "pdf"]).files
    xlsx = tmp_path / "r.xlsx"
    xlsx.write_bytes(next(b for n, b in files.items() if n.endswith(".xlsx")))
    cells = [r[0] for r in openpyxl.load_workbook(xlsx)["Services"].iter_rows(min_row=2, values_only=True)]
    assert names[0] in cells  # stored as text, not as a formula
    assert openpyxl.load_workbook(xlsx)["Services"]["A2"].data_type == "s"
    pdf = tmp_path / "r.pdf"
    pdf.write_bytes(next(b for n, b in files.items() if n.endswith(".pdf")))
    assert '<font size="90">big</font> & <b>bold</b>' in browser.pdf_text(pdf).replace("\n", " ")


def test_report_pdf_on_demand_for_a_past_period(tmp_path) -> None:
    """The report_pdf function, invoked synchronously: an encrypted object and a 1-hour presigned URL."""
    from urllib.parse import parse_qs, urlparse

    from chalicelib.core.settings import get_settings
    from local.aws.runtime import LocalAWS

    clients = load_clients(SAMPLES / "clients.json")
    with LocalAWS(out_dir=tmp_path, costs=CostData.from_csv(SAMPLES / "costs.csv"), clients=clients,
                  organizations=load_organizations(SAMPLES / "organizations.json")) as aws:
        lam = aws.session.client("lambda")

        def invoke(payload: dict) -> tuple[dict, bool]:
            reply = lam.invoke(FunctionName=aws.stage.function_name("report_pdf"), Payload=json.dumps(payload).encode())
            return json.loads(reply["Payload"].read()), bool(reply.get("FunctionError"))

        result, failed = invoke({"client_id": "acme-retail", "report_type": "monthly", "as_of": "2026-10-01"})
        assert not failed, result
        assert re.fullmatch(r"runs/on-demand-[\w-]+/acme-retail/report\.pdf", result["report_key"])
        query = parse_qs(urlparse(result["report_url"]).query)
        assert query["X-Amz-Expires"] == ["3600"] and result["report_key"] in result["report_url"]
        head = aws.session.client("s3").head_object(Bucket=get_settings().bucket_name, Key=result["report_key"])
        assert head["ServerSideEncryption"] == "AES256" and head["ContentType"] == "application/pdf"
        pdf = tmp_path / "september.pdf"
        pdf.write_bytes(aws.read_artefact_bytes(result["report_key"]))
        text = browser.pdf_text(pdf)
        assert "2026-09-01 to 2026-09-30" in text and "Monthly totals, last 6 months" in text
        # A bad request names what is wrong; an unknown client is a configuration error.
        error, failed = invoke({"client_id": "acme-retail", "report_type": "yearly", "as_of": "2026-10-01"})
        assert failed and error["errorType"] == "DataValidationError" and "report_type" in error["errorMessage"]
        error, failed = invoke({"client_id": "nobody", "report_type": "weekly", "as_of": "2026-10-01"})
        assert failed and error["errorType"] == "ConfigurationError"


def test_report_pdf_presigns_after_caches_were_reset_without_credentials(tmp_path, monkeypatch) -> None:
    """A reset forgets the presigning client, it does not build one: a reset made where no AWS
    credentials were set (a tool, another test) used to leave a client without credentials that
    every later report_pdf signed with, failing with NoCredentialsError."""
    import boto3

    import chalicelib.reports.stages.report_pdf  # noqa: F401 - its cache is registered, as in a warm container
    from chalicelib.core.caches import reset_all
    from local.aws.runtime import LocalAWS

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    boto3.setup_default_session()
    reset_all()
    monkeypatch.undo()
    clients = load_clients(SAMPLES / "clients.json")
    with LocalAWS(out_dir=tmp_path, costs=CostData.from_csv(SAMPLES / "costs.csv"), clients=clients,
                  organizations=load_organizations(SAMPLES / "organizations.json")) as aws:
        reply = aws.session.client("lambda").invoke(
            FunctionName=aws.stage.function_name("report_pdf"),
            Payload=json.dumps({"client_id": "acme-retail", "report_type": "monthly", "as_of": "2026-10-01"}).encode())
        result = json.loads(reply["Payload"].read())
        assert not reply.get("FunctionError"), result
        assert result["report_key"] in result["report_url"]


@pytest.mark.parametrize("width", [375, 900])
def test_sample_report_header_cells_never_break_inside_a_word_in_chromium(sample_run, width):
    """"Previou s" at 900 px, "Curren t" at 375 px: every header word of every table stays whole."""
    out, _ = sample_run
    for client_id in DELIVERED:
        words, broken = browser.broken_header_words((out / client_id / "report.html").read_text(), width)
        assert words >= 8 and broken == [], (client_id, width, broken)


def test_worst_case_report_header_cells_stay_whole_on_a_phone_in_chromium() -> None:
    from chalicelib.reports.costs.analysis import analyze
    from chalicelib.reports.rendering import render_report

    lines = [f.line(account, f"Service {i:03d} " + "x" * 108, f"{9_000_000 + i}.99", f"{1_000_000 + i}.01")
             for i in range(40) for account in f.ACCOUNTS]
    html = render_report(analyze(f.dataset(lines))).html
    words, broken = browser.broken_header_words(html, 375)
    assert words >= 8 and broken == [], broken

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

import pytest
from jinja2 import StrictUndefined
from pydantic import ValidationError

from chalicelib.reports.costs.analysis import CostReport, analyze
from chalicelib.reports.costs.insights import build_insights
from chalicelib.reports.rendering import (
    CSV_HEADER,
    HTML_BUDGET_BYTES,
    MAX_HTML_SERVICES,
    SUBJECT_MAX,
    environment,
    render_report,
)
from tests import factories as f

A1, A2, A3 = f.ACCOUNTS
D = Decimal
ESTIMATED_NOTE = "Figures for the most recent days are estimated by AWS and may change until the bill closes"
HOSTILE_NAME = "<script>alert(1)</script>"
HOSTILE_SERVICE = '"><img src=x onerror=alert(1)>'


def _report(lines=None, **kwargs) -> CostReport:
    lines = lines if lines is not None else [f.line(A1, "Amazon EC2", "160", "100"), f.line(A2, "Amazon S3", "10", "10")]
    return analyze(f.dataset(lines, **kwargs))


def _worst_case(name_char: str = "x") -> CostReport:
    """300 services with 120-char names in 3 accounts, all big changes, big figures."""
    lines = []
    for i in range(300):
        name = f"Service {i:03d} " + name_char * 108
        assert len(name) == 120
        for j, account in enumerate(f.ACCOUNTS):
            lines.append(f.line(account, name, f"{9_000_000 + i * 997 + j}.99", f"{1_000_000 + i * 13}.01"))
    return analyze(f.dataset(lines, estimated=True, client={"budgets": {"weekly": D(1)}}))


# --- HTML safety ---


def test_hostile_strings_escaped_in_html_and_raw_in_text() -> None:
    report = _report(
        [f.line(A1, HOSTILE_SERVICE, "500", "100"), f.line(A1, "R&D Tools", "1", "1")],
        client={"name": HOSTILE_NAME},
    )
    out = render_report(report)
    assert HOSTILE_NAME not in out.html
    assert HOSTILE_SERVICE not in out.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out.html
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in out.html
    assert "R&amp;D Tools" in out.html
    assert "<script" not in out.html.lower()
    assert "<img" not in out.html.lower()
    # Text is not HTML: the same strings come through untouched.
    assert HOSTILE_NAME in out.text
    assert HOSTILE_SERVICE in out.text
    assert "R&D Tools" in out.text and "&amp;" not in out.text and "&lt;" not in out.text


def test_html_has_no_remote_resources() -> None:
    html = render_report(*_realistic()).html
    # The only address is the why-line's link (clicked, never loaded): Cost Explorer in the console.
    assert re.findall(r"https?://[^/\"]+", html) == ["https://us-east-1.console.aws.amazon.com"]
    assert not re.search(r"<(img|script|link|iframe|svg|canvas)\b", html, re.I)
    assert "url(" not in html
    assert "@import" not in html and "@font-face" not in html


def test_autoescape_on_for_html_off_for_text() -> None:
    env = environment()
    assert env is environment()  # built once
    assert env.undefined is StrictUndefined
    html_t = env.from_string("{{ v }}")
    assert html_t.render(v="<b>") == "&lt;b&gt;"  # strings default to escaping
    assert env.autoescape("report.html.j2") is True
    assert env.autoescape("report.txt.j2") is False


def test_no_safe_filter_in_templates() -> None:
    from chalicelib.reports.rendering import TEMPLATES as _TEMPLATES

    for path in _TEMPLATES.iterdir():
        source = re.sub(r"\{#.*?#\}", "", path.read_text(), flags=re.S)  # comments may mention it
        assert not re.search(r"\|\s*safe\b", source), path.name
        assert "Markup(" not in source


# --- size ---


def test_worst_case_html_stays_under_gmail_clip() -> None:
    report = _worst_case()
    out = render_report(report)
    size = len(out.html.encode("utf-8"))
    assert size < HTML_BUDGET_BYTES, size
    hidden = 300 - MAX_HTML_SERVICES
    assert f"{hidden} more services, see the attachment" in out.html
    # Every service still reaches the CSV and the text part.
    assert len(list(csv.DictReader(io.StringIO(out.csv)))) == 900
    assert all(s.service in out.text for s in report.services)


def test_escaping_heavy_names_shrink_the_table_to_fit() -> None:
    out = render_report(_worst_case(name_char='"'))  # each " becomes &#34; (5x)
    assert len(out.html.encode("utf-8")) < HTML_BUDGET_BYTES
    match = re.search(r"(\d+) more services, see the attachment", out.html)
    assert match and int(match.group(1)) > 300 - MAX_HTML_SERVICES


def test_small_report_shows_every_service() -> None:
    out = render_report(analyze(f.realistic_dataset()))
    assert "more services" not in out.html
    for service in analyze(f.realistic_dataset()).services:
        assert service.service in out.html


# --- content ---


def _realistic():
    dataset = f.realistic_dataset()
    report = analyze(dataset)
    return report, build_insights(report, f.realistic_context(), dataset.client.change_alert, D(50000))


def _section(html: str, title: str) -> str:
    start = html.index(f">{title}</div>")
    end = html.find("</table>", start)
    return html[start:end]


def test_html_sections_and_figures() -> None:
    html = render_report(*_realistic()).html
    assert "Acme Corp" in html
    assert "2024-05-06 to 2024-05-12" in html and "2024-04-29 to 2024-05-05" in html
    assert "$11,976.80" in html and "+$1,227.98" in html and "(+11.4%)" in html
    # Trend strip: 14 table cells, the 7 days of the report highlighted; no images, SVG or scripts.
    assert html.count('bgcolor="#2563eb"') == 7 and html.count('bgcolor="#bfdbfe"') == 6  # one day had no spend
    assert "Daily totals, last 14 days (peak $2,320.00)" in html
    assert "May month to date (1st to 12th): $23,700.00" in html
    assert "On track to exceed the $50,000.00 monthly budget by $13,800.00 on the 25th" in html
    assert "Amazon DynamoDB rose $1,138.59 (+283.1%): these usage types explain $1,138.59 of it" in html
    assert "WriteCapacityUnit-Hrs" in html and "+$860.10" in html
    # One changes table, flagged rows marked; "Total" is only in the services table.
    changes = _section(html, "Changes")
    assert "&#9873; </span>Amazon DynamoDB" in changes and "Total" not in changes
    assert html.count("<b>Total</b>") == 1
    # Services carry their share bars; accounts their names.
    services = _section(html, "Services")
    assert "Amazon Elastic Compute Cloud - Compute" in services and "42.0%" in services
    assert re.search(r'<td width="42%" height="3" bgcolor="#60a5fa"', html)
    assert 'Production<span style="color:#6b7280;"> (1111 1111 1111)</span>' in html
    assert "3333 3333 3333" in html
    assert "unblended cost" in html
    assert 'style="max-width:640px' in html
    for tag in ("<img", "<svg", "<script", "<canvas"):
        assert tag not in html


def test_increase_red_decrease_green() -> None:
    up = render_report(_report([f.line(A1, "EC2", "200", "100")])).html
    down = render_report(_report([f.line(A1, "EC2", "100", "200")])).html
    assert 'color:#b91c1c;font-weight:bold;"><span class="n">▲ +$100.00' in up
    assert 'color:#15803d;font-weight:bold;"><span class="n">▼ -$100.00' in down


def test_estimated_note_present_only_when_estimated() -> None:
    estimated = render_report(_report(estimated=True))
    final = render_report(_report(estimated=False))
    assert ESTIMATED_NOTE in estimated.html and ESTIMATED_NOTE in estimated.text
    assert ESTIMATED_NOTE not in final.html and ESTIMATED_NOTE not in final.text


def test_budget_section_present_only_with_budget() -> None:
    with_budget = render_report(_report(client={"budgets": {"weekly": D(100)}}))
    without = render_report(_report())
    assert "Weekly budget: $170.00 of $100.00 (170.0% used)" in with_budget.html
    assert "Over budget by $70.00" in with_budget.html
    assert "WEEKLY BUDGET: $170.00 OF $100.00 (170.0% USED) - Over budget" in with_budget.text
    assert "budget" not in without.html.lower() and "BUDGET" not in without.text


def test_text_part_has_same_facts() -> None:
    out = render_report(*_realistic())
    text = out.text
    assert "TOTAL SPEND (estimated): $11,976.80" in text
    assert "Change: +$1,227.98 (+11.4%) vs $10,748.82" in text
    assert "WEEKLY BUDGET: $11,976.80 OF $14,000.00 (85.5% USED) - Approaching budget" in text
    assert "[x] Sun 12 May       $2,320.00" in text and "[ ] Mon 29 Apr       $1,500.00" in text
    # Every sentence of the HTML's insight blocks is in the text too, word for word.
    for sentence in ("May month to date", "$23,700.00", "$40,100.00 more forecast by month end",
                     "On track to exceed the $50,000.00 monthly budget by $13,800.00 on the 25th",
                     "Amazon DynamoDB rose $1,138.59 (+283.1%): these usage types explain $1,138.59 of it",
                     "- WriteCapacityUnit-Hrs (us-east-1): +$860.10", "Production (1111 1111 1111)"):
        assert sentence in text, sentence
    assert "* Amazon DynamoDB" in text and "CHANGES" in text and "ACCOUNTS" in text
    # Fixed-width columns: every figure row of the services table has the same length.
    row = next(line for line in text.splitlines() if line.startswith("Amazon DynamoDB  "))
    other = next(line for line in text.splitlines() if line.startswith("Amazon Route 53 "))
    total = next(line for line in text.splitlines() if line.startswith("Total "))
    assert len(row) == len(other) and total.endswith("+11.4%") and len(total) < len(row)  # no share on Total
    assert row.split()[-5:] == ["$1,540.77", "$402.18", "+$1,138.59", "+283.1%", "12.9%"]


def test_long_service_name_gets_own_line_in_text() -> None:
    name = "A" * 80
    text = render_report(_report([f.line(A1, name, "5", "1")])).text
    lines = text.splitlines()
    i = lines.index(name, lines.index("SERVICES"))
    assert lines[i + 1].strip().startswith("$5.00")


def test_non_usd_currency() -> None:
    out = render_report(_report(currency="EUR"))
    assert "170.00 EUR" in out.html and "$" not in out.subject
    assert "170.00 EUR" in out.text


# --- CSV ---


def test_csv_round_trips_amounts() -> None:
    report = _report(
        [f.line(A1, "EC2", "1234.56789", "1000"), f.line(A2, "S3, \"quoted\"", "-5.5", "0.00004"),
         f.line(A3, "Tiny", "0.00001", "0")]
    )
    out = render_report(report)
    reader = csv.DictReader(io.StringIO(out.csv))
    assert reader.fieldnames == CSV_HEADER
    rows = list(reader)
    assert [(r["account_id"], r["service"]) for r in rows] == [(A1, "EC2"), (A2, 'S3, "quoted"'), (A3, "Tiny")]
    q = D("0.0001")
    for row, line in zip(rows, report.lines, strict=True):
        assert D(row["current_amount"]) == line.current_amount.quantize(q)
        assert D(row["previous_amount"]) == line.previous_amount.quantize(q)
        assert D(row["change_amount"]) == (line.current_amount - line.previous_amount).quantize(q)
        assert row["currency"] == "USD"
        assert (row["period_start"], row["period_end"]) == ("2024-05-06", "2024-05-12")  # inclusive, as the email writes it
        assert (row["previous_start"], row["previous_end"]) == ("2024-04-29", "2024-05-05")
        assert re.fullmatch(r"-?\d+\.\d{4}", row["current_amount"])
    assert rows[0]["current_amount"] == "1234.5679"
    assert rows[1]["current_amount"] == "-5.5000"
    assert rows[2]["previous_amount"] == "0.0000"  # no "-0.0000", no exponent


@pytest.mark.parametrize("name", ["=HYPERLINK(\"x\")", "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"])
def test_csv_formula_injection_guarded(name: str) -> None:
    out = render_report(_report([f.line(A1, name, "1", "1")]))
    row = next(csv.DictReader(io.StringIO(out.csv)))
    assert row["service"] == "'" + name


def test_csv_plain_names_untouched() -> None:
    row = next(csv.DictReader(io.StringIO(render_report(_report([f.line(A1, "Amazon EC2", "1", "1")])).csv)))
    assert row["service"] == "Amazon EC2"


def test_csv_filename() -> None:
    assert render_report(_report()).csv_filename == "cost-report-acme-weekly-2024-05-06.csv"


# --- subject ---


def test_subject_format() -> None:
    assert render_report(_report()).subject == "AWS cost report - Acme Corp - Weekly 2024-05-06 to 2024-05-12: $170.00 (+54.5%)"
    new = render_report(_report([f.line(A1, "EC2", "5", "0")]))
    assert new.subject.endswith(": $5.00 (new)")


def test_subject_strips_control_chars_and_caps_length() -> None:
    # The model refuses control chars; model_copy skips validation, as a bug upstream might.
    report = _report().model_copy(update={"client_name": "Evil\r\nBcc: victim@example.com\t\u2028  Corp\x00"})
    subject = render_report(report).subject
    assert not re.search(r"[\x00-\x1f\x7f\u2028\u2029]", subject)
    assert "Evil Bcc: victim@example.com Corp" in subject
    long_name = _report().model_copy(update={"client_name": "N" * 400})
    subject = render_report(long_name).subject
    assert len(subject) <= SUBJECT_MAX
    assert subject.endswith(": $170.00 (+54.5%)")  # the figures survive; the name is cut
    assert "\u2026" in subject


def test_rendered_report_is_frozen() -> None:
    out = render_report(_report())
    with pytest.raises(ValidationError):  # frozen
        out.subject = "x"  # type: ignore[misc]

"""Form index, XBRL (companyfacts, companyconcept, frames), full-text search and Yahoo chart parsers on the samples."""

from __future__ import annotations

from datetime import date

import pytest

from chalicelib.core.errors import DataValidationError
from chalicelib.scraping.parsers import xbrl
from chalicelib.scraping.parsers.efts import parse_search
from chalicelib.scraping.parsers.form_index import parse_form_index, unique_filings
from chalicelib.scraping.parsers.yahoo import latest_close
from tests.scraper_samples import sample_json, sample_text

AS_OF = date(2026, 11, 22)


def test_daily_form_index_columns_and_forms():
    entries = parse_form_index(sample_text("edgar_daily_form_idx_20200318_excerpt.txt"))
    assert len(entries) == 33  # every line after the rule (the samples README says 32; the file has 33)
    first = entries[0]
    assert (first.form, first.company, first.cik, first.filed) == (
        "1-A", "DLP Positive Note Fund LLC", 1806014, date(2020, 3, 18))
    assert first.path == "edgar/data/1806014/0001140361-20-006155.txt"
    assert first.accession == "0001140361-20-006155"
    assert sum(e.form == "424B5" for e in entries) == 7
    bofa = [e for e in entries if e.company == "BANK OF AMERICA CORP /DE/"]
    assert bofa and bofa[0].cik == 70858


def test_form_index_filter_and_multi_filer_duplicate():
    entries = parse_form_index(sample_text("edgar_daily_form_idx_20200318_excerpt.txt"), forms={"424B2"})
    assert {e.form for e in entries} == {"424B2"}
    shared = [e for e in entries if e.accession == "0000891092-20-003205"]
    assert {e.company for e in shared} == {"BANK OF AMERICA CORP /DE/", "BofA Finance LLC"}
    unique = unique_filings(entries)
    assert len(unique) == len(entries) - 2  # two accessions listed under both BofA filers
    assert len({e.accession for e in unique}) == len(unique)


def test_form_index_bad_layout_names_the_line():
    with pytest.raises(ValueError, match="line 3"):
        parse_form_index("Form Type\n-----\nnot an index line\n")
    with pytest.raises(ValueError, match="header rule"):
        parse_form_index("garbage")


def test_companyfacts_shape_units_and_durations():
    document = sample_json("sec_companyfacts_CIK0000320193_AAPL_subset.json")
    proceeds = xbrl.company_facts(document, "ProceedsFromIssuanceOfLongTermDebt")
    fy2025 = [f for f in proceeds if f.frame == "CY2025"]
    assert [f.val for f in fy2025] == [4_481_000_000]
    assert fy2025[0].start == date(2024, 9, 29) and fy2025[0].days == 364
    eps = xbrl.company_facts(document, "EarningsPerShareDiluted")
    assert {f.unit for f in eps} == {"USD/shares"}
    assets = xbrl.latest(xbrl.company_facts(document, "Assets"), unit="USD")
    assert assets is not None and assets.start is None and assets.end == date(2025, 12, 27) and assets.val == 379_297_000_000
    shares = xbrl.company_facts(document, "EntityCommonStockSharesOutstanding", taxonomy="dei")
    assert shares and shares[0].unit == "shares"
    assert xbrl.company_facts(document, "NetAssetValuePerShare") == []  # never reported: empty, not an error


def test_companyfacts_quarters_drop_ytd_facts():
    document = sample_json("sec_companyfacts_CIK0000320193_AAPL_subset.json")
    income = xbrl.company_facts(document, "NetIncomeLoss")
    quarters = xbrl.quarterly(income)
    assert quarters and all(80 <= q.days <= 100 for q in quarters)
    assert quarters[-1].end == date(2025, 12, 27) and quarters[-1].val == 42_097_000_000
    assert len(quarters) < len(income)  # FY and YTD facts present in the sample are not quarters


def test_companyconcept_shape():
    document = sample_json("sec_companyfacts_CIK0000320193_AAPL_subset.json")
    concept = {"cik": 320193, "taxonomy": "us-gaap", "tag": "Assets", "label": "Assets", "description": "",
               "entityName": "Apple Inc.", "units": document["facts"]["us-gaap"]["Assets"]["units"]}
    facts = xbrl.concept_facts(concept)
    assert facts and all(f.concept == "Assets" for f in facts)
    with pytest.raises(DataValidationError, match="companyconcept"):
        xbrl.concept_facts({"units": []})


def test_malformed_fact_is_a_data_validation_error():
    with pytest.raises(DataValidationError, match="malformed"):
        xbrl.company_facts({"facts": {"us-gaap": {"Assets": {"units": {"USD": [{"end": "not a date", "val": 1}]}}}}}, "Assets")
    with pytest.raises(DataValidationError, match="facts"):
        xbrl.company_facts({"cik": 1}, "Assets")


def test_frames_shape():
    frame = xbrl.parse_frame(sample_json("sec_frames_RECONSTRUCTED_revenue_CY2026Q2.json"))
    assert (frame.tag, frame.period, frame.unit) == ("RevenueFromContractWithCustomerExcludingAssessedTax", "CY2026Q2", "USD")
    row = frame.by_cik()[1800]
    assert (row.entity_name, row.val, row.start, row.end) == (
        "ABBOTT LABORATORIES", 12_593_000_000, date(2026, 4, 1), date(2026, 6, 30))
    with pytest.raises(DataValidationError):
        xbrl.parse_frame({"data": [{"cik": 1}]})


def test_frame_period_is_the_last_completed_quarter():
    assert xbrl.frame_period(date(2026, 11, 22), instant=True) == "CY2026Q3I"
    assert xbrl.frame_period(date(2026, 2, 1), instant=False) == "CY2025Q4"
    assert xbrl.frame_period(date(2026, 4, 1), instant=True) == "CY2026Q1I"


def test_full_text_search_shape():
    page = parse_search(sample_json("sec_efts_search_index_RECONSTRUCTED.json"))
    assert page.total == 442
    hit = page.hits[0]
    assert hit.accession == "0002151913-26-000005" and hit.filename == "wk-form4_1787861494.xml"
    assert hit.ciks == [2151913, 706129] and hit.names[1] == "HORIZON BANCORP INC /IN/"
    assert (hit.form, hit.filed, hit.sics) == ("4", date(2026, 8, 27), ["6022"])
    with pytest.raises(DataValidationError, match="full-text search"):
        parse_search({"hits": {}})


def test_yahoo_chart_latest_close():
    close = latest_close(sample_json("yahoo_chart_v8_AAPL_1d_scheb_fixture.json"), "AAPL", date(2024, 10, 14))
    assert close.reason == ""
    assert close.session == date(2024, 10, 11)
    assert close.close == pytest.approx(227.55, abs=0.01)


def test_yahoo_no_data_gives_no_price_and_a_reason():
    close = latest_close(sample_json("yahoo_chart_v8_nodata_CAPIO.ST_scheb_fixture.json"), "CAPIO.ST", date(2024, 10, 14))
    assert close.close is None and close.session is None
    assert "no price data" in close.reason and "CAPIO.ST" in close.reason


def test_yahoo_error_answer_and_garbage():
    error = {"chart": {"result": None, "error": {"code": "Not Found", "description": "No data found, symbol may be delisted"}}}
    assert "delisted" in latest_close(error, "X", AS_OF).reason
    assert latest_close("not json", "X", AS_OF).close is None
    nulls = {"chart": {"result": [{"timestamp": [1, 2], "indicators": {"quote": [{"close": [None, None]}]}}], "error": None}}
    assert "null closes" in latest_close(nulls, "X", AS_OF).reason


def _chart(stamps, closes, **meta):
    return {"chart": {"result": [{"meta": meta, "timestamp": stamps,
                                  "indicators": {"quote": [{"close": closes}]}}], "error": None}}


DAY = 86_400
FRIDAY = 1795181400  # 2026-11-20 13:30 UTC, the session before AS_OF (a Sunday)


@pytest.mark.parametrize("bad", [0, -5, float("nan"), float("inf"), "abc", "18.5", True, {"v": 1}])
def test_yahoo_a_bad_latest_close_gives_no_price_never_an_older_one(bad):
    close = latest_close(_chart([FRIDAY - DAY, FRIDAY], [18.4, bad]), "ARCC", AS_OF)
    assert close.close is None and close.session == date(2026, 11, 20)
    assert "ARCC" in close.reason and "close" in close.reason and repr(bad) in close.reason


def test_yahoo_bars_after_as_of_are_ignored_and_null_is_a_session_without_trade():
    chart = _chart([FRIDAY - DAY, FRIDAY, FRIDAY + 3 * DAY], [18.4, None, 1.0], gmtoffset=-18000)
    close = latest_close(chart, "ARCC", AS_OF)
    assert (close.close, close.session) == (18.4, date(2026, 11, 19))
    only_later = latest_close(_chart([FRIDAY + 3 * DAY], [1.0]), "ARCC", AS_OF)
    assert only_later.close is None and "on or before 2026-11-22" in only_later.reason
    # a bar dated on as-of itself is known on that date
    assert latest_close(_chart([FRIDAY, FRIDAY + 2 * DAY], [18.4, 18.6]), "ARCC", AS_OF).close == 18.6


@pytest.mark.parametrize("stamps,closes,reason", [
    ([FRIDAY, "x"], [18.4, 18.5], "timestamp[1]"),
    ([FRIDAY, 1e30], [18.4, 18.5], "timestamp[1]"),
    ([FRIDAY], [18.4, 18.5], "1 timestamps but 2 closes"),
    ("abc", [18.4], "not lists"),
])
def test_yahoo_malformed_bars_give_no_price(stamps, closes, reason):
    close = latest_close(_chart(stamps, closes), "ARCC", AS_OF)
    assert close.close is None and reason in close.reason


@pytest.mark.parametrize("val,problem", [(float("nan"), "not a finite number"), ("12.5", "not a number (str)"),
                                         (True, "not a number (bool)"), (None, "missing")])
def test_xbrl_a_bad_val_names_the_concept_period_and_field(val, problem):
    facts = {"facts": {"us-gaap": {"Assets": {"units": {"USD": [
        {"end": "2026-06-30", "val": 5.0, "accn": "a-1", "filed": "2026-08-01"},
        {"end": "2026-09-30", "val": val, "accn": "a-2", "filed": "2026-11-01"}]}}}}}
    with pytest.raises(DataValidationError) as raised:
        xbrl.company_facts(facts, "Assets", as_of=AS_OF)
    message = str(raised.value)
    assert "Assets" in message and "2026-09-30" in message and "a-2" in message and "val" in message and problem in message
    # point in time: a fact filed on or after as-of did not exist then, so its value is not looked at
    known = xbrl.company_facts(facts, "Assets", as_of=date(2026, 10, 1))
    assert [(f.end, f.val) for f in known] == [(date(2026, 6, 30), 5.0)]


def test_frames_reject_a_bad_row_alone():
    document = {"tag": "NetAssetValuePerShare", "ccp": "CY2026Q3I", "uom": "USD/shares", "data": [
        {"cik": 1, "entityName": "A", "end": "2026-09-30", "val": 19.8},
        {"cik": 2, "entityName": "B", "end": "2026-09-30", "val": float("nan")},
        {"cik": 3, "entityName": "C", "end": "2026-09-30", "val": "abc"}]}
    frame = xbrl.parse_frame(document)
    assert list(frame.by_cik()) == [1]
    assert set(frame.rejected) == {2, 3} and "not a finite number" in frame.rejected[2] and "'abc'" in frame.rejected[3]

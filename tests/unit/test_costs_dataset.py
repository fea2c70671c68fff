"""chalicelib/costs: the windows a run reads, the charge categories, the Cost Explorer source's
requests and rows, and the checks every dataset passes before a figure is computed from it."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from chalicelib.core.errors import DataValidationError
from chalicelib.core.models import ClientConfig
from chalicelib.core.periods import Period, report_periods
from chalicelib.costs import categories, windows
from chalicelib.costs.contracts import ClientCosts, CostRow, CostWindowRequest
from chalicelib.costs.explorer import reader
from chalicelib.costs.forecast import HISTORY_DAYS
from chalicelib.costs.source import checked
from local.aws.cost_explorer.data import CostData
from local.aws.cost_explorer.service import LocalCostExplorer
from tests.factories import client_config

D = Decimal


def _config(accounts: list[str], **overrides) -> ClientConfig:
    return ClientConfig.model_validate(client_config("acme", accounts, **overrides))


def test_a_reports_window_holds_both_periods_the_trend_month_to_date_and_the_forecast_history():
    as_of = date(2026, 11, 23)
    current, previous = report_periods("weekly", as_of)
    window, granularity = windows.report_window("weekly", current, previous, as_of)
    assert granularity == "DAILY"
    assert window == Period(start=as_of - timedelta(days=HISTORY_DAYS), end=as_of)
    # A month that is over needs no forecast: both periods, the trend and month to date only.
    done = date(2026, 12, 1)
    current, previous = report_periods("daily", done)
    assert windows.report_window("daily", current, previous, done) == (Period(start=date(2026, 11, 1), end=done), "DAILY")
    current, previous = report_periods("monthly", done)
    assert windows.report_window("monthly", current, previous, done) == (
        Period(start=date(2026, 6, 1), end=date(2026, 12, 1)), "MONTHLY")


def test_a_budget_checks_window_holds_each_period_so_far_the_lookback_and_the_forecast_history():
    as_of = date(2026, 11, 20)
    year = Period(start=date(2026, 1, 1), end=date(2027, 1, 1))
    month = Period(start=date(2026, 11, 1), end=date(2026, 12, 1))
    assert windows.budget_window([month, year], as_of) == Period(start=date(2026, 1, 1), end=as_of)
    assert windows.budget_window([month], as_of) == Period(start=as_of - timedelta(days=HISTORY_DAYS), end=as_of)


def test_record_types_map_onto_categories_and_the_config_decides_which_count():
    assert [categories.category_of(t) for t in ("Usage", "DiscountedUsage", "Credit", "Refund", "Tax", "Support",
                                                "RIFee", "SavingsPlanRecurringFee", "Fee")] == [
        "usage", "usage", "credit", "refund", "tax", "support", "fee", "fee", "fee"]
    assert "credit" not in categories.counted_categories(_config(["111111111111"]))
    counted = categories.counted_categories(_config(["111111111111"], include_credits=True, include_tax=False))
    assert "credit" in counted and "tax" not in counted and "refund" not in counted


def _rows() -> CostData:
    rows = []
    for offset in range(40):
        day = (date(2026, 10, 10) + timedelta(days=offset)).isoformat()
        for account, service in (("111111111111", "Amazon S3"), ("111111111111", "AWS Lambda"), ("222222222222", "Amazon S3")):
            rows.append({"date": day, "account_id": account, "service": service, "amount": f"{offset + 1}.0123456789"})
    rows.append({"date": "2026-11-01", "account_id": "111111111111", "service": "Tax", "amount": "50", "record_type": "Tax"})
    rows.append({"date": "2026-11-01", "account_id": "222222222222", "service": "AWS Support (Business)", "amount": "30",
                 "record_type": "Support"})
    rows.append({"date": "2026-11-01", "account_id": "999999999999", "service": "Amazon S3", "amount": "77777"})
    return CostData.from_rows(rows)


def test_several_accounts_read_in_two_requests_that_agree_and_hold_every_counted_row():
    data = _rows()
    emulator = LocalCostExplorer(data, page_size=1000)
    config = _config(["111111111111", "222222222222"])
    window = Period(start=date(2026, 10, 10), end=date(2026, 11, 19))
    periods = Period(start=date(2026, 11, 5), end=date(2026, 11, 19))
    costs = reader.read_window(config, CostWindowRequest(client_id="acme", window=window), periods, ce=emulator)
    assert emulator.requests == costs.usage.ce_requests == 2
    assert costs.total(window.start, window.end) == sum(
        (r.amount for r in data.rows if r.account_id in config.accounts), D(0))
    # Usage by service inside both periods; by account and category outside them.
    assert {r.service for r in costs.rows if r.day >= periods.start} == {"Amazon S3", "AWS Lambda"}
    assert {r.service for r in costs.rows if r.day < periods.start} == {""}
    assert {(r.category, r.charge_type) for r in costs.rows if r.category != "usage"} == {("tax", "Tax"), ("support", "Support")}
    assert "999999999999" not in {r.account_id for r in costs.rows}


def test_one_account_reads_in_one_request_with_services_and_categories_on_every_row():
    emulator = LocalCostExplorer(_rows(), page_size=1000)
    config = _config(["111111111111"])
    window = Period(start=date(2026, 10, 10), end=date(2026, 11, 19))
    costs = reader.read_window(config, CostWindowRequest(client_id="acme", window=window), window, ce=emulator)
    assert emulator.requests == 1
    assert {r.service for r in costs.rows} == {"Amazon S3", "AWS Lambda", "Tax"}
    assert {r.category for r in costs.rows} == {"usage", "tax"}


def test_two_answers_that_disagree_are_an_error_not_two_figures():
    total = [CostRow(day=date(2026, 11, 5), account_id="111111111111", category="usage", amount=D("10.00"))]
    finer = [CostRow(day=date(2026, 11, 5), account_id="111111111111", service="Amazon S3", category="usage", amount=D("9.98"))]
    with pytest.raises(DataValidationError, match=r"does not add up .* 111111111111 on 2026-11-05"):
        reader.replace_rows(total, finer, Period(start=date(2026, 11, 5), end=date(2026, 11, 6)),
                            lambda r: r.category == "usage", "usage by service")
    within_a_cent = [finer[0].model_copy(update={"amount": D("9.995")})]
    assert reader.replace_rows(total, within_a_cent, Period(start=date(2026, 11, 5), end=date(2026, 11, 6)),
                               lambda r: r.category == "usage", "usage by service") == within_a_cent


def test_a_cost_explorer_answer_naming_another_account_is_refused():
    class Leaky:
        def get_cost_and_usage(self, **request):
            return {"ResultsByTime": [{"TimePeriod": {"Start": "2026-11-05", "End": "2026-11-06"}, "Estimated": False,
                                       "Groups": [{"Keys": ["999999999999", "Usage"],
                                                   "Metrics": {"UnblendedCost": {"Amount": "1", "Unit": "USD"}}}]}]}

    config = _config(["111111111111", "222222222222"])
    request = CostWindowRequest(client_id="acme", window=Period(start=date(2026, 11, 5), end=date(2026, 11, 6)),
                                detail="account")
    with pytest.raises(DataValidationError, match="999999999999"):
        reader.read_window(config, request, ce=Leaky())


def test_an_amount_beyond_any_bill_is_refused_naming_its_group_account_and_day():
    class Huge:
        def get_cost_and_usage(self, **request):
            keys = ["222222222222", "Usage"] if request["GroupBy"][0]["Key"] == "LINKED_ACCOUNT" else ["Amazon S3", "Usage"]
            return {"ResultsByTime": [{"TimePeriod": {"Start": "2026-11-05", "End": "2026-11-06"}, "Estimated": False,
                                       "Groups": [{"Keys": keys,
                                                   "Metrics": {"UnblendedCost": {"Amount": "1e16", "Unit": "USD"}}}]}]}

    window = Period(start=date(2026, 11, 5), end=date(2026, 11, 6))
    several = _config(["111111111111", "222222222222"])
    with pytest.raises(DataValidationError, match=r"amount 1E\+16 for linked account 222222222222, record type Usage "
                                                  r"on 2026-11-05 is too large"):
        reader.read_window(several, CostWindowRequest(client_id="acme", window=window, detail="account"), ce=Huge())
    one = _config(["111111111111"])
    with pytest.raises(DataValidationError, match=r"for account 111111111111, service Amazon S3, record type Usage "
                                                  r"on 2026-11-05 is too large"):
        reader.read_window(one, CostWindowRequest(client_id="acme", window=window), window, ce=Huge())


def _costs(rows: list[CostRow], client_id: str = "acme") -> ClientCosts:
    return ClientCosts(client_id=client_id, source="export", export="focus", metric="UnblendedCost", currency="USD",
                       granularity="DAILY", window=Period(start=date(2026, 11, 1), end=date(2026, 11, 20)), rows=rows,
                       detail_services=None)


def test_a_dataset_is_checked_before_any_figure_reads_it():
    config = _config(["111111111111"])
    mine = CostRow(day=date(2026, 11, 2), account_id="111111111111", category="usage", amount=D(5))
    stranger = CostRow(day=date(2026, 11, 2), account_id="222222222222", category="usage", amount=D(7))
    request = CostWindowRequest(client_id="acme", window=Period(start=date(2026, 11, 2), end=date(2026, 11, 10)))
    trimmed = checked(config, request, _costs([mine]))
    assert trimmed.window == request.window and trimmed.rows == [mine]
    with pytest.raises(DataValidationError, match="222222222222"):
        checked(config, request, _costs([mine, stranger]))
    with pytest.raises(DataValidationError, match="of 'other' was read for client 'acme'"):
        checked(config, request, _costs([mine], client_id="other"))
    wider = CostWindowRequest(client_id="acme", window=Period(start=date(2026, 10, 25), end=date(2026, 11, 10)))
    with pytest.raises(DataValidationError, match="not all of 2026-10-25"):
        checked(config, wider, _costs([mine]))

"""chalicelib/core pieces on their own: settings, caches, the stage boundary, the delivery ledger reads."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.core import caches, constants
from chalicelib.core.errors import ConfigurationError, DataValidationError, ThrottlingError
from chalicelib.core.observability import run_stage
from chalicelib.core.settings import get_settings
from chalicelib.reports import store as table


@pytest.fixture
def fresh_settings():
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_settings_read_the_environment_variables_named_in_constants(monkeypatch, fresh_settings) -> None:
    monkeypatch.setenv(constants.ENV_TABLE_NAME, "t-from-env")
    monkeypatch.setenv(constants.ENV_SENDER_EMAIL, "reports@from-env.example")
    monkeypatch.setenv(constants.ENV_MAX_CONCURRENCY, "7")
    settings = get_settings()
    assert (settings.table_name, settings.default_sender, settings.max_concurrency) == (
        "t-from-env", "reports@from-env.example", 7)


def test_a_bad_environment_is_a_configuration_error_naming_the_variable(monkeypatch, fresh_settings) -> None:
    monkeypatch.setenv(constants.ENV_MAX_CONCURRENCY, "400")
    with pytest.raises(ConfigurationError, match=constants.ENV_MAX_CONCURRENCY):
        get_settings()


def test_reset_all_forgets_settings_and_registered_caches(monkeypatch, fresh_settings) -> None:
    monkeypatch.setenv(constants.ENV_TABLE_NAME, "first-table")
    assert get_settings().table_name == "first-table"
    forgotten = []
    caches.register(lambda: forgotten.append(True))
    monkeypatch.setenv(constants.ENV_TABLE_NAME, "second-table")
    caches.reset_all()
    assert get_settings().table_name == "second-table" and forgotten == [True]
    caches._resetters.pop()


def test_run_stage_refuses_a_payload_that_is_not_the_stage_input_naming_the_field() -> None:
    from chalicelib.reports.blueprint import STAGES

    run = {"run_id": "r", "report_type": "weekly", "as_of": "2026-11-18", "started_at": "2026-11-18T09:00:00Z",
           "current": {"start": "2026-11-09", "end": "2026-11-16"}, "previous": {"start": "2026-11-02", "end": "2026-11-09"}}
    with pytest.raises(DataValidationError, match=r"render: invalid stage input: collected: field required"):
        run_stage(STAGES["render_report"], {"run": run, "client_id": "acme"})
    with pytest.raises(DataValidationError, match=r"collectd: unknown field"):
        run_stage(STAGES["render_report"], {"run": run, "client_id": "acme", "collected": {"data_key": "k", "ce_requests": 1},
                                            "collectd": {}})


class _Resource:
    """A DynamoDB resource whose BatchGetItem leaves `stubborn` rounds of keys unprocessed."""

    def __init__(self, stubborn: int) -> None:
        self.stubborn, self.calls = stubborn, 0

    def batch_get_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:  # noqa: N803 - boto3's name
        self.calls += 1
        (name, request), = RequestItems.items()
        if self.calls <= self.stubborn:
            return {"Responses": {name: []}, "UnprocessedKeys": RequestItems}
        return {"Responses": {name: [{**k, "found": True} for k in request["Keys"]]}}


@pytest.mark.parametrize("stubborn", [1, table.BATCH_GET_ROUNDS - 1])
def test_batch_get_asks_again_for_unprocessed_keys(monkeypatch, stubborn: int) -> None:
    resource = _Resource(stubborn)
    monkeypatch.setattr(table.aws, "resource", lambda service: resource)
    monkeypatch.setattr(table, "BATCH_GET_BACKOFF_SECONDS", 0)
    keys = [table.delivery_key("acme", "weekly", "2026-11-09"), table.delivery_key("acme", "weekly", "2026-11-02")]
    found = table.batch_get(keys)
    assert sorted(found) == sorted((k["pk"], k["sk"]) for k in keys) and resource.calls == stubborn + 1


def test_batch_get_raises_a_throttling_error_when_keys_stay_unprocessed(monkeypatch) -> None:
    resource = _Resource(stubborn=10**6)
    monkeypatch.setattr(table.aws, "resource", lambda service: resource)
    monkeypatch.setattr(table, "BATCH_GET_BACKOFF_SECONDS", 0)
    with pytest.raises(ThrottlingError, match="2 keys still unprocessed"):
        table.batch_get([table.delivery_key("acme", "weekly", "2026-11-09"), table.delivery_key("acme", "weekly", "2026-11-02")])
    assert resource.calls == table.BATCH_GET_ROUNDS


def test_a_caught_error_name_is_classified_by_what_it_means() -> None:
    from chalicelib.core.errors import error_details

    assert error_details("ThrottlingError")["category"] == "throttling"
    # Powertools' idempotency store unreachable, or the same delivery in progress: transient, not a rule
    assert error_details("IdempotencyPersistenceLayerError", '{"errorMessage": "Failed to save"}') == {
        "error": "IdempotencyPersistenceLayerError", "category": "service_unavailable", "severity": "medium",
        "recommended_action": "An AWS service returned 5xx; retried automatically. Rerun the same input later.",
        "message": "Failed to save"}
    assert error_details("IdempotencyAlreadyInProgressError")["category"] == "service_unavailable"
    assert error_details("Lambda.Unknown")["category"] == "service_unavailable"
    # an unexpected exception is not dressed up as a business rule
    unknown = error_details("KeyError", '{"errorMessage": "\'total\'"}')
    assert unknown["category"] == "unknown" and unknown["message"] == "'total'"


def test_a_non_aws_exception_is_unclassified_not_a_business_rule() -> None:
    from chalicelib.core.errors import CostReportError, classify_aws_error

    error = classify_aws_error(RuntimeError("dictionary changed size during iteration"), "read monthly summaries")
    assert type(error) is CostReportError and error.category == "unknown"
    assert str(error) == "read monthly summaries: RuntimeError: dictionary changed size during iteration"

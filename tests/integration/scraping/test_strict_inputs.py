"""The scrapers' inputs take JSON booleans and dates within range only, as every execution input does:
`"dry_run": "yes"` or a manual `"test": "yes"` is refused naming the field (a typo must not decide
between a dry run and real alerts), and so is an as_of at the calendar's ends."""

from __future__ import annotations

import pytest
from chalice.test import Client

from .conftest import AS_OF


@pytest.mark.parametrize(("extra", "field"), [({"dry_run": "yes"}, "dry_run"), ({"dry_run": 1}, "dry_run"),
                                              ({"dry_run": "false"}, "dry_run"), ({"as_of": "9999-12-31"}, "as_of"),
                                              ({"as_of": "0001-01-01"}, "as_of")])
def test_execution_input_booleans_and_dates_are_strict(local_scrape, extra, field):
    local = local_scrape()
    described = local.run({"scraper": "bdc-discount", "as_of": AS_OF.isoformat(), **extra})
    assert described["status"] == "FAILED" and described["error"] == "DataValidationError", described.get("output")
    assert field in described["cause"]
    assert local.sent_alerts() == []


@pytest.mark.parametrize("detail", [{"test": "yes"}, {"test": "false"}, {"as_of": "9999-12-31"}])
def test_manual_trigger_detail_is_strict(local_scrape, detail):
    local = local_scrape()
    with Client(local.aws.app) as client:
        answer = client.lambda_.invoke("bdc_discount_trigger", {"source": "manual", "detail": detail}).payload
    assert answer["statusCode"] == 400 and answer["body"]["error_type"] == "DataValidationError"
    assert next(iter(detail)) in answer["body"]["error"]
    assert local.sfn.list_executions(stateMachineArn=local.state_machine_arn)["executions"] == []

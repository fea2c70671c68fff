"""What one client's branch asks of S3, through the state machine: collect writes the dataset and the
report context as one object and render reads it once, and the report still shows what the context
carries (the trend)."""

from __future__ import annotations

import json
import re

WEEKLY = {"report_type": "weekly", "as_of": "2026-11-18"}
TREND_POINT = re.compile(r"^\[[ x]\] \w{3} (\d+) (\w{3}) +\$([\d,.-]+)", re.M)


def test_collect_writes_one_object_for_render_and_render_reads_it_once(local_aws):
    from local.metering import usage

    aws = local_aws()
    usage.reset(aws)
    described = aws.run(WEEKLY)
    assert described["status"] == "SUCCEEDED", described
    run_id = json.loads(described["output"])["run_id"]
    records = aws.run_records(run_id)
    delivered = sorted(client for client, record in records.items() if record["status"] == "completed")
    assert delivered == ["alpha", "bravo", "charlie"], records
    for client in delivered:
        prefix = f"runs/{run_id}/{client}/"
        assert sorted(aws.artefact_names(prefix)) == ["costs.json", "message.eml", "report.csv", "report.html",
                                                        "report.txt"]
        collected = json.loads(aws.read_artefact(prefix + "costs.json"))
        assert sorted(collected) == ["context", "dataset"] and collected["dataset"]["client"]["client_id"] == client
        # The context reached the report: its trend, one point per day of the history.
        assert len(TREND_POINT.findall(aws.read_artefact(prefix + "report.txt"))) >= 7
    # Per client: render reads the collected object, deliver the message, nothing else is read back (the
    # link render presigns for the change alert is signed locally, no request).
    assert usage.measure(aws)["stage_calls"]["s3 get"] == 2 * len(delivered)

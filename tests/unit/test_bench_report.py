"""`python -m bench.report` runs to its last figure on the samples and synthetic clients."""

from __future__ import annotations

import re

from bench import report


def test_bench_report_prints_every_figure_for_the_samples_and_synthetic_clients(capsys):
    assert report.main(["--clients", "3", "--render-sample", "1"]) == 0
    out = capsys.readouterr().out
    # Every sample report type, read through the local Cost Explorer: at least the one main request each.
    for report_type in ("daily", "weekly", "monthly"):
        line = re.search(rf"sample {report_type} *: (\d+) clients, Cost Explorer requests per client: main ([\d.]+)", out)
        assert line is not None, out
        assert int(line.group(1)) >= 1 and float(line.group(2)) >= 1.0
    # The synthetic clients' count is the emulator's own count.
    assert re.search(r"synthetic weekly: 3 clients, Cost Explorer requests per client: main 2\.00", out), out
    assert "emulator counted 6 requests = 2.00 per client" in out
    assert re.search(r"300 services .*HTML [\d.]+ KB .*XLSX [\d.]+ KB, PDF [\d.]+ KB", out), out

"""Render one real report of `make run` to the PNG the README shows (docs/images/report.png).

    make run                                   # writes out/<client_id>/report.html, out/summary.json
    .venv/bin/python docs/screenshot.py [OUT_DIR] [--client-id ID] [--png PATH] [--size WIDTH,HEIGHT]

The picture is the HTML part of the email exactly as `make run` wrote it, laid out by headless
Chromium (Debian's `chromium`, which `make setup` installs) with every host name unresolvable, so
nothing is fetched from the network. The default client, globex-logistics, is the sample with a
spike and the "why it moved" line; the default window (700 x 1122 px) holds the report from its
header to the end of its changes table. A documentation tool: the standard library and Chromium only.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_PNG = ROOT / "docs" / "images" / "report.png"
DEFAULT_CLIENT = "globex-logistics"
DEFAULT_SIZE = "700,1122"
TIMEOUT_SECONDS = 60
# No sandbox (the tool runs as root in containers), no GPU, and no way out: every name resolves
# to nothing, and Chromium's own background traffic is switched off.
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-extensions", "--hide-scrollbars", "--mute-audio",
    "--host-resolver-rules=MAP * ~NOTFOUND", "--force-device-scale-factor=1",
)


def find_chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    raise SystemExit("error: headless Chromium not found: `make setup` installs Debian's chromium")


def delivered_report(out_dir: Path, client_id: str) -> Path:
    """The report.html of a client the run in out_dir really delivered (summary.json says so)."""
    summary_path = out_dir / "summary.json"
    if not summary_path.is_file():
        raise SystemExit(f"error: {summary_path} not found: run `make run` first (or give its --out folder)")
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    statuses = {c["client_id"]: c["status"] for c in summary.get("clients", [])}
    if statuses.get(client_id) != "delivered":
        delivered = ", ".join(sorted(c for c, s in statuses.items() if s == "delivered")) or "none"
        raise SystemExit(f"error: {client_id!r} was not delivered by the run in {out_dir} "
                         f"(status {statuses.get(client_id, 'absent')}); delivered: {delivered}")
    report = out_dir / client_id / "report.html"
    if not report.is_file():
        raise SystemExit(f"error: {report} not found")
    return report


def parse_size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in text.split(","))
    except ValueError:
        raise SystemExit(f"error: --size {text!r}: expected WIDTH,HEIGHT in pixels, e.g. {DEFAULT_SIZE}") from None
    if not (500 <= width <= 2000 and 200 <= height <= 8000):
        raise SystemExit(f"error: --size {text!r}: width 500-2000 px (headless Chromium's minimum is 500), height 200-8000")
    return width, height


def screenshot(report: Path, png: Path, size: tuple[int, int]) -> None:
    png.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="report-shot-") as profile:
        done = subprocess.run(
            [find_chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size={size[0]},{size[1]}",
             f"--screenshot={png}", report.resolve().as_uri()],
            capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False)
    if done.returncode != 0 or not png.is_file():
        raise SystemExit(f"error: Chromium wrote no screenshot (exit {done.returncode}): {done.stderr[-500:]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", nargs="?", type=Path, default=ROOT / "out",
                        help="the output folder of `make run` (default out/)")
    parser.add_argument("--client-id", default=DEFAULT_CLIENT, help=f"whose report (default {DEFAULT_CLIENT})")
    parser.add_argument("--png", type=Path, default=DEFAULT_PNG, help="where to write it (default docs/images/report.png)")
    parser.add_argument("--size", default=DEFAULT_SIZE, help=f"window WIDTH,HEIGHT in px: the crop (default {DEFAULT_SIZE})")
    args = parser.parse_args(argv)
    report = delivered_report(args.out_dir, args.client_id)
    screenshot(report, args.png, parse_size(args.size))
    print(f"{args.png}: {args.png.stat().st_size:,} bytes, from {report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

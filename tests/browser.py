"""Headless Chromium and poppler for the tests that look at a report as a person sees it.

Chromium (Debian `chromium`) and pdftoppm/pdftotext (Debian `poppler-utils`) are installed by the
project's setup (`make setup`, which `.ci/run` runs) when missing. Headless Chromium keeps its
window at least 500 px wide, so a phone width is measured the way a phone lays the page out: the
report is the whole document of an iframe exactly that wide (srcdoc, same origin as the probe page),
and its own `document.documentElement.scrollWidth` is read there.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-extensions", "--hide-scrollbars", "--mute-audio",
]
TIMEOUT_SECONDS = 60


def chromium_path() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    raise RuntimeError("headless Chromium not found: run `make setup` (installs Debian's chromium when missing)")


@dataclass(frozen=True)
class Layout:
    viewport: int  # the width the report was laid out in
    scroll_width: int  # its document.documentElement.scrollWidth
    scroll_height: int


def _probe_page(report_html: str, width: int) -> str:
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>pending</title></head>
<body style="margin:0;background:#fff"><iframe id="r" width="{width}" height="800" style="border:0;display:block"
srcdoc="{html.escape(report_html, quote=True)}"></iframe>
<script>
const frame = document.getElementById("r");
frame.addEventListener("load", () => {{
  const root = frame.contentDocument.documentElement;
  frame.height = root.scrollHeight;
  document.title = "layout " + frame.contentWindow.innerWidth + " " + root.scrollWidth + " " + root.scrollHeight;
}});
</script></body></html>"""


def _run(args: list[str], workdir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([chromium_path(), *CHROMIUM_FLAGS, f"--user-data-dir={workdir / 'profile'}", *args],
                          capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False)


def measure(report_html: str, width: int, screenshot: Path | None = None) -> Layout:
    """Lay the report out `width` px wide; optionally save a screenshot of it (PNG)."""
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        page = workdir / "probe.html"
        page.write_text(_probe_page(report_html, width), encoding="utf-8")
        done = _run(["--virtual-time-budget=10000", "--dump-dom", page.as_uri()], workdir)
        found = re.search(r"<title>layout (\d+) (\d+) (\d+)</title>", done.stdout)
        if not found:
            raise RuntimeError(f"Chromium did not lay the report out (exit {done.returncode}): {done.stderr[-500:]}")
        layout = Layout(int(found.group(1)), int(found.group(2)), int(found.group(3)))
        if screenshot is not None:
            height = min(layout.scroll_height + 20, 16000)
            shot = _run(["--virtual-time-budget=10000", f"--window-size={max(width, 500)},{height}",
                         f"--screenshot={screenshot}", page.as_uri()], workdir)
            if not screenshot.exists():
                raise RuntimeError(f"Chromium wrote no screenshot (exit {shot.returncode}): {shot.stderr[-500:]}")
        return layout


def _header_probe(report_html: str, width: int) -> str:
    """A probe that lays the report out `width` px wide and lists every table header word that is
    drawn on more than one line (an inline box split over lines has more than one client rect)."""
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>pending</title></head>
<body style="margin:0;background:#fff"><iframe id="r" width="{width}" height="800" style="border:0;display:block"
srcdoc="{html.escape(report_html, quote=True)}"></iframe>
<script>
const frame = document.getElementById("r");
frame.addEventListener("load", () => {{
  const doc = frame.contentDocument;
  const broken = [];
  let words = 0;
  for (const row of doc.querySelectorAll("tr[bgcolor='#f3f4f6']")) {{
    if (row.previousElementSibling !== null) continue;  // header rows only: the first row of a table
    for (const cell of row.cells) {{
      if (cell.offsetParent === null) continue;  // hidden on a phone
      const walker = doc.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {{
        const re = /\\S+/g;
        let m;
        while ((m = re.exec(node.data)) !== null) {{
          const range = doc.createRange();
          range.setStart(node, m.index);
          range.setEnd(node, m.index + m[0].length);
          const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
          words += 1;
          if (tops.size > 1) broken.push(m[0]);
        }}
      }}
    }}
  }}
  document.title = "headers " + words + " " + JSON.stringify(broken);
}});
</script></body></html>"""


def broken_header_words(report_html: str, width: int) -> tuple[int, list[str]]:
    """(header words measured, the ones broken across lines) with the report `width` px wide."""
    import json

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        page = workdir / "probe.html"
        page.write_text(_header_probe(report_html, width), encoding="utf-8")
        done = _run(["--virtual-time-budget=10000", "--dump-dom", page.as_uri()], workdir)
        found = re.search(r"<title>headers (\d+) (.*?)</title>", done.stdout)
        if not found:
            raise RuntimeError(f"Chromium did not lay the report out (exit {done.returncode}): {done.stderr[-500:]}")
        return int(found.group(1)), json.loads(html.unescape(found.group(2)))


def pdf_pages_to_png(pdf: Path, out_prefix: Path, dpi: int = 50) -> list[Path]:
    tool = shutil.which("pdftoppm")
    if tool is None:
        raise RuntimeError("pdftoppm not found: run `make setup` (installs Debian's poppler-utils when missing)")
    subprocess.run([tool, "-r", str(dpi), "-png", str(pdf), str(out_prefix)], check=True, timeout=TIMEOUT_SECONDS)
    return sorted(out_prefix.parent.glob(out_prefix.name + "-*.png"))


def pdf_text(pdf: Path) -> str:
    tool = shutil.which("pdftotext")
    if tool is None:
        raise RuntimeError("pdftotext not found: run `make setup` (installs Debian's poppler-utils when missing)")
    return subprocess.run([tool, "-layout", str(pdf), "-"], check=True, capture_output=True, text=True,
                          timeout=TIMEOUT_SECONDS).stdout

"""Render one change alert of a local run, as each channel received it, to the PNGs the docs show
(docs/images/alert-email.png, alert-slack.png, alert-teams.png).

    .venv/bin/python docs/alert_screenshots.py --run [OUT_DIR]     # the weekly sample run, Globex with chat channels
    .venv/bin/python docs/alert_screenshots.py OUT_DIR [--client-id ID] [--images DIR]

The pictures come from the payloads the channels accepted (notifications/<client_id>/<id>.email.eml,
.slack.json, .teams.json): the email's HTML part as is; the Slack Block Kit message and the Teams
Adaptive Card drawn by a minimal HTML rendering of the block and element types the app sends
(header, section with text or fields, context, actions; TextBlock, FactSet, Action.OpenUrl), so what
is shown is exactly what was posted, not Slack's or Teams' own look. `--run` first runs the weekly
report on the sample data with the sample clients, Globex also given a Slack and a Teams channel (the
sample with a real spike). Laid out by headless Chromium as docs/screenshot.py does (no network).
"""

from __future__ import annotations

import argparse
import html
import json
import re
import subprocess
import sys
import tempfile
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from screenshot import ROOT, screenshot

DEFAULT_CLIENT = "globex-logistics"
PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><style>
body{{margin:0;padding:24px;background:{bg};font-family:Arial,Helvetica,sans-serif;font-size:14px;color:#1d1c1d}}
.card{{max-width:640px;background:#fff;border-radius:8px;padding:16px 20px;box-shadow:0 1px 3px rgba(0,0,0,.15)}}
.h{{font-size:18px;font-weight:bold;margin:0 0 8px}} .s{{margin:6px 0;line-height:20px}}
.ctx{{color:#616061;font-size:12px;margin:6px 0}} .fields{{display:grid;grid-template-columns:1fr 1fr;gap:8px 16px;margin:8px 0}}
.btn{{display:inline-block;margin:8px 8px 0 0;padding:6px 14px;border:1px solid #bbb;border-radius:4px;font-weight:bold;
color:#1d1c1d;background:#fff}} .primary{{background:#007a5a;color:#fff;border-color:#007a5a}}
table{{border-collapse:collapse;margin:8px 0}} td{{padding:3px 12px 3px 0;vertical-align:top}} .ft{{font-weight:bold}}
.Attention{{color:#c4314b}} .Warning{{color:#c7880b}} .subtle{{color:#605e5c;font-size:12px}}
.tbtn{{color:#5b5fc7;border-color:#5b5fc7}}
</style></head><body><div class="card">{body}</div></body></html>"""


def _slack_mrkdwn(text: str) -> str:
    """Slack's escapes (&amp; &lt; &gt;) are HTML's too; *bold* and newlines are drawn."""
    text = re.sub(r"\*([^*\n]+)\*", r"<b>\1</b>", text)
    return text.replace("\n", "<br>")


def slack_html(message: dict[str, Any]) -> str:
    parts = []
    for block in message["blocks"]:
        kind = block["type"]
        if kind == "header":
            parts.append(f'<div class="h">{block["text"]["text"]}</div>')
        elif kind == "section" and "fields" in block:
            parts.append('<div class="fields">' + "".join(
                f"<div>{_slack_mrkdwn(f['text'])}</div>" for f in block["fields"]) + "</div>")
        elif kind == "section":
            parts.append(f'<div class="s">{_slack_mrkdwn(block["text"]["text"])}</div>')
        elif kind == "context":
            parts.append('<div class="ctx">' + " ".join(_slack_mrkdwn(e["text"]) for e in block["elements"]) + "</div>")
        elif kind == "actions":
            parts.append("<div>" + "".join(
                f'<a class="btn{" primary" if e.get("style") == "primary" else ""}" href="{html.escape(e["url"])}">'
                f'{e["text"]["text"]}</a>' for e in block["elements"]) + "</div>")
    # Slack draws these emoji; Chromium here has no emoji font, so a coloured mark stands in.
    emoji = {code: f'<span style="color:{colour}">&#9632;</span>' for code, colour in
             ((":rotating_light:", "#c4314b"), (":warning:", "#c7880b"), (":information_source:", "#2563eb"))}
    body = "".join(parts)
    for code, char in emoji.items():
        body = body.replace(code, char)
    return PAGE.format(bg="#f8f8f8", body=body)


def _teams_text(text: str) -> str:
    """Teams' Markdown escapes (backslashes) removed, then escaped for HTML; &lt; &gt; kept as written."""
    plain = re.sub(r"\\([\\`*_\[\]~])", r"\1", text).replace("&lt;", "<").replace("&gt;", ">")
    return html.escape(plain).replace("\n", "<br>")


def teams_html(message: dict[str, Any]) -> str:
    card = message["attachments"][0]["content"]
    parts = []
    for element in card["body"]:
        if element["type"] == "TextBlock":
            classes = [element.get("color", ""), "subtle" if element.get("isSubtle") else ""]
            weight = "h" if element.get("weight") == "Bolder" else "s"
            parts.append(f'<div class="{weight} {" ".join(c for c in classes if c)}">{_teams_text(element["text"])}</div>')
        elif element["type"] == "FactSet":
            parts.append("<table>" + "".join(
                f'<tr><td class="ft">{_teams_text(f["title"])}</td><td>{_teams_text(f["value"])}</td></tr>'
                for f in element["facts"]) + "</table>")
    parts.append("<div>" + "".join(
        f'<a class="btn tbtn" href="{html.escape(a["url"])}">{_teams_text(a["title"])}</a>'
        for a in card.get("actions", [])) + "</div>")
    return PAGE.format(bg="#f5f5f5", body="".join(parts))


def email_html(raw: bytes) -> str:
    message = message_from_bytes(raw, policy=default_policy)
    return message.get_body(("html",)).get_content()


def sample_run(out_dir: Path) -> None:
    clients = json.loads((ROOT / "local" / "samples" / "clients.json").read_text(encoding="utf-8"))
    for client in clients:
        if client.get("client_id") == DEFAULT_CLIENT:
            client.setdefault("notifications", {}).update(slack_secret="globex/slack", teams_secret="globex/teams")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "clients.json"
        path.write_text(json.dumps(clients), encoding="utf-8")
        subprocess.run([sys.executable, "-m", "local", "run", "--report-type", "weekly", "--clients", str(path),
                        "--out", str(out_dir)], cwd=ROOT, check=True, capture_output=True, text=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out_dir", nargs="?", type=Path, default=ROOT / "out", help="a local run's --out (default out/)")
    parser.add_argument("--run", action="store_true", help="run the weekly sample first (Globex with Slack and Teams)")
    parser.add_argument("--client-id", default=DEFAULT_CLIENT, help=f"whose alert (default {DEFAULT_CLIENT})")
    parser.add_argument("--images", type=Path, default=ROOT / "docs" / "images", help="where the PNGs go")
    args = parser.parse_args(argv)
    if args.run:
        sample_run(args.out_dir)
    folder = args.out_dir / "notifications" / args.client_id
    found = {path.name.split(".")[1]: path for path in sorted(folder.glob("change_alert-*"))}
    missing = [c for c in ("email", "slack", "teams") if c not in found]
    if missing:
        raise SystemExit(f"error: no {', '.join(missing)} change alert under {folder} (try --run)")
    pages = {
        "email": email_html(found["email"].read_bytes()),
        "slack": slack_html(json.loads(found["slack"].read_text(encoding="utf-8"))),
        "teams": teams_html(json.loads(found["teams"].read_text(encoding="utf-8"))),
    }
    with tempfile.TemporaryDirectory() as tmp:
        for channel, page in pages.items():
            source = Path(tmp) / f"{channel}.html"
            source.write_text(page, encoding="utf-8")
            png = args.images / f"alert-{channel}.png"
            screenshot(source, png, (720, 1000 if channel == "email" else 900))
            print(f"{png}: {png.stat().st_size:,} bytes, from {found[channel].name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

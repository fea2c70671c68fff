"""White-label branding: a logo checked by content on upload (`python -m admin clients upload-logo`),
and a run's report carrying the client's look over the deployment's: the From name, the logo inline
in the email (no remote fetch), in the PDF and the XLSX, accent colour, company name and footer,
every string escaped; a missing logo falls back to the deployment's look with a warning."""

from __future__ import annotations

import email
import io
import json
import logging
import zipfile
from email import policy
from pathlib import Path
from typing import Any

import pytest

from chalicelib.core import branding
from tests.factories import AS_OF, client_config


def image(kind: str, width: int, height: int = 40, noise: bool = False) -> bytes:
    from PIL import Image

    picture = Image.new("RGB", (width, height), (200, 30, 30))
    if noise:  # incompressible: a large file
        picture = Image.frombytes("RGB", (width, height), __import__("os").urandom(width * height * 3))
    out = io.BytesIO()
    picture.save(out, kind)
    return out.getvalue()


def test_a_logo_is_judged_by_its_content_and_size() -> None:
    assert branding.check_logo(image("PNG", 800)).width == 800
    assert branding.check_logo(image("JPEG", 120, 30))[1:] == ("jpeg", 120, 30)
    with pytest.raises(ValueError, match="801 px wide; at most 800"):
        branding.check_logo(image("PNG", 801))
    with pytest.raises(ValueError, match="neither a PNG nor a JPEG"):
        branding.check_logo(image("GIF", 100))
    with pytest.raises(ValueError, match="more than 204,800"):
        branding.check_logo(image("PNG", 300, 300, noise=True))
    with pytest.raises(ValueError, match="damaged JPEG"):
        branding.check_logo(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40)


def run_admin(*args: str) -> int:
    from admin.cli import main

    return main(["clients", *args, "--stage", "local"])


HOSTILE = "<script>alert(1)</script> & Co"


def test_a_branded_report_carries_the_look_and_a_missing_logo_falls_back(
        local_aws: Any, tmp_path: Path, monkeypatch: Any, capsys: Any, caplog: Any) -> None:
    from chalicelib.core.caches import reset_all
    from chalicelib.core.store.objects import get_bytes

    look = {"company_name": HOSTILE, "sender_name": "Globex Reports", "accent_colour": "#0a7d5a",
            "footer_text": "Globex MSP, 1 Main St", "logo": "logo.png"}
    branded = client_config("alpha", ["111111111111", "111111111112"], reports=["weekly"], attachments=["csv", "pdf", "xlsx"],
                            branding=look)
    no_asset = client_config("bravo", ["222222222222"], reports=["weekly"], branding={"logo": "missing.png"})
    aws = local_aws(clients=[branded, no_asset])

    # upload: refused when too wide or not an image, stored when good
    (tmp_path / "wide.png").write_bytes(image("PNG", 1200))
    (tmp_path / "logo.gif").write_bytes(image("GIF", 100))
    (tmp_path / "logo.png").write_bytes(image("PNG", 240, 60))
    assert run_admin("upload-logo", "alpha", str(tmp_path / "wide.png")) == 2
    assert run_admin("upload-logo", "alpha", str(tmp_path / "logo.gif")) == 2
    assert run_admin("upload-logo", "nobody", str(tmp_path / "logo.png")) == 2
    assert run_admin("upload-logo", "alpha", str(tmp_path / "logo.png")) == 0
    assert "stored assets/alpha/logo.png (240 x 60 px" in capsys.readouterr().out
    assert get_bytes("assets/alpha/logo.png") == (tmp_path / "logo.png").read_bytes()
    # the deployment's look: bravo's own logo is missing, so the deployment's (none here) and a warning
    monkeypatch.setenv("BRANDING", json.dumps({"company_name": "Deployment MSP", "footer_text": "Sent by the MSP"}))
    reset_all()

    with caplog.at_level(logging.WARNING):
        described = aws.run({"report_type": "weekly", "as_of": AS_OF.isoformat()}, name="branded-weekly")
    assert described["status"] == "SUCCEEDED", described
    assert json.loads(described["output"])["delivered"] == 2
    messages = {sent["client_id"]: email.message_from_bytes(sent["raw"], policy=policy.default) for sent in aws.outbox.sent}

    alpha = messages["alpha"]
    assert alpha["From"].addresses[0].display_name == "Globex Reports"
    html_part = alpha.get_body(("html",))
    related = next(part for part in alpha.walk() if part.get_content_type() == "multipart/related")
    logo_part = next(part for part in related.iter_parts() if part.get_content_type() == "image/png")
    assert logo_part["Content-ID"] == "<logo>" and logo_part.get_content() == (tmp_path / "logo.png").read_bytes()
    html = html_part.get_content()
    assert 'src="cid:logo"' in html and "http" not in html.split('src="cid:logo"')[0][-200:]
    assert "background-color:#0a7d5a" in html and "Globex MSP, 1 Main St" in html
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in html
    files = {part.get_filename(): part.get_content() for part in alpha.iter_attachments()}
    pdf = next(body for name, body in files.items() if name.endswith(".pdf"))
    assert b"/Subtype /Image" in pdf
    xlsx = next(body for name, body in files.items() if name.endswith(".xlsx"))
    assert any(name.startswith("xl/media/") for name in zipfile.ZipFile(io.BytesIO(xlsx)).namelist())

    bravo = messages["bravo"]
    assert bravo["From"].addresses[0].display_name == "AWS Cost Reports"
    assert not [part for part in bravo.walk() if part.get_content_maintype() == "image"]
    bravo_html = bravo.get_body(("html",)).get_content()
    assert "Deployment MSP" in bravo_html and "Sent by the MSP" in bravo_html and "cid:" not in bravo_html
    assert any("assets/bravo/missing.png not used" in record.getMessage() for record in caplog.records)

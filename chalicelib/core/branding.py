"""White-label branding: the deployment's look, a client's over it, and logos as checked assets.

The deployment's look comes from the stage (infra/stages.json `branding`, the functions' BRANDING
variable); a client's `branding` overrides it field by field. A logo is an object of the stage's
bucket under assets/ (ASSETS_PREFIX): PNG or JPEG by its content (never by its name), at most
MAX_LOGO_BYTES and MAX_LOGO_WIDTH wide. The clients tool checks it on upload; a report checks it
again when it reads it, and a missing or bad one falls back to the deployment's logo (or none) with
a warning: a logo never fails a report.
"""

from __future__ import annotations

import json
import logging
import struct
from typing import NamedTuple

from chalicelib.core.models import Branding

logger = logging.getLogger(__name__)

ASSETS_PREFIX = "assets/"
DEPLOYMENT_ASSETS = "_deployment"  # assets/_deployment/<name>: never a client id (they start alphanumeric)
MAX_LOGO_BYTES = 200 * 1024
MAX_LOGO_WIDTH = 800
_PNG = b"\x89PNG\r\n\x1a\n"
_JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


class Logo(NamedTuple):
    data: bytes
    subtype: str  # "png" or "jpeg": the image/* type
    width: int
    height: int


def asset_key(owner: str, name: str) -> str:
    """Where an asset lives: assets/<client_id>/<name>, or assets/_deployment/<name>."""
    return f"{ASSETS_PREFIX}{owner}/{name}"


def check_logo(data: bytes) -> Logo:
    """The logo if it is a PNG or JPEG (by content) within the limits, else ValueError saying why."""
    if len(data) > MAX_LOGO_BYTES:
        raise ValueError(f"the logo is {len(data):,} bytes, more than {MAX_LOGO_BYTES:,}")
    if data.startswith(_PNG) and len(data) >= 24 and data[12:16] == b"IHDR":
        width, height = struct.unpack(">II", data[16:24])
        subtype = "png"
    elif data.startswith(b"\xff\xd8\xff"):
        width, height = _jpeg_size(data)
        subtype = "jpeg"
    else:
        raise ValueError("the logo is neither a PNG nor a JPEG (judged by its content)")
    if not 0 < width <= MAX_LOGO_WIDTH or height <= 0:
        raise ValueError(f"the logo is {width} px wide; at most {MAX_LOGO_WIDTH} px")
    return Logo(data, subtype, width, height)


def _jpeg_size(data: bytes) -> tuple[int, int]:
    """(width, height) from the JPEG's frame header (SOFn); ValueError when there is none."""
    position = 2
    while position + 9 <= len(data):  # bounded: each step moves past one segment
        if data[position] != 0xFF:
            break
        marker = data[position + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            position += 2
            continue
        length = struct.unpack(">H", data[position + 2:position + 4])[0]
        if marker in _JPEG_SOF:
            height, width = struct.unpack(">HH", data[position + 5:position + 9])
            return width, height
        if length < 2:
            break
        position += 2 + length
    raise ValueError("the logo is a damaged JPEG (no frame header)")


def deployment_branding() -> Branding:
    """The stage's own look (BRANDING), or the default look when it has none."""
    from chalicelib.core.settings import get_settings

    raw = get_settings().branding_json
    return Branding.model_validate_json(raw) if raw else Branding()


def effective(client: Branding | None) -> Branding:
    """The deployment's look with each field the client sets replacing it."""
    base = deployment_branding()
    if client is None:
        return base
    return base.model_copy(update=client.model_dump(exclude_none=True))


def load_logo(client_id: str, client: Branding | None) -> Logo | None:
    """The client's logo, else the deployment's, else None; a missing or bad one is logged and
    skipped (the report goes out with the deployment's look)."""
    from chalicelib.core.store.objects import get_bytes

    candidates = []
    if client is not None and client.logo:
        candidates.append(asset_key(client_id, client.logo))
    deployment_logo = deployment_branding().logo
    if deployment_logo:
        candidates.append(asset_key(DEPLOYMENT_ASSETS, deployment_logo))
    for key in candidates:
        try:
            return check_logo(get_bytes(key))
        except Exception as exc:  # noqa: BLE001 - a logo never fails a report: logged, next candidate
            logger.warning("logo %s not used, falling back to the deployment's look: %s", key, exc)
    return None


class Brand(NamedTuple):
    """What a report is rendered with: the look (deployment's with the client's over it) and its logo."""

    look: Branding
    logo: Logo | None


def brand_for(client_id: str, client: Branding | None) -> Brand:
    return Brand(effective(client), load_logo(client_id, client))


def branding_variable(branding: Branding) -> str:
    """The BRANDING value for a stage's functions (infra/stage.py)."""
    return json.dumps(branding.model_dump(exclude_none=True), sort_keys=True)

"""Billing exports (AWS Data Exports: FOCUS 1.2 with AWS columns, CUR 2.0) for the local AWS.

    columns.py   the FOCUS 1.0/1.2 (+ AWS x_ columns) and CUR 2.0 columns and types; what --costs requires
    charges.py   one charge in three shapes: Cost Explorer row <-> FOCUS line <-> CUR 2.0 line item
    layout.py    an export laid out as Data Exports delivers it (snapshots, manifests) and put in S3
    files.py     `--costs FILE`: a Cost Explorer CSV, a FOCUS 1.x file or a CUR 2.0 file, recognised

Where the local exports are (the sample ones, local/samples/exports/, and a --costs file's):

    s3://payer-exports/focus/cost-reporter-focus/   FOCUS 1.2 with AWS columns (Parquet, hourly)
    s3://payer-exports/cur2/cost-reporter-cur2/     CUR 2.0 (Parquet, daily)

How the runtime seeds them (LocalRuntime.seed_exports): when the stage declares exports (each with a
`name`, a `format` "focus-1.0" | "focus-1.2" | "cur-2.0" and an `s3_uri`), each declared export gets
the local export of its family (FOCUS or CUR) uploaded at its `s3_uri` (files renamed to the
location's export name, manifests' URIs rewritten); with none declared, a FOCUS/CUR --costs file is
still put at its default location above. Nothing is seeded otherwise (tests that do not use exports
pay nothing for them).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from local.aws.exports.layout import CUR, DEFAULT_BUCKET, FOCUS, LocalExport

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "exports"
FOCUS_SAMPLE = LocalExport(name="cost-reporter-focus", format=FOCUS, source=SAMPLES / "focus" / "cost-reporter-focus",
                           bucket=DEFAULT_BUCKET, prefix="focus/", periods=["2026-08", "2026-09", "2026-10", "2026-11"])
CUR_SAMPLE = LocalExport(name="cost-reporter-cur2", format=CUR, source=SAMPLES / "cur2" / "cost-reporter-cur2",
                         bucket=DEFAULT_BUCKET, prefix="cur2/", periods=["2026-08", "2026-09", "2026-10", "2026-11"])

__all__ = ["CUR", "CUR_SAMPLE", "FOCUS", "FOCUS_SAMPLE", "LocalExport", "declared_exports", "family",
           "sample_exports", "seed_exports"]


def sample_exports() -> list[LocalExport]:
    return [FOCUS_SAMPLE, CUR_SAMPLE]


def family(export_format: str) -> str:
    """"focus" or "cur" for an export format ("focus-1.2", "FOCUS 1.0", "cur-2.0", ...)."""
    text = export_format.lower()
    return "focus" if text.startswith("focus") else "cur" if text.startswith("cur") else text


def _field(entry: Any, name: str) -> Any:
    return entry.get(name) if isinstance(entry, dict) else getattr(entry, name, None)


def declared_exports(stage: Any) -> list[dict[str, str]]:
    """The exports the stage declares (infra/stages.json "exports": name, format, s3_uri), if any."""
    entries = getattr(stage, "exports", None)
    if entries is None:
        entries = getattr(getattr(stage, "settings", None), "exports", None)
    found = []
    for entry in entries or ():
        name, kind, uri = _field(entry, "name"), _field(entry, "format"), _field(entry, "s3_uri")
        if name and kind and uri:
            found.append({"name": str(name), "format": str(kind), "s3_uri": str(uri)})
    return found


def seed_exports(s3: Any, available: list[LocalExport], declared: list[dict[str, str]],
                 log: Callable[[str], None] = lambda line: None) -> list[dict[str, Any]]:
    """Upload exports into the local S3: at each declared location the available export of the same
    family, or (nothing declared) every available export at its own location. Returns what was put where."""
    seeded = []
    targets = [(d["name"], d["format"], d["s3_uri"]) for d in declared] or \
              [(e.name, e.format, e.s3_uri) for e in available]
    for name, kind, uri in targets:
        export = next((e for e in available if family(e.format) == family(kind)), None)
        if export is None:
            log(f"no local {family(kind)} export to put at {uri} (export {name})")
            continue
        files = export.upload(s3, uri)
        seeded.append({"name": name, "format": export.format, "s3_uri": uri if uri.endswith("/") else uri + "/",
                       "periods": list(export.periods), "objects": len(files)})
    return seeded

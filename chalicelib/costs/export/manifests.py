"""The latest snapshot of each billing period, from the export's manifests.

AWS Data Exports rewrites a billing period's manifest at each refresh
(`<export folder>/metadata/BILLING_PERIOD=YYYY-MM/<export name>-Manifest.json`); its `dataFiles` list
the files of the latest snapshot, all in one snapshot folder. An export that keeps every version
leaves the older snapshots beside it, each a full copy of the period: reading them all would count
the month several times over, so the query reads only the manifest's folder.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from chalicelib.core import aws
from chalicelib.core.errors import DataValidationError, classify_aws_error
from chalicelib.costs.export.declarations import ExportDeclaration
from chalicelib.costs.export.query import Snapshot

_SNAPSHOT_TIME = re.compile(r"^(\d{8}T\d{6}Z)-")


def billing_periods(start: date, end: date) -> list[str]:
    """Every billing period (YYYY-MM) that [start, end) touches."""
    periods, month = [], date(start.year, start.month, 1)
    while month < end:
        periods.append(f"{month:%Y-%m}")
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return periods


def _period_end(period: str) -> datetime:
    year, month = (int(p) for p in period.split("-"))
    return datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)


def manifest_key(export: ExportDeclaration, period: str) -> str:
    return f"{export.prefix}metadata/BILLING_PERIOD={period}/{export.export_name}-Manifest.json"


def _snapshot_folder(export: ExportDeclaration, period: str, manifest: dict[str, Any], key: str) -> str:
    files = manifest.get("dataFiles")
    if not isinstance(files, list) or not files or not all(isinstance(f, str) for f in files):
        raise DataValidationError(f"manifest s3://{export.bucket}/{key} lists no data files")
    folders = {f.rsplit("/", 1)[0] + "/" for f in files}
    expected = f"{export.s3_uri}data/BILLING_PERIOD={period}/"
    if len(folders) != 1 or not next(iter(folders)).startswith(expected):
        raise DataValidationError(f"manifest s3://{export.bucket}/{key}: its data files are not in one snapshot "
                                  f"folder under {expected}")
    return folders.pop()


def _taken_at(folder: str, last_modified: datetime | None) -> datetime | None:
    match = _SNAPSHOT_TIME.match(folder.rstrip("/").rsplit("/", 1)[-1])
    if match:
        return datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    return last_modified


def latest_snapshots(export: ExportDeclaration, periods: Iterable[str]) -> list[Snapshot]:
    """The latest snapshot of each period that has one (a period the export has not written yet is skipped)."""
    s3 = aws.client("s3")
    found = []
    for period in periods:
        key = manifest_key(export, period)
        try:
            reply = s3.get_object(Bucket=export.bucket, Key=key)
            manifest = json.loads(reply["Body"].read())
        except s3.exceptions.NoSuchKey:
            continue
        except ValueError as exc:
            raise DataValidationError(f"manifest s3://{export.bucket}/{key} is not JSON: {exc}") from exc
        except Exception as exc:
            raise classify_aws_error(exc, f"read the manifest s3://{export.bucket}/{key}") from exc
        folder = _snapshot_folder(export, period, manifest, key)
        taken = _taken_at(folder, reply.get("LastModified"))
        found.append(Snapshot(billing_period=period, folder=folder,
                              estimated=taken is None or taken < _period_end(period)))
    return found

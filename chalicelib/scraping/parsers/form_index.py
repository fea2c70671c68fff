"""EDGAR daily form index (`daily-index/YYYY/QTRn/form.YYYYMMDD.idx`): fixed-width lines after a dashed rule."""

from __future__ import annotations

import re
from datetime import date

from pydantic import BaseModel

_ACCESSION = re.compile(r"(\d{10}-\d{2}-\d{6})")


class IndexEntry(BaseModel):
    form: str
    company: str
    cik: int
    filed: date
    path: str  # edgar/data/<cik>/<accession>.txt

    @property
    def accession(self) -> str:
        match = _ACCESSION.search(self.path)
        return match.group(1) if match else ""


def parse_form_index(text: str, forms: set[str] | None = None) -> list[IndexEntry]:
    """Entries after the `----` rule; columns: form 0-12, company 12-74, cik 74-86, date 86-98, path 98+.

    Column positions drift by a character or two between years, so the numeric columns are read as the
    last three whitespace-separated fields and the company as what lies between form and cik.
    """
    lines = text.splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if line.startswith("-----")) + 1
    except StopIteration as exc:
        raise ValueError("form index: no '-----' header rule found") from exc
    entries = []
    for number, line in enumerate(lines[start:], start=start + 1):
        if not line.strip():
            continue
        fields = line.split()
        if len(fields) < 5 or not fields[-3].isdigit() or not re.fullmatch(r"\d{8}", fields[-2]):
            raise ValueError(f"form index line {number}: unexpected layout: {line[:80]!r}")
        form = line[:12].strip()
        if forms and form not in forms:
            continue
        cik_at = line.rfind(fields[-3], 0, line.rfind(fields[-2]))
        company = line[12:cik_at].strip()
        filed = date(int(fields[-2][:4]), int(fields[-2][4:6]), int(fields[-2][6:]))
        entries.append(IndexEntry(form=form, company=company, cik=int(fields[-3]), filed=filed, path=fields[-1]))
    return entries


def unique_filings(entries: list[IndexEntry]) -> list[IndexEntry]:
    """One entry per accession: a filing with several filers (BofA and BofA Finance) is listed once per filer."""
    seen: dict[str, IndexEntry] = {}
    for entry in entries:
        seen.setdefault(entry.accession or entry.path, entry)
    return list(seen.values())

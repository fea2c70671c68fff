"""XBRL facts from the SEC JSON APIs: companyfacts, companyconcept and frames.

companyfacts: {cik, entityName, facts: {taxonomy: {Concept: {label, description, units: {unit: [fact]}}}}}
companyconcept: {cik, taxonomy, tag, label, description, entityName, units: {unit: [fact]}}
fact: {start (durations only), end, val, accn, fy, fp, form, filed, frame (optional)}
frames: {taxonomy, tag, ccp, uom, label, description, pts, data: [{accn, cik, entityName, loc, start?, end, val}]}
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from pydantic import BaseModel, ValidationError

from ...core.errors import DataValidationError


class Fact(BaseModel):
    concept: str
    unit: str
    end: date
    val: float
    start: date | None = None
    accn: str = ""
    form: str = ""
    filed: date | None = None
    frame: str | None = None

    @property
    def days(self) -> int | None:
        return (self.end - self.start).days + 1 if self.start else None


def _facts_of(concept: str, units: dict[str, Any], source: str) -> list[Fact]:
    out = []
    for unit, rows in units.items():
        if not isinstance(rows, list):
            raise DataValidationError(f"{source}: {concept} units.{unit} is not a list")
        for row in rows:
            try:
                out.append(Fact(concept=concept, unit=unit, **{k: row.get(k) for k in Fact.model_fields if k in row}))
            except (ValidationError, AttributeError, TypeError) as exc:
                raise DataValidationError(f"{source}: {concept} fact {str(row)[:120]} is malformed: {exc}") from exc
    return out


def company_facts(document: Any, concept: str, taxonomy: str = "us-gaap") -> list[Fact]:
    """All facts of one concept in a companyfacts document ([] when the filer never reported it)."""
    if not isinstance(document, dict) or not isinstance(document.get("facts"), dict):
        raise DataValidationError("companyfacts: no 'facts' object")
    entry = document["facts"].get(taxonomy, {}).get(concept)
    return _facts_of(concept, entry.get("units", {}), "companyfacts") if entry else []


def concept_facts(document: Any) -> list[Fact]:
    """Facts of a companyconcept document."""
    if not isinstance(document, dict) or not isinstance(document.get("units"), dict) or "tag" not in document:
        raise DataValidationError("companyconcept: expected 'tag' and 'units'")
    return _facts_of(str(document["tag"]), document["units"], "companyconcept")


def latest(facts: list[Fact], unit: str | None = None, forms: tuple[str, ...] = ()) -> Fact | None:
    """The fact with the latest period end (then the latest filing: an amendment wins)."""
    chosen = [f for f in facts if (unit is None or f.unit == unit) and (not forms or f.form in forms)]
    return max(chosen, key=lambda f: (f.end, f.filed or date.min), default=None)


def by_period_end(facts: list[Fact]) -> dict[date, Fact]:
    """One fact per period end: the one filed last (restatements replace earlier values)."""
    out: dict[date, Fact] = {}
    for fact in sorted(facts, key=lambda f: (f.end, f.filed or date.min)):
        out[fact.end] = fact
    return out


def quarterly(facts: list[Fact]) -> list[Fact]:
    """Three-month duration facts (10-Q quarters), one per period end, oldest first; YTD facts are dropped."""
    three_months = [f for f in facts if f.days is not None and 80 <= f.days <= 100]
    return [fact for _, fact in sorted(by_period_end(three_months).items())]


class FrameRow(BaseModel):
    cik: int
    entity_name: str
    end: date
    val: float
    accn: str = ""
    start: date | None = None


class Frame(BaseModel):
    tag: str
    period: str  # the frame's calendar period, e.g. CY2026Q2 or CY2025Q3I
    unit: str
    rows: list[FrameRow]

    def by_cik(self) -> dict[int, FrameRow]:
        return {row.cik: row for row in self.rows}


def parse_frame(document: Any) -> Frame:
    if not isinstance(document, dict) or not isinstance(document.get("data"), list):
        raise DataValidationError("frames: expected a 'data' list")
    try:
        rows = [FrameRow(cik=r["cik"], entity_name=r.get("entityName", ""), end=r["end"], val=r["val"],
                         accn=r.get("accn", ""), start=r.get("start")) for r in document["data"]]
        return Frame(tag=document["tag"], period=document["ccp"], unit=document["uom"], rows=rows)
    except (KeyError, TypeError, ValidationError) as exc:
        raise DataValidationError(f"frames: malformed document: {exc}") from exc


def frame_period(as_of: date, instant: bool) -> str:
    """The latest calendar quarter that ended before `as_of`: CY2026Q2 (duration) or CY2026Q2I (instant)."""
    quarter = (as_of.month - 1) // 3  # quarters fully before as_of's quarter
    year = as_of.year
    if quarter == 0:
        year, quarter = year - 1, 4
    return f"CY{year}Q{quarter}{'I' if instant else ''}"


def quarters_with_q4(facts: list[Fact]) -> list[Fact]:
    """Three-month facts, plus each fiscal Q4 derived as the 10-K year less the 9-month year-to-date ending
    one quarter earlier (10-Ks report no 3-month Q4). Oldest first, one per period end."""
    quarters = {f.end: f for f in quarterly(facts)}
    years = [f for f in facts if f.days is not None and 350 <= f.days <= 380]
    nine_months = [f for f in facts if f.days is not None and 260 <= f.days <= 285]
    for year in years:
        if year.end in quarters:
            continue
        ytd = [f for f in nine_months if f.start == year.start]
        if ytd:
            last = max(ytd, key=lambda f: (f.end, f.filed or date.min))
            quarters[year.end] = year.model_copy(update={"start": last.end + timedelta(days=1), "val": year.val - last.val,
                                                         "frame": None})
    return [quarters[end] for end in sorted(quarters)]

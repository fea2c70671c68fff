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

from chalicelib.core.errors import DataValidationError
from chalicelib.scraping.figures import finite


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


def known_at(filed: date | None, end: date, as_of: date) -> bool:
    """Point in time: a fact counts only if it was filed before the run's as-of date, for a period ending on
    or before it (a later filing did not exist on that date; a later period cannot have been reported)."""
    return (filed is None or filed < as_of) and end <= as_of


def _facts_of(concept: str, units: dict[str, Any], source: str, as_of: date | None) -> list[Fact]:
    """The facts known at `as_of` (all of them when None); each one's `val` must be a finite number.

    One bad value among them fails the whole concept: the consumer picks periods from these facts, and
    dropping a bad one would silently put an older figure in its place."""
    out = []
    for unit, rows in units.items():
        if not isinstance(rows, list):
            raise DataValidationError(f"{source}: {concept} units.{unit} is not a list")
        for row in rows:
            if not isinstance(row, dict):
                raise DataValidationError(f"{source}: {concept} fact {str(row)[:120]} is malformed: not an object")
            fields = {k: row.get(k) for k in Fact.model_fields if k in row and k != "val"}
            try:
                fact = Fact(concept=concept, unit=unit, val=0.0, **fields)
            except (ValidationError, TypeError) as exc:
                raise DataValidationError(f"{source}: {concept} fact {str(row)[:120]} is malformed: {exc}") from exc
            if as_of is not None and not known_at(fact.filed, fact.end, as_of):
                continue
            val = finite(row.get("val"), f"{source}: {concept} ({unit}) fact for the period ending {fact.end}"
                                         f"{f' (accession {fact.accn})' if fact.accn else ''}: val")
            out.append(fact.model_copy(update={"val": val}))
    return out


def company_facts(document: Any, concept: str, taxonomy: str = "us-gaap", as_of: date | None = None) -> list[Fact]:
    """All facts of one concept in a companyfacts document ([] when the filer never reported it); with
    `as_of`, only the facts known at that date."""
    if not isinstance(document, dict) or not isinstance(document.get("facts"), dict):
        raise DataValidationError("companyfacts: no 'facts' object")
    taxonomy_facts = document["facts"].get(taxonomy)
    entry = taxonomy_facts.get(concept) if isinstance(taxonomy_facts, dict) else None
    if not entry:
        return []
    if not isinstance(entry, dict) or not isinstance(entry.get("units", {}), dict):
        raise DataValidationError(f"companyfacts: {concept} has no 'units' object")
    return _facts_of(concept, entry.get("units", {}), "companyfacts", as_of)


def concept_facts(document: Any, as_of: date | None = None) -> list[Fact]:
    """Facts of a companyconcept document (with `as_of`, only those known at that date)."""
    if not isinstance(document, dict) or not isinstance(document.get("units"), dict) or "tag" not in document:
        raise DataValidationError("companyconcept: expected 'tag' and 'units'")
    return _facts_of(str(document["tag"]), document["units"], "companyconcept", as_of)


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
    rejected: dict[int, str] = {}  # cik -> why its row was not taken (a value that is not a finite number)

    def by_cik(self) -> dict[int, FrameRow]:
        return {row.cik: row for row in self.rows}


def parse_frame(document: Any) -> Frame:
    """The frame's rows; a row with a bad value is rejected on its own (the frame lists many filers), a
    document without the frame's shape is a DataValidationError."""
    if not isinstance(document, dict) or not isinstance(document.get("data"), list):
        raise DataValidationError("frames: expected a 'data' list")
    try:
        header = {"tag": str(document["tag"]), "period": str(document["ccp"]), "unit": str(document["uom"])}
    except KeyError as exc:
        raise DataValidationError(f"frames: malformed document: no {exc}") from exc
    rows, rejected = [], {}
    for index, r in enumerate(document["data"]):
        try:
            row = FrameRow(cik=r["cik"], entity_name=r.get("entityName", ""), end=r["end"], val=0.0,
                           accn=r.get("accn", ""), start=r.get("start"))
        except (KeyError, TypeError, AttributeError, ValidationError) as exc:
            raise DataValidationError(f"frames: malformed row {index}: {str(exc)[:300]}") from exc
        try:
            rows.append(row.model_copy(update={"val": finite(r.get("val"), f"frames {header['period']} CIK {row.cik}: val")}))
        except DataValidationError as exc:
            rejected[row.cik] = str(exc)
    return Frame(**header, rows=rows, rejected=rejected)


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

"""EDGAR full-text search answers (`efts.sec.gov/LATEST/search-index`, an Elasticsearch shape)."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel

from chalicelib.core.errors import DataValidationError


class SearchHit(BaseModel):
    accession: str
    filename: str
    ciks: list[int]
    names: list[str]
    form: str
    filed: date
    sics: list[str] = []


class SearchPage(BaseModel):
    total: int
    hits: list[SearchHit]


def parse_search(document: Any) -> SearchPage:
    """`hits.total.value` and each hit's `_id` (`<accession>:<filename>`) and `_source` fields."""
    try:
        hits = document["hits"]
        out = []
        for hit in hits["hits"]:
            accession, _, filename = str(hit["_id"]).partition(":")
            source = hit["_source"]
            names = [str(n).split("  (CIK")[0].strip() for n in source.get("display_names", [])]
            out.append(SearchHit(accession=source.get("adsh") or accession, filename=filename,
                                 ciks=[int(c) for c in source.get("ciks", [])], names=names,
                                 form=source.get("form") or (source.get("root_forms") or [""])[0],
                                 filed=source["file_date"], sics=source.get("sics") or []))
        return SearchPage(total=int(hits["total"]["value"]), hits=out)
    except (KeyError, TypeError, ValueError) as exc:
        raise DataValidationError(f"EDGAR full-text search: unexpected answer shape: {exc}") from exc

"""Deal terms from a Rule 424(b) prospectus supplement cover (or FWP term sheet): amount, coupon, maturity.

Handles the phrasings seen on real covers (see tests/unit/scraping/test_prospectus.py): tranche lines
(`$1,500,000,000 4.200 % Notes due 2029`), the pre-2022 fee table (`0.45% Notes due 2016 $1,500,000,000
99.819% ...`), offering sentences (`$650,000,000 principal amount of 4.750% notes due July 15, 2026`,
`$1,000,000,000 of our 1.700% Notes due 2022`), `limited to an aggregate principal amount of $X`, and
FWP `Principal Amount:` / `Coupon:` / `Maturity:` blocks. A preliminary supplement (blank amounts) is
reported as preliminary with no amount, never as zero; an exchange offer or a structured note is
rejected with the reason; an existing issue mentioned in the text (`our existing $950 million ...`,
`identical to the terms of the $750,000,000 ...`) is not counted.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from chalicelib.scraping.parsers.text import html_to_text

_AMOUNT = r"\$[ ]?(?P<amount>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?[ ]?(?:million|billion))(?![\d,])"
_COUPON = r"(?P<coupon>\d{1,2}(?:\.\d{1,4})?)[ ]?%"
_TITLE = r"(?P<title>(?:[A-Za-z][A-Za-z\-]*[ ]){0,8}?(?:notes|bonds|debentures))"
_DUE = r"due[ ]+(?P<due>(?:[A-Z][a-z]+[ ]+\d{1,2},[ ]+)?(?:19|20)\d{2})(?!\d)"
_OFFERING_WORDS = r"(?:(?:aggregate[ ]+)?principal[ ]+amount[ ]+of[ ]+)?(?:(?:of[ ]+)?(?:our|its)[ ]+)?"

# Amount first: tranche lines and offering sentences ("of our", "aggregate principal amount of").
_AMOUNT_FIRST = re.compile(rf"{_AMOUNT}[ ]+{_OFFERING_WORDS}(?:{_COUPON}[ ]+)?{_TITLE}[ ]+{_DUE}", re.IGNORECASE)
# Title first, at a line start: the registration fee table ("0.45% Notes due 2016 $1,500,000,000 99.819% ...").
_TITLE_FIRST = re.compile(rf"^(?:{_COUPON}[ ]+)?{_TITLE}[ ]+{_DUE}[ ]+{_AMOUNT}", re.IGNORECASE | re.MULTILINE)
# Description-of-notes sentence: "The 2029 notes will initially be limited to an aggregate principal amount of $1,000,000,000".
_LIMITED_TO = re.compile(
    rf"The[ ]+(?P<due>(?:19|20)\d{{2}})[ ]+notes[ ]+will[ ]+initially[ ]+be[ ]+limited[ ]+to[ ]+an[ ]+aggregate[ ]+"
    rf"principal[ ]+amount[ ]+of[ ]+{_AMOUNT}",
    re.IGNORECASE,
)
# FWP term sheet block.
_FWP_AMOUNT = re.compile(rf"^Principal Amount:[ ]*{_AMOUNT}", re.IGNORECASE | re.MULTILINE)
_FWP_COUPON = re.compile(rf"^Coupon:[ ]*{_COUPON}", re.IGNORECASE | re.MULTILINE)
_FWP_MATURITY = re.compile(r"^Maturity(?: Date)?:[ ]*(?P<due>(?:[A-Z][a-z]+[ ]+\d{1,2},[ ]+)?(?:19|20)\d{2})", re.MULTILINE)
_STATED_TOTAL = re.compile(rf"^{_AMOUNT}$", re.MULTILINE)

# A mention of an issue that already exists (reopenings, ranking paragraphs) is not new supply.
_PRIOR_BEFORE = re.compile(r"(?:existing|terms of the|outstanding|previously issued)[\w ,]{0,20}$", re.IGNORECASE)
_PRIOR_AFTER = re.compile(r"^[^.]{0,120}?(?:offered and sold|previously issued|currently outstanding)", re.IGNORECASE)

_PRELIMINARY_MARKERS = ("subjecttocompletion", "preliminaryprospectussupplement", "preliminarypricingsupplement")
_BLANK_AMOUNT = re.compile(
    r"\$[ ]*(?:%|\.|,|;|aggregate\b|$)"  # "$ % First Mortgage Bonds", "amount of $ .", "$aggregate principal amount"
    r"|\$[ ]+\d{1,2}\.\d{1,4}[ ]?%"  # "$ 6.750% First Mortgage Bonds due 2053": the coupon right after a bare $
    r"|amount[ ]+of[ ]*%",  # "aggregate principal amount of% notes"
    re.IGNORECASE | re.MULTILINE,
)
_EXCHANGE_OFFER = re.compile(r"\boffer(?:ing)?[ ]+to[ ]+exchange\b", re.IGNORECASE)
_STRUCTURED_NOTE = re.compile(
    r"auto-?callable|based on the performance of|contingent (?:income|coupon)|market-linked|buffered", re.IGNORECASE
)


class Tranche(BaseModel):
    amount_usd: int | None
    coupon_pct: float | None  # None for a floating-rate tranche or when the text gives no rate
    floating: bool
    maturity: str  # ISO date when the cover gives one, else the year
    maturity_year: int
    title: str


class ProspectusTerms(BaseModel):
    status: Literal["priced", "preliminary", "rejected"]
    reason: str = ""
    tranches: list[Tranche] = []
    stated_total_usd: int | None = None

    @property
    def amount_usd(self) -> int | None:
        """The deal size: the cover's stated total, else the sum of the tranches; None unless priced."""
        if self.status != "priced":
            return None
        if self.stated_total_usd is not None:
            return self.stated_total_usd
        amounts = [t.amount_usd for t in self.tranches]
        return sum(a for a in amounts if a is not None) if amounts and None not in amounts else None


def parse_amount(text: str) -> int:
    """`1,500,000,000` -> 1500000000; `950 million` -> 950000000."""
    cleaned = text.replace(",", "").strip().lower()
    for word, factor in (("billion", 10**9), ("million", 10**6)):
        if cleaned.endswith(word):
            return round(float(cleaned[: -len(word)].strip()) * factor)
    return int(cleaned)


def _maturity(due: str) -> tuple[str, int]:
    due = " ".join(due.split())
    for fmt in ("%B %d, %Y", "%b %d, %Y"):
        try:
            parsed = datetime.strptime(due, fmt).date()
            return parsed.isoformat(), parsed.year
        except ValueError:
            continue
    return due, int(due[-4:])


def _tranche(amount: str | None, coupon: str | None, title: str, due: str) -> Tranche | None:
    title = " ".join(title.split())
    floating = "floating" in title.lower()
    rate = float(coupon) if coupon else None
    if rate is not None and not 0 < rate < 25:
        return None
    maturity, year = _maturity(due)
    return Tranche(amount_usd=parse_amount(amount) if amount else None, coupon_pct=rate, floating=floating,
                   maturity=maturity, maturity_year=year, title=title)


def is_preliminary(text: str) -> bool:
    squeezed = re.sub(r"\s+", "", text).lower()
    return any(marker in squeezed for marker in _PRELIMINARY_MARKERS) or bool(_BLANK_AMOUNT.search(text))


def _is_prior_issue(text: str, start: int, end: int) -> bool:
    return bool(_PRIOR_BEFORE.search(text[max(0, start - 60):start]) or _PRIOR_AFTER.search(text[end:end + 160]))


def find_tranches(text: str) -> list[Tranche]:
    """Every new tranche mentioned, deduplicated on (amount, coupon, maturity year, floating)."""
    found: dict[tuple[object, ...], Tranche] = {}

    def keep(tranche: Tranche | None) -> None:
        if tranche is not None:
            key = (tranche.amount_usd, tranche.coupon_pct, tranche.maturity_year, tranche.floating)
            found.setdefault(key, tranche)

    for pattern in (_AMOUNT_FIRST, _TITLE_FIRST):
        for match in pattern.finditer(text):
            if not match.group("coupon") and "floating" not in match.group("title").lower():
                continue  # a title with neither a rate nor "floating" is not a tranche description
            if _is_prior_issue(text, match.start(), match.end()):
                continue
            keep(_tranche(match.group("amount"), match.group("coupon"), match.group("title"), match.group("due")))
    for match in _LIMITED_TO.finditer(text):
        keep(_tranche(match.group("amount"), None, "notes", match.group("due")))
    amount, coupon, maturity = (_FWP_AMOUNT.search(text), _FWP_COUPON.search(text), _FWP_MATURITY.search(text))
    if amount and coupon and maturity:
        keep(_tranche(amount.group("amount"), coupon.group("coupon"), "notes", maturity.group("due")))
    # A tranche without a rate (from "limited to" or a title) is the same tranche as a rated one of the same
    # amount and year: keep the rated one.
    rated = {(t.amount_usd, t.maturity_year) for t in found.values() if t.coupon_pct is not None or t.floating}
    return [t for t in found.values() if t.coupon_pct is not None or t.floating or (t.amount_usd, t.maturity_year) not in rated]


def parse_prospectus(document: str) -> ProspectusTerms:
    """Parse a prospectus supplement (HTML or text)."""
    text = html_to_text(document)
    if _EXCHANGE_OFFER.search(text):
        return ProspectusTerms(status="rejected", reason="exchange offer: registers notes already issued, not new supply")
    if _STRUCTURED_NOTE.search(text):
        return ProspectusTerms(status="rejected", reason="structured note (performance-linked securities), not a bond deal")
    if is_preliminary(text):
        # Amounts in a preliminary supplement are blanks or belong to earlier issues: never counted.
        skeleton = [t.model_copy(update={"amount_usd": None}) for t in find_tranches(text)]
        return ProspectusTerms(status="preliminary", reason="preliminary prospectus supplement: amounts not yet priced",
                               tranches=skeleton)
    tranches = find_tranches(text)
    if not tranches:
        return ProspectusTerms(status="rejected", reason="no notes/bonds/debentures tranche with an amount and maturity found")
    totals = [parse_amount(m.group("amount")) for m in _STATED_TOTAL.finditer(text)]
    stated = max(totals) if totals else None
    return ProspectusTerms(status="priced", tranches=tranches, stated_total_usd=stated)

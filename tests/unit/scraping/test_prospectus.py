"""The prospectus parser on the real cover phrasings (../shared/scraper-samples, verbatim with [...] cuts).

Of the 20 positive blocks, 16 are priced deals: each tranche is parsed to amount + coupon (or floating)
+ maturity. E05, E10, E12 and E19 are preliminary supplements (their amounts are blanks): the right
answer is "preliminary, no amount", never zero. E13's excerpt states no rate (coupon None).
"""

from __future__ import annotations

import pytest

from chalicelib.scraping.parsers.prospectus import is_preliminary, parse_amount, parse_prospectus
from tests.scraper_samples import cover_phrasings, sample_text

B = 1_000_000_000
M = 1_000_000
FLOAT = None  # a floating-rate tranche: no fixed coupon

# block -> (stated total on the cover or None, [(amount, coupon, maturity)])
PRICED = {
    "E01": (None, [(1 * B, FLOAT, "2016"), (2 * B, FLOAT, "2018"), (1500 * M, 0.45, "2016"), (4 * B, 1.0, "2018"),
                   (5500 * M, 2.4, "2023"), (3 * B, 3.85, "2043")]),
    "E02": (None, [(1500 * M, 0.45, "2016-05-03")]),
    "E03": (None, [(1 * B, FLOAT, "2017"), (1 * B, FLOAT, "2019"), (1500 * M, 1.05, "2017"), (2 * B, 2.1, "2019")]),
    "E04": (7 * B, [(1 * B, 1.7, "2022"), (750 * M, 1.8, "2024"), (2 * B, 2.05, "2026"), (1750 * M, 2.2, "2029"),
                    (1500 * M, 2.95, "2049")]),
    "E06": (10 * B, [(1 * B, FLOAT, "2017"), (750 * M, FLOAT, "2019"), (2 * B, 2.25, "2019"), (1500 * M, 2.8, "2021"),
                     (2 * B, 3.4, "2024")]),
    "E07": (20 * B, [(3500 * M, 2.5, "2025"), (2250 * M, 2.8, "2027")]),
    "E08": (6250 * M, [(1500 * M, 4.2, "2029"), (1750 * M, 4.7, "2034"), (1750 * M, 5.375, "2054"), (1250 * M, 5.5, "2064")]),
    "E09": (None, [(500 * M, FLOAT, "2028"), (1500 * M, 4.8, "2028")]),
    "E11": (8500 * M, [(1500 * M, 4.6, "2028"), (1 * B, 4.8, "2030"), (1750 * M, 4.95, "2033"), (2500 * M, 5.6, "2053"),
                       (1750 * M, 5.75, "2063")]),
    "E13": (None, [(1 * B, None, "2029")]),
    "E14": (13500 * M, [(1 * B, 4.9, "2026"), (2 * B, 4.8, "2027")]),
    "E15": (None, [(1 * B, 0.4, "2023"), (1250 * M, 0.8, "2025"), (2 * B, 2.7, "2060")]),
    "E16": (12 * B, [(500 * M, FLOAT, "2026-07-15"), (650 * M, 4.75, "2026-07-15")]),
    "E17": (4 * B, [(500 * M, 4.95, "2025")]),
    "E18": (None, [(500 * M, 6.95, "2055")]),
    "E20": (5200 * M, [(350 * M, 4.5, "2026"), (750 * M, 4.75, "2030")]),
}
PRELIMINARY = ["E05", "E10", "E12", "E19"]
FLOATING_IN = {"E01", "E03", "E06", "E09", "E16"}


def test_all_twenty_positive_blocks_are_covered():
    blocks = cover_phrasings()
    assert sorted(set(PRICED) | set(PRELIMINARY)) == sorted(b for b in blocks if b.startswith("E"))
    assert len(set(PRICED) | set(PRELIMINARY)) == 20


@pytest.mark.parametrize("block", sorted(PRICED))
def test_priced_cover_parsed_to_amount_coupon_maturity(block):
    stated, expected = PRICED[block]
    terms = parse_prospectus(cover_phrasings()[block])
    assert terms.status == "priced", terms.reason
    got = [(t.amount_usd, t.coupon_pct, t.maturity) for t in terms.tranches]
    assert sorted(got, key=repr) == sorted(expected, key=repr)
    assert terms.stated_total_usd == stated
    assert terms.amount_usd == (stated if stated is not None else sum(e[0] for e in expected))
    for tranche in terms.tranches:
        assert tranche.floating == (tranche.coupon_pct is None and block in FLOATING_IN)


def test_floating_spread_is_not_a_coupon():
    # E09: "plus 0.760% per year" is the floater's spread over SOFR
    terms = parse_prospectus(cover_phrasings()["E09"])
    assert 0.76 not in [t.coupon_pct for t in terms.tranches]


def test_existing_issue_in_the_same_paragraph_is_not_counted():
    # E18: "our existing $950 million aggregate principal amount of 7.600% ... Notes due 2055"
    terms = parse_prospectus(cover_phrasings()["E18"])
    assert [(t.amount_usd, t.coupon_pct) for t in terms.tranches] == [(500 * M, 6.95)]


@pytest.mark.parametrize("block", PRELIMINARY)
def test_preliminary_blocks_give_no_amount_never_zero(block):
    terms = parse_prospectus(cover_phrasings()[block])
    assert terms.status == "preliminary"
    assert terms.amount_usd is None
    assert all(t.amount_usd is None for t in terms.tranches)


def test_preliminary_424b5_html_is_recognised_as_preliminary():
    document = sample_text("prospectus_424b5_PGE_preliminary_cover_excerpt.html")
    terms = parse_prospectus(document)
    assert terms.status == "preliminary"
    assert terms.amount_usd is None
    # the reopened 6.750% bonds' earlier $750,000,000 (in the text) is not this deal's amount
    assert all(t.amount_usd is None for t in terms.tranches)


@pytest.mark.parametrize("block,reason", [("N01", "exchange offer"), ("N02", "structured note")])
def test_negatives_rejected_with_reason(block, reason):
    terms = parse_prospectus(cover_phrasings()[block])
    assert terms.status == "rejected"
    assert reason in terms.reason
    assert terms.amount_usd is None


def test_closing_8k_cross_check_matches_companyfacts_proceeds():
    # X01: the May-2025 Apple deal; companyfacts ProceedsFromIssuanceOfLongTermDebt FY2025 = 4,481,000,000
    terms = parse_prospectus(cover_phrasings()["X01"])
    assert terms.amount_usd == 4_500_000_000
    assert abs(terms.amount_usd - 4_481_000_000) / terms.amount_usd < 0.01


def test_final_cover_is_not_preliminary_and_blank_markers_are():
    assert not is_preliminary(cover_phrasings()["E04"])
    assert is_preliminary("$ % First Mortgage Bonds due 20")
    assert is_preliminary("limited to an aggregate principal amount of $ .")


def test_parse_amount_words_and_commas():
    assert parse_amount("1,500,000,000") == 1_500_000_000
    assert parse_amount("950 million") == 950_000_000
    assert parse_amount("1.25 billion") == 1_250_000_000


def test_a_document_without_any_tranche_is_rejected_not_zero():
    terms = parse_prospectus("<html><body><p>Annual report of the trustee</p></body></html>")
    assert terms.status == "rejected" and terms.amount_usd is None

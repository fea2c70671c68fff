"""Durations as a fixed histogram: what p50, p95 and max need, in a few numbers per bucket.

A bucket item keeps, per measured thing (`client`, `run`), one count per bound below, the sum
of the durations (for a mean) and the exact maximum. Counts add up across days, weeks and
months, so a year's percentiles come from the same numbers as a day's, never from samples.
A percentile is reported as the upper bound of the bin that holds it (never below the true
value, at most one bin above it), capped at the exact maximum.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

# Upper bounds in seconds; the last bin is open (anything longer).
BOUNDS_SECONDS: tuple[float, ...] = (0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400)
BIN_COUNT = len(BOUNDS_SECONDS) + 1


def bin_index(milliseconds: int) -> int:
    seconds = milliseconds / 1000
    for index, bound in enumerate(BOUNDS_SECONDS):
        if seconds <= bound:
            return index
    return len(BOUNDS_SECONDS)


def bin_attribute(measure: str, index: int) -> str:
    """`client_ms_h03`: the DynamoDB attribute holding one bin's count."""
    return f"{measure}_ms_h{index:02d}"


def percentile_seconds(counts: Sequence[int], fraction: float, max_ms: int) -> float | None:
    """The nearest-rank percentile's bin upper bound, capped at the maximum; None when empty."""
    total = sum(counts)
    if total <= 0:
        return None
    rank = max(1, math.ceil(fraction * total))
    running = 0
    for index, count in enumerate(counts):
        running += count
        if running >= rank:
            bound = BOUNDS_SECONDS[index] if index < len(BOUNDS_SECONDS) else math.inf
            return min(bound, max_ms / 1000)
    return max_ms / 1000

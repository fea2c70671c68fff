"""The colour of a change: cost going up is bad news (red), going down is good (green)."""

from __future__ import annotations

from decimal import Decimal

RED, GREEN, GREY, AMBER = "#b91c1c", "#15803d", "#6b7280", "#b45309"


def change_colour(value: Decimal) -> str:
    if value > 0:
        return RED
    if value < 0:
        return GREEN
    return GREY

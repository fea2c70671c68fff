"""One module per scraper, each behind the same interface (scrapers/base.py); loaded by name on first use."""

from __future__ import annotations

from functools import cache
from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chalicelib.scraping.scrapers.base import Scraper

_MODULES = {
    "bond-issuance": "bond_issuance",
    "bdc-discount": "bdc_discount",
    "credit-fund": "credit_fund",
    "bank-provision": "bank_provision",
}


@cache
def scraper_for(name: str) -> Scraper:
    from chalicelib.core.errors import ConfigurationError

    if name not in _MODULES:
        raise ConfigurationError(f"unknown scraper {name!r}; known: {', '.join(sorted(_MODULES))}")
    return import_module(f"{__name__}.{_MODULES[name]}").SCRAPER

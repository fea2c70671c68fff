"""Scraper settings: pydantic-settings read from the Lambda environment, every default documented here.

Plain fields read `SCRAPE_<FIELD>` (`SCRAPE_CHUNK_SIZE=20`); a scraper's section is one JSON variable
(`SCRAPE_BDC_DISCOUNT='{"alert_discount_pct": 12}'`). The names the infra description sets (state
machine, topics, secret, User-Agent) come from chalicelib/core/constants.py.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from chalicelib.core import constants as c
from chalicelib.core.caches import register
from chalicelib.core.models import StrictModel


class Company(StrictModel):
    name: str = Field(min_length=1, max_length=120)
    cik: int = Field(gt=0, lt=10**10)
    ticker: str | None = Field(default=None, pattern=r"^[A-Z0-9.\-]{1,12}$")


# Investment-grade technology issuers (CIKs as EDGAR lists them).
TECH_ISSUERS = (
    Company(name="Apple Inc.", cik=320193), Company(name="Microsoft Corp", cik=789019),
    Company(name="Oracle Corp", cik=1341439), Company(name="Meta Platforms, Inc.", cik=1326801),
    Company(name="Cisco Systems, Inc.", cik=858877), Company(name="Amazon.com, Inc.", cik=1018724),
    Company(name="Alphabet Inc.", cik=1652044), Company(name="International Business Machines Corp", cik=51143),
    Company(name="Intel Corp", cik=50863), Company(name="NVIDIA Corp", cik=1045810),
)
# Large listed BDCs (ticker for the price, CIK for the XBRL facts).
BDCS = (
    Company(name="Ares Capital Corp", cik=1287750, ticker="ARCC"),
    Company(name="FS KKR Capital Corp", cik=1422183, ticker="FSK"),
    Company(name="Golub Capital BDC", cik=1476765, ticker="GBDC"),
    Company(name="Main Street Capital", cik=1396440, ticker="MAIN"),
    Company(name="Blackstone Secured Lending", cik=1736035, ticker="BXSL"),
    Company(name="Blue Owl Capital Corp", cik=1655888, ticker="OBDC"),
)
BANKS = (
    Company(name="JPMorgan Chase & Co", cik=19617), Company(name="Bank of America Corp", cik=70858),
    Company(name="Citigroup Inc", cik=831001), Company(name="Wells Fargo & Co", cik=72971),
)


class BondIssuanceConfig(StrictModel):
    issuers: list[Company] = Field(default_factory=lambda: list(TECH_ISSUERS), min_length=1)
    sics: list[str] = Field(default_factory=list, description="also keep filers with these SIC codes")
    forms: list[str] = Field(default_factory=lambda: ["424B2", "424B3", "424B5"], min_length=1)
    lookback_days: int = Field(default=7, ge=1, le=31)
    plan_source: Literal["full-text-search", "daily-index"] = "full-text-search"
    alert_total_usd: float = Field(default=20e9, gt=0)  # weekly notional that raises a normal alert
    critical_total_usd: float = Field(default=40e9, gt=0)


class BdcDiscountConfig(StrictModel):
    bdcs: list[Company] = Field(default_factory=lambda: list(BDCS), min_length=1)
    alert_discount_pct: float = Field(default=10.0, gt=0)  # sector average price below NAV by this much
    critical_discount_pct: float = Field(default=20.0, gt=0)

    @field_validator("bdcs")
    @classmethod
    def _tickers(cls, bdcs: list[Company]) -> list[Company]:
        missing = [b.name for b in bdcs if not b.ticker]
        if missing:
            raise ValueError(f"a ticker is needed for the price of: {', '.join(missing)}")
        return bdcs


class CreditFundConfig(StrictModel):
    funds: list[Company] = Field(default_factory=lambda: list(BDCS), min_length=1)
    alert_decline_pp: float = Field(default=2.0, gt=0)  # fair value / cost fell by this many points in a quarter
    critical_decline_pp: float = Field(default=5.0, gt=0)


class BankProvisionConfig(StrictModel):
    banks: list[Company] = Field(default_factory=lambda: list(BANKS), min_length=1)
    alert_rise_pct: float = Field(default=25.0, gt=0)  # quarter-over-quarter rise of the provision
    critical_rise_pct: float = Field(default=50.0, gt=0)


_CONTACT = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
SEC_DOMAIN = "sec.gov"  # every host under it shares the SEC request budget (redirects included)


class ScrapingSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SCRAPE_", frozen=True, extra="ignore", populate_by_name=True)

    # SEC fair access: a declared User-Agent with a contact address (checked when a client is built).
    sec_user_agent: str = Field(default="", validation_alias=AliasChoices(c.ENV_SEC_USER_AGENT, "sec_user_agent"))
    sec_data_url: str = "https://data.sec.gov"
    sec_search_url: str = "https://efts.sec.gov"
    sec_archives_url: str = "https://www.sec.gov"
    prices_url: str = "https://query1.finance.yahoo.com"  # the X-API-KEY (secrets.py) is sent to its origin only
    # At most this many SEC requests per second for the whole deployment (a token bucket in DynamoDB).
    sec_requests_per_second: float = Field(default=10.0, gt=0, le=10.0)
    rate_limit_max_wait_seconds: float = Field(default=5.0, gt=0, le=60)
    http_connect_timeout: float = Field(default=3.05, gt=0)
    http_read_timeout: float = Field(default=15.0, gt=0)
    # Chunking: items per chunk, chunks in parallel, and how long before the Lambda timeout a chunk stops.
    chunk_size: int = Field(default=10, ge=1, le=500)
    max_concurrency: int = Field(default=4, ge=1, le=40)
    deadline_margin_seconds: float = Field(default=30.0, gt=0)
    # Alerts are evaluated only when at least this share of the items produced a result.
    min_coverage: float = Field(default=0.8, ge=0, le=1)

    state_machine_arn: str = Field(default="", validation_alias=AliasChoices(c.ENV_SCRAPE_STATE_MACHINE_ARN, "state_machine_arn"))
    alert_topic_arn: str = Field(default="", validation_alias=AliasChoices(c.ENV_SCRAPE_ALERT_TOPIC_ARN, "alert_topic_arn"))
    critical_topic_arn: str = Field(default="",
                                    validation_alias=AliasChoices(c.ENV_SCRAPE_CRITICAL_TOPIC_ARN, "critical_topic_arn"))

    bond_issuance: BondIssuanceConfig = Field(default_factory=BondIssuanceConfig)
    bdc_discount: BdcDiscountConfig = Field(default_factory=BdcDiscountConfig)
    credit_fund: CreditFundConfig = Field(default_factory=CreditFundConfig)
    bank_provision: BankProvisionConfig = Field(default_factory=BankProvisionConfig)

    @field_validator("sec_data_url", "sec_search_url", "sec_archives_url", "prices_url")
    @classmethod
    def _https(cls, url: str) -> str:
        from chalicelib.scraping.http import url_problem

        problem = url_problem(url)
        if problem:
            raise ValueError(problem)
        return url.rstrip("/")

    @model_validator(mode="after")
    def _margin_covers_one_request(self) -> ScrapingSettings:
        # A chunk stops `deadline_margin_seconds` before its timeout: enough for one rate-limit wait, one
        # request at its timeouts and the checkpoint write, so an item in flight never outlives the Lambda.
        needed = self.rate_limit_max_wait_seconds + self.http_connect_timeout + self.http_read_timeout
        if self.deadline_margin_seconds < needed:
            raise ValueError(f"deadline_margin_seconds ({self.deadline_margin_seconds}) must be at least the rate-limit "
                             f"wait plus the HTTP timeouts ({needed:g})")
        return self

    def contact_user_agent(self) -> str:
        """The declared User-Agent, refused unless it names a contact address (SEC fair access)."""
        from chalicelib.core.errors import ConfigurationError

        if not _CONTACT.search(self.sec_user_agent):
            raise ConfigurationError(f"{c.ENV_SEC_USER_AGENT} must declare who is asking with a contact address, "
                                     f"e.g. 'Example Risk Desk risk@example.com' (SEC fair access); got {self.sec_user_agent!r}")
        return self.sec_user_agent


@register
def _forget() -> None:
    get_scraping_settings.cache_clear()


@lru_cache(maxsize=1)
def get_scraping_settings() -> ScrapingSettings:
    from pydantic import ValidationError

    try:
        return ScrapingSettings()
    except ValidationError as exc:
        from chalicelib.core.errors import ConfigurationError
        from chalicelib.core.models import describe_validation_error

        raise ConfigurationError(f"invalid scraper settings (SCRAPE_* variables): {describe_validation_error(exc)}") from exc

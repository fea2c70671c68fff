"""The scrapers' optional secret: `<SECRETS_PREFIX>scraping` in Secrets Manager (read by
chalicelib/core/secrets.py under the deployment's prefix), a JSON object:

  {"prices_api_key": "..."}   sent as the `X-API-KEY` header to SCRAPE_PRICES_URL (a keyed price
                              endpoint or mirror); no key, no header

A missing secret is no error (it is optional); a malformed one is a ConfigurationError naming the
field, never echoing the value.
"""

from __future__ import annotations

from pydantic import SecretStr, ValidationError

from chalicelib.core.errors import ConfigurationError
from chalicelib.core.models import StrictModel
from chalicelib.core.secrets import read_secret, secret_id

SECRET_NAME = "scraping"


class ScraperSecrets(StrictModel):
    prices_api_key: SecretStr | None = None


def scraper_secrets() -> ScraperSecrets:
    text = read_secret(SECRET_NAME, optional=True)
    if text is None:
        return ScraperSecrets()
    try:
        return ScraperSecrets.model_validate_json(text)
    except ValidationError as exc:
        fields = ", ".join(".".join(map(str, e["loc"])) or "<root>" for e in exc.errors(include_url=False))
        raise ConfigurationError(
            f"secret {secret_id(SECRET_NAME)}: not the expected JSON object (problem at: {fields})") from None

"""Which source a client's costs come from: the one rule every entry point applies."""

from __future__ import annotations

from chalicelib.core.constants import COST_EXPLORER_SOURCE
from chalicelib.core.models import ClientConfig
from chalicelib.core.settings import get_settings


def source_of(config: ClientConfig) -> str:
    """"cost_explorer", or the name of the billing export the client's costs are read from."""
    return config.cost_source or get_settings().default_cost_source


def reads_export(config: ClientConfig) -> bool:
    return source_of(config) != COST_EXPLORER_SOURCE

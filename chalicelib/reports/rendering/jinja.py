"""The Jinja2 environment: HTML autoescaped, text not, built once per Lambda container."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from chalicelib.core.caches import register
from chalicelib.core.formatting import format_money, format_pct, format_signed_money
from chalicelib.reports.rendering.colours import change_colour

TEMPLATES = Path(__file__).resolve().parent / "templates"


@lru_cache(maxsize=1)
def environment() -> Environment:
    """Template compilation is the slow part: one environment per container."""
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        # HTML templates escape; text templates must not (`&amp;` in a text email is a bug).
        # Anything unrecognised defaults to escaping.
        autoescape=select_autoescape(
            enabled_extensions=("html", "htm", "html.j2"),
            disabled_extensions=("txt", "txt.j2"),
            default_for_string=True,
            default=True,
        ),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["money"] = format_money
    env.filters["signed_money"] = format_signed_money
    env.filters["pct"] = format_pct
    env.filters["change_colour"] = change_colour
    return env


register(environment.cache_clear)

"""Everything Lambda code caches for the life of a warm container, forgotten in one call.

The local runtime (and tests) start a fresh in-process AWS and change the environment: they call
`reset_all()` so no client, settings object or persistence layer of the previous one survives.
A module that adds a process-wide cache registers its clearing function here.
"""

from __future__ import annotations

from collections.abc import Callable

_resetters: list[Callable[[], None]] = []


def register(reset: Callable[[], None]) -> Callable[[], None]:
    """Register a function that forgets a cache (usable as a decorator); returns it unchanged."""
    _resetters.append(reset)
    return reset


def reset_all() -> None:
    """Forget cached boto3 clients, settings and every registered cache."""
    from chalicelib.core import aws
    from chalicelib.core.settings import get_settings

    aws.reset_clients()
    get_settings.cache_clear()
    for reset in list(_resetters):
        reset()

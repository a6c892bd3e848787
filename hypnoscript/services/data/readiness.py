"""`/readyz` checks for the database, the cache and the broker: 503, naming the backend and its
error, while one does not answer, and ready again as soon as it does.

A configured server is always checked. The embedded defaults (SQLite files, the memory cache)
are checked once the code has used them, so a project that stores nothing gets no `data/app.db`
from its probes.
"""

from __future__ import annotations

import asyncio

from hypnoscript.runtime.errors import HypError

DEFAULT_DATABASE = "sqlite:///data/app.db"
DEFAULT_CACHE = "memory://"
DEFAULT_MESSAGING = "sqlite:///data/queue.db"


def add_data_checks(health, infrastructure, timeout: float = 5.0, with_broker: bool = True) -> None:
    async def probe(open_backend, configured: bool, opened) -> str | None:
        if not configured and not opened():
            return None
        try:
            await asyncio.wait_for(asyncio.to_thread(lambda: open_backend().ping()), timeout)
        except asyncio.TimeoutError:
            return f"no answer within {timeout:g} s"
        except HypError as error:
            return error.message
        except Exception as error:  # noqa: BLE001 - a broker's own error names it
            return str(error)
        return None

    async def database() -> str | None:
        return await probe(infrastructure.database, infrastructure.database_url != DEFAULT_DATABASE,
                           lambda: infrastructure.opened()[0])

    async def cache() -> str | None:
        return await probe(infrastructure.cache, infrastructure.cache_url != DEFAULT_CACHE,
                           lambda: infrastructure.opened()[1])

    async def broker() -> str | None:
        events = infrastructure.events()
        return await probe(events.broker, infrastructure.messaging_url != DEFAULT_MESSAGING,
                           lambda: infrastructure.events_broker_if_open() is not None)

    health.add_check("database", database)
    health.add_check("cache", cache)
    if with_broker:
        health.add_check("broker", broker)

"""Where the database and cache builtins find their backends.

The builtins belong to the runtime layer, their adapters (SQLAlchemy, redis-py) to the services
layer above it. A front end (the `hyp` command) registers a resolver that builds the backends of a
running program from its project's configuration; a server puts its own on each context it runs
code under (`RuntimeContext.infrastructure`), with its metrics and traces attached.

An infrastructure object answers `database()` and `cache()`; see `services.data`.
"""

from __future__ import annotations

from hypnoscript.runtime.errors import HypError

_resolver = None


def register(resolver) -> None:
    """Use `resolver(ctx)` to build the infrastructure of a context that has none yet."""
    global _resolver
    _resolver = resolver


def of(ctx):
    """The infrastructure of the running program `ctx`, built on first use."""
    infra = ctx.infrastructure
    if infra is None:
        if _resolver is None:
            raise HypError("no database or cache is available here: run the program with `hyp exec`, "
                           "`hyp run`, `hyp test` or `hyp serve`")
        infra = ctx.infrastructure = _resolver(ctx)
    return infra

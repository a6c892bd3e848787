"""Cache builtins on the project's configured cache (`infrastructure.cache.url`; an in-process,
bounded memory cache by default, Redis shared between processes when configured).

Values are stored as JSON, so any JSON-able value round-trips and a later change to the stored
array or dictionary does not change what the cache holds.
"""

from __future__ import annotations

from hypnoscript.runtime import infrastructure
from hypnoscript.runtime.builtins.args import as_function, as_number, as_string
from hypnoscript.runtime.builtins.registry import builtin
from hypnoscript.runtime.context import current
from hypnoscript.runtime.errors import HypArgumentError
from hypnoscript.runtime.values import display


def _cache():
    return infrastructure.of(current()).cache()


def _ttl(ttl, name: str, pos: int) -> float | None:
    """None: the configured default. 0 keeps the value until it is deleted or evicted."""
    if ttl is None:
        return None
    seconds = as_number(ttl, name, pos)
    if not seconds >= 0 or seconds == float("inf"):
        raise HypArgumentError(f"Builtin '{name}' expected a time to live of 0 or more seconds, got {display(ttl)}")
    return seconds


@builtin(
    "cache",
    "CacheGet(key: string) -> any",
    "The value cached under key, or null when there is none (or it expired)",
    pure=False,
)
def _cache_get(key):
    key = as_string(key, "CacheGet", 1)
    return _cache().get(key)


@builtin(
    "cache",
    "CacheSet(key: string, value: any, ttlSeconds?: number) -> null",
    "Cache a JSON-able value under key for ttlSeconds (default: infrastructure.cache.defaultTtl; "
    "0 keeps it until deleted or evicted)",
    pure=False,
)
def _cache_set(key, value, ttl=None):
    key = as_string(key, "CacheSet", 1)
    ttl = _ttl(ttl, "CacheSet", 3)
    _cache().set(key, value, ttl, "CacheSet")


@builtin(
    "cache",
    "CacheDelete(key: string) -> boolean",
    "Remove key from the cache; true when it was there",
    pure=False,
)
def _cache_delete(key):
    key = as_string(key, "CacheDelete", 1)
    return _cache().delete(key)


@builtin(
    "cache",
    "CacheIncrement(key: string, by?: number) -> number",
    "Add by (default 1) to the number cached under key, atomically, and return the new number; "
    "a missing key counts from 0 (and is kept until deleted)",
    pure=False,
)
def _cache_increment(key, by=None):
    step = 1.0 if by is None else as_number(by, "CacheIncrement", 2)
    key = as_string(key, "CacheIncrement", 1)
    return _cache().increment(key, step)


@builtin(
    "cache",
    "CacheGetOrSet(key: string, fn: function, ttlSeconds?: number) -> any",
    "The value cached under key; on a miss, fn() computes it and it is cached for ttlSeconds. "
    "Concurrent misses of one key compute it once (the others wait for that result)",
    pure=False,
)
def _cache_get_or_set(key, fn, ttl=None):
    key = as_string(key, "CacheGetOrSet", 1)
    fn = as_function(fn, "CacheGetOrSet", 2)
    ttl = _ttl(ttl, "CacheGetOrSet", 3)
    return _cache().get_or_set(key, fn, ttl)

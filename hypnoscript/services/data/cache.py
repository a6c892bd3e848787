"""The cache behind `CacheGet`, `CacheSet`, `CacheDelete`, `CacheIncrement` and `CacheGetOrSet`.

Two backends with one behaviour: `memory://` (in the process, bounded, least recently used entries
evicted first, TTLs honoured) and `redis://` (redis-py; shared by every process and instance that
uses the same server and key prefix). Values are stored as JSON text.
"""

from __future__ import annotations

import contextlib
import math
import re
import threading
import time

from hypnoscript.runtime.builtins.support import json_dumps, parse_json
from hypnoscript.runtime.errors import HypCacheError

_NEVER = math.inf


def default_prefix(project: str) -> str:
    """The key prefix on Redis of a project that configures none (`infrastructure.cache.prefix`)."""
    return "hyp:" + re.sub(r"[^A-Za-z0-9_.-]", "_", project) + ":"


class MemoryBackend:
    """A bounded LRU map of key -> (JSON text, expiry on the monotonic clock)."""

    name = "memory"

    def __init__(self, max_entries: int = 10000) -> None:
        from cachetools import TLRUCache

        self._entries = TLRUCache(maxsize=max_entries, ttu=lambda _k, value, _now: value[1], timer=time.monotonic)
        self._lock = threading.Lock()
        self._key_locks: dict[str, list] = {}  # key -> [lock, holders]

    @staticmethod
    def _expiry(ttl: float | None) -> float:
        return _NEVER if not ttl else time.monotonic() + ttl

    def get(self, key: str) -> str | None:
        with self._lock:
            entry = self._entries.get(key)
        return None if entry is None else entry[0]

    def set(self, key: str, text: str, ttl: float | None) -> None:
        with self._lock:
            self._entries[key] = (text, self._expiry(ttl))

    def delete(self, key: str) -> bool:
        with self._lock:
            return self._entries.pop(key, None) is not None

    def increment(self, key: str, by: float) -> float:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                value, expiry = 0.0, _NEVER
            else:
                value, expiry = _number(entry[0], key), entry[1]
            value += by
            self._entries[key] = (json_dumps(value, "CacheIncrement"), expiry)
            return value

    def locked(self, key: str):
        return _KeyLock(self, key)

    def ping(self) -> None:
        pass

    def close(self) -> None:
        pass


class _KeyLock:
    """Holds the process-wide lock of one key (made on demand, dropped with its last holder)."""

    def __init__(self, backend: MemoryBackend, key: str) -> None:
        self.backend = backend
        self.key = key

    def __enter__(self):
        with self.backend._lock:
            slot = self.backend._key_locks.get(self.key)
            if slot is None:
                slot = self.backend._key_locks[self.key] = [threading.Lock(), 0]
            slot[1] += 1
        slot[0].acquire()
        return self

    def __exit__(self, *_exc) -> None:
        with self.backend._lock:
            slot = self.backend._key_locks[self.key]
            slot[0].release()
            slot[1] -= 1
            if slot[1] == 0:
                del self.backend._key_locks[self.key]


class RedisBackend:
    """Keys live under `prefix` on the server; `locked` is a Redis lock, so concurrent misses
    across processes and machines compute once."""

    name = "redis"

    def __init__(self, url: str, prefix: str, timeout: float, lock_timeout: float) -> None:
        import redis

        self._errors = (redis.RedisError,)
        self._response_error = redis.ResponseError
        self.client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout,
                                           health_check_interval=30)
        self.prefix = prefix
        self.lock_timeout = lock_timeout

    def _call(self, what: str, fn, *args):
        try:
            return fn(*args)
        except self._errors as error:
            raise HypCacheError(f"redis: {what} failed: {error}") from None

    def get(self, key: str) -> str | None:
        raw = self._call("GET", self.client.get, self.prefix + key)
        return None if raw is None else raw.decode("utf-8")

    def set(self, key: str, text: str, ttl: float | None) -> None:
        if ttl:
            self._call("SET", lambda: self.client.set(self.prefix + key, text, px=max(1, int(ttl * 1000))))
        else:
            self._call("SET", self.client.set, self.prefix + key, text)

    def delete(self, key: str) -> bool:
        return self._call("DEL", self.client.delete, self.prefix + key) == 1

    def increment(self, key: str, by: float) -> float:
        full = self.prefix + key
        try:
            if by.is_integer() and abs(by) < 2 ** 63:
                try:
                    return float(self.client.incrby(full, int(by)))
                except self._response_error:
                    pass  # a fraction is stored there: INCRBYFLOAT takes it
            return float(self.client.incrbyfloat(full, by))
        except self._response_error:
            raise HypCacheError(f"CacheIncrement: the value cached under \"{key}\" is not a number") from None
        except self._errors as error:
            raise HypCacheError(f"redis: INCRBY failed: {error}") from None

    @contextlib.contextmanager
    def locked(self, key: str):
        lock = self.client.lock(self.prefix + "\x00lock:" + key, timeout=self.lock_timeout,
                                blocking_timeout=self.lock_timeout)
        if not self._call("lock", lock.acquire):
            raise HypCacheError(f"CacheGetOrSet: \"{key}\" stayed locked by another caller for {self.lock_timeout:g} s")
        try:
            yield
        finally:
            try:
                lock.release()
            except self._errors:
                pass  # expired while fn ran: another caller may already hold it

    def ping(self) -> None:
        self._call("PING", self.client.ping)

    def close(self) -> None:
        self.client.close()


def _number(text: str, key: str) -> float:
    try:
        value = parse_json(text)
    except ValueError:
        value = None
    if type(value) is not float:
        raise HypCacheError(f"CacheIncrement: the value cached under \"{key}\" is not a number")
    return value


class Cache:
    """JSON values over a backend, with the configured default time to live."""

    def __init__(self, backend, default_ttl: float | None, observer=None) -> None:
        self.backend = backend
        self.default_ttl = default_ttl
        self.observer = observer

    def _observed(self, operation: str, run, *args):
        if self.observer is None:
            return run(*args)
        return self.observer.observe("cache", self.backend.name, operation, None, run, args)

    def get(self, key: str):
        return self._observed("get", self._get, key)

    def _get(self, key: str):
        text = self.backend.get(key)
        return None if text is None else parse_json(text)

    def set(self, key: str, value: object, ttl: float | None, name: str = "CacheSet") -> None:
        text = json_dumps(value, name)
        self._observed("set", self.backend.set, key, text, self.default_ttl if ttl is None else ttl)

    def delete(self, key: str) -> bool:
        return self._observed("delete", self.backend.delete, key)

    def increment(self, key: str, by: float) -> float:
        return self._observed("increment", self.backend.increment, key, by)

    def get_or_set(self, key: str, fn, ttl: float | None):
        text = self._observed("get", self.backend.get, key)
        if text is not None:
            return parse_json(text)
        with self.backend.locked(key):
            text = self._observed("get", self.backend.get, key)  # another caller may have filled it
            if text is not None:
                return parse_json(text)
            value = fn()
            self.set(key, value, ttl, "CacheGetOrSet")
            return value

    def ping(self) -> None:
        self.backend.ping()

    def close(self) -> None:
        self.backend.close()


def open_cache(url: str, *, prefix: str, default_ttl: float, max_entries: int, timeout: float,
               observer=None) -> Cache:
    scheme = url.split("://", 1)[0].lower()
    if scheme == "memory":
        backend = MemoryBackend(max_entries)
    elif scheme in ("redis", "rediss", "unix"):
        backend = RedisBackend(url, prefix, timeout, lock_timeout=max(timeout, 30.0))
    else:
        raise HypCacheError(f"unsupported cache URL scheme \"{scheme}://\" (expected memory:// or redis://)")
    return Cache(backend, default_ttl or None, observer)

"""Rate limits of routes (`rateLimit`, `rateLimitKey`), counted with the `limits` library.

Strategy: a moving window. Each request is recorded with its time and a request is allowed while
fewer than the limit were recorded in the last window, so no burst of twice the limit fits
around a window boundary (as it would with fixed windows) and the count is exact; the cost is one
timestamp per allowed request and key. The counts live in the process (each `--workers` process
then has its own) or, when `infrastructure.cache.url` is a Redis URL, in Redis under the cache's
prefix, where one atomic script per hit keeps a single limit across processes and instances.

Keys: `ip` (the client address, which uvicorn takes from X-Forwarded-For only when the proxy is
127.0.0.1), `user` (the authenticated caller's sub), `apikey` (the key's name for API-key callers,
the address for others). An `ip` limit is checked before authentication (it also guards the
credentials check against brute force); `user` and `apikey` limits right after it.
"""

from __future__ import annotations

import math
import time

from hypnoscript.services.handlers import error_outcome, respond

AFTER_AUTH = ("user", "apikey")


class RateLimits:
    """The limits of an app's routes and the storage counting them."""

    def __init__(self, items: dict, infrastructure: dict, name: str) -> None:
        self.items = items  # (method, path) -> RateLimitItem
        self.limiter = None
        self.backend = "memory"
        self.store_error: tuple = ()
        if items:
            self.limiter = self._limiter(infrastructure, name)

    @classmethod
    def build(cls, settings, where) -> RateLimits:
        """`where(route, key, message)` makes the diagnostic of a route's setting; DiagnosticError
        lists every route whose limit cannot apply."""
        from hypnoscript.syntax.diagnostics import DiagnosticError

        items = {}
        problems = []
        for spec in settings.routes:
            if not spec.rate_limit:
                continue
            item = _parse(spec.rate_limit)
            if item is None:
                problems.append(where(spec, "rateLimit", f"\"{spec.rate_limit}\" is not a rate of at least 1 request "
                                                         "per a window of at least 1 second"))
                continue
            if spec.rate_limit_key == "user" and spec.auth == "none":
                problems.append(where(spec, "rateLimitKey", "a limit per user needs an authenticated route (set "
                                                            "\"auth\"), or use \"ip\""))
                continue
            items[(spec.method, spec.path)] = item
        if problems:
            raise DiagnosticError(problems)
        return cls(items, settings.config.get("infrastructure", {}), settings.name)

    def _limiter(self, infrastructure: dict, name: str):
        from limits.aio.strategies import MovingWindowRateLimiter
        from limits.errors import StorageError

        cache = infrastructure.get("cache", {})
        url = cache.get("url", "memory://")
        self.store_error = (StorageError,)
        if url.startswith(("redis://", "rediss://")):
            from limits.aio.storage import RedisStorage

            prefix = cache.get("prefix")
            if prefix is None:  # the cache's own default prefix (services.infrastructure)
                from hypnoscript.services.data.cache import default_prefix

                prefix = default_prefix(name)
            timeout = float(cache.get("timeout", 5))
            storage = RedisStorage("async+" + url, wrap_exceptions=True, implementation="redispy",
                                   key_prefix=prefix + "ratelimit", socket_timeout=timeout,
                                   socket_connect_timeout=timeout)
            self.backend = "redis"
        else:
            from limits.aio.storage import MemoryStorage

            storage = MemoryStorage(wrap_exceptions=True)
        return MovingWindowRateLimiter(storage)

    async def close(self) -> None:
        """At shutdown: the Redis connections of the counting storage."""
        storage = getattr(self.limiter, "storage", None)
        # redis-py's client, behind limits' RedisStorage and its bridge to the driver
        client = getattr(getattr(storage, "bridge", None), "storage", None)
        close = getattr(client, "aclose", None)
        if close is not None:
            try:
                await close()
            except Exception:  # noqa: BLE001 - the process is stopping: nothing to keep
                pass

    def wrap(self, spec, endpoint, *, authenticated: bool, logs=None):
        """`endpoint` behind the route's limit when it is checked at this stage: before the
        authentication guard (`authenticated` False) for `ip`, inside it for `user` and `apikey`."""
        item = self.items.get((spec.method, spec.path))
        if item is None or (spec.rate_limit_key in AFTER_AUTH) != authenticated:
            return endpoint
        return LimitedEndpoint(self, item, f"{spec.method} {spec.path}", spec.rate_limit_key, endpoint, logs)


def _parse(text: str):
    from limits import parse

    try:
        item = parse(text)
    except ValueError:
        return None
    if item.amount < 1 or item.get_expiry() < 1:
        return None
    return item


def client_address(scope) -> str:
    client = scope.get("client")
    return client[0] if client else "unknown"


def caller_key(scope, kind: str) -> str:
    identity = scope.get("hyp.user")
    if kind == "user" and identity is not None:
        return "user:" + identity.sub
    if kind == "apikey" and identity is not None and identity.method == "apikey":
        return "apikey:" + identity.name
    return "ip:" + client_address(scope)


class LimitedEndpoint:
    def __init__(self, limits: RateLimits, item, route: str, kind: str, endpoint, logs) -> None:
        self.limits = limits
        self.item = item
        self.route = route
        self.kind = kind
        self.endpoint = endpoint
        self.logs = logs
        self.limit_header = (b"x-ratelimit-limit", str(item.amount).encode())

    async def __call__(self, scope, receive, send) -> None:
        limiter = self.limits.limiter
        key = caller_key(scope, self.kind)
        info = scope["hyp.request"]
        try:
            allowed = await limiter.hit(self.item, self.route, key)
            reset_at, remaining = await limiter.get_window_stats(self.item, self.route, key)
        except self.limits.store_error as error:
            # refused rather than let through: a limit guarding a login must hold while its store is away
            if self.logs is not None:
                self.logs.event("error", "rate limit store unavailable", error=str(error), backend=self.limits.backend,
                                **info.ids())
            await respond(scope, info, error_outcome(503, "the rate limit cannot be checked now", info.request_id))
            return
        now = time.time()
        reset_at = max(reset_at, now)
        headers = [self.limit_header, (b"x-ratelimit-remaining", str(max(0, remaining)).encode()),
                   (b"x-ratelimit-reset", str(math.ceil(reset_at)).encode())]
        if not allowed:
            wait = max(1, math.ceil(reset_at - now))
            outcome = error_outcome(429, f"too many requests: at most {self.item.amount} per "
                                         f"{_window(self.item)}; try again in {wait} s", info.request_id)
            outcome.headers += [*headers, (b"retry-after", str(wait).encode())]
            await respond(scope, info, outcome)
            return
        def with_headers(target):
            async def sending(message) -> None:
                if message["type"] == "http.response.start":
                    message["headers"] = [*message.get("headers", ()), *headers]
                await target(message)
            return sending

        # handlers answer through scope["hyp.send"] (see handlers.respond), the rest through `send`
        scope["hyp.send"] = with_headers(scope["hyp.send"])
        await self.endpoint(scope, receive, with_headers(send))


def _window(item) -> str:
    unit = item.GRANULARITY.name
    return unit if item.multiples == 1 else f"{item.multiples} {unit}s"

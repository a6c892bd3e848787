"""Building the Starlette application of `hyp serve` from the project's settings.

One `Route` per configured route (all selected services mounted side by side: a modular
monolith), each a pure ASGI endpoint that runs its handler on the handler pool; the system routes
(`/healthz`, `/readyz`, `/metrics`, `/openapi.json`); JSON bodies for 404 and 405; the request
middleware; and a lifespan that starts the pool and, on shutdown, marks the process as draining,
stops the pool and flushes spans.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os

from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

from hypnoscript.runtime.builtins import http_service
from hypnoscript.services.infrastructure import Infrastructure
from hypnoscript.services.data.readiness import add_data_checks
from hypnoscript.services.data.telemetry import DataObserver
from hypnoscript.services.events.publisher import Relay, consumer_groups
from hypnoscript.services.handlers import (
    HandlerPool,
    RouteCall,
    RouteEndpoint,
    dumps,
)
from hypnoscript.services.health import Health
from hypnoscript.services.loading import ServiceModules
from hypnoscript.services.middleware import ObserveRequests
from hypnoscript.services.observability.logging import Logs, ObserveStream
from hypnoscript.services.observability.metrics import Metrics
from hypnoscript.services.observability.tracing import Tracing
from hypnoscript.services.openapi import openapi_document
from hypnoscript.services.security import audit as audit_log
from hypnoscript.services.security import methods
from hypnoscript.services.security.ratelimit import RateLimits
from hypnoscript.services.security.guard import GuardedEndpoint, RouteGuard
from hypnoscript.services.settings import (
    HEALTH_PATH,
    OPENAPI_PATH,
    READY_PATH,
    ServeSettings,
)
from hypnoscript.syntax.diagnostics import DiagnosticError


class ServiceApp(Starlette):
    """A Starlette app whose middleware stack is the request observer alone (it renders errors
    as JSON itself, so Starlette's generic error middlewares would only add cost per request)."""

    observer = None

    def build_middleware_stack(self):
        return self.observer


def default_threads() -> int:
    return min(32, (os.cpu_count() or 1) + 4)


class MethodDispatch:
    """One path's endpoints by method (Starlette then answers other methods with 405 and the
    full `Allow` list); HEAD is served by the GET handler."""

    def __init__(self, endpoints: dict) -> None:
        self.endpoints = endpoints
        if "GET" in endpoints and "HEAD" not in endpoints:
            self.endpoints = {**endpoints, "HEAD": endpoints["GET"]}

    async def __call__(self, scope, receive, send) -> None:
        await self.endpoints[scope["method"]](scope, receive, send)


class ConfiguredRoutes:
    """Dispatch of the configured routes ahead of Starlette's router: the first route whose path
    matches gets the request at once when it has the request's method. Anything else (another
    method, no match, a root path) goes through the router, which answers as it always does (405
    with `Allow`, 404, the redirect of a trailing slash, the system routes); taking the first
    match only when it is full keeps the router's choice of route."""

    def __init__(self, routes: list[Route], endpoints: dict[str, dict], router) -> None:
        self.table = []
        for route in routes:
            by_method = dict(endpoints[route.path])
            if "GET" in by_method:
                by_method.setdefault("HEAD", by_method["GET"])
            self.table.append((route.path_regex.match, route.param_convertors, by_method))
        self.router = router

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http" and not scope.get("root_path"):
            path = scope["path"]
            for match, convertors, by_method in self.table:
                found = match(path)
                if found is not None:
                    endpoint = by_method.get(scope["method"])
                    if endpoint is None:
                        break
                    params = found.groupdict()
                    for key, value in params.items():
                        params[key] = convertors[key].convert(value)
                    scope["path_params"] = params
                    await endpoint(scope, receive, send)
                    return
        await self.router(scope, receive, send)


def build_app(settings: ServeSettings, *, logs: Logs | None = None, tracing: Tracing | None = None,
              threads: int | None = None) -> Starlette:
    """The application; raises DiagnosticError when a module does not compile or load."""
    logs = logs or Logs(settings.log_level, settings.log_format)
    tracing = tracing or Tracing.from_settings(settings)
    metrics = Metrics()
    stream = ObserveStream(logs)
    infrastructure = Infrastructure(settings.root, settings.config.get("infrastructure", {}), name=settings.name,
                                    observer=DataObserver(metrics, tracing),
                                    topics=consumer_groups(settings.config.get("services", {})),
                                    security=settings.config.get("security", {}))
    relay = Relay(infrastructure.events())
    if infrastructure.settings.get("database", {}).get("autoMigrate"):
        infrastructure.migrate()  # before any module's top level can use the tables
    modules = ServiceModules(settings, infrastructure)
    http_service.set_log_sink(logs.handler_event)
    services = modules.load(stream)
    pool = HandlerPool(threads or default_threads())
    health = Health([s.spec.name for s in services])
    add_data_checks(health, infrastructure)

    endpoints: dict[str, dict[str, object]] = {}  # path -> method -> endpoint
    owners: dict[str, str] = {}  # path -> service (the labels of a 405 on that path)
    security = settings.config.get("security", {})
    authenticators = methods.build(security, settings.root)
    rate_limits = RateLimits.build(settings, lambda s, key, m: methods.problem(settings.config, s.key + (key,), m))
    audit = audit_log.serve_log(security, settings.root, lambda: infrastructure.database().engine, logs)
    problems = []
    for service in services:
        for spec in service.spec.routes:
            call = RouteCall(service, service.handlers[spec.handler], tracing, modules.sources(), stream.flush)
            endpoint = RouteEndpoint(call, spec.path, pool, settings.timeout_for(spec), settings.max_body_bytes,
                                     metrics, logs)
            endpoint = rate_limits.wrap(spec, endpoint, authenticated=True, logs=logs)  # user, apikey: after auth
            if spec.auth == "none" and spec.roles:
                problems.append(methods.problem(settings.config, spec.key + ("roles",),
                                                "roles need an authentication method (auth) to check them"))
                continue
            if spec.auth != "none":
                try:
                    chosen = methods.for_route(spec.auth, authenticators,
                                               lambda m, s=spec: methods.problem(settings.config, s.key + ("auth",), m))
                except DiagnosticError as error:
                    problems += error.diagnostics
                    continue
                on_denied = None
                if audit is not None:
                    if spec.method in audit_log.STATE_CHANGING:
                        endpoint = audit_log.AuditedEndpoint(endpoint, audit)
                    on_denied = audit.on_denied(spec)
                endpoint = GuardedEndpoint(RouteGuard(chosen, spec.roles), endpoint, on_denied)
            endpoint = rate_limits.wrap(spec, endpoint, authenticated=False, logs=logs)  # ip: before auth
            endpoints.setdefault(spec.path, {})[spec.method] = endpoint
            owners.setdefault(spec.path, spec.service)
    if problems:
        raise DiagnosticError(problems)
    routes: list[Route] = []  # the configured ones first (system paths cannot be configured)
    for path, by_method in endpoints.items():
        # one method: its endpoint serves HEAD too when it is GET (Starlette adds HEAD to GET routes)
        endpoint = next(iter(by_method.values())) if len(by_method) == 1 else MethodDispatch(by_method)
        route = Route(path, endpoint, methods=list(by_method), include_in_schema=False)
        route.hyp_service = owners[path]
        routes.append(route)
    configured_routes = list(routes)

    openapi = dumps(openapi_document(settings))

    async def openapi_json(request) -> Response:
        return Response(openapi, media_type="application/json")

    async def metrics_text(request) -> Response:
        return Response(metrics.render(), media_type=metrics.content_type)

    routes += [Route(HEALTH_PATH, health.healthz, methods=["GET"]),
               Route(READY_PATH, health.readyz, methods=["GET"]),
               Route(OPENAPI_PATH, openapi_json, methods=["GET"])]
    if settings.metrics_enabled:
        routes.append(Route(settings.metrics_path, metrics_text, methods=["GET"]))

    @contextlib.asynccontextmanager
    async def lifespan(app):
        pool.start()
        relay.start()
        background = [asyncio.create_task(logs.flush_periodically()),
                      asyncio.create_task(metrics.publish_periodically())]
        # Everything loaded so far (modules, libraries) lives as long as the process: keep it out
        # of the garbage collector's full passes, which otherwise show up as latency spikes.
        gc.freeze()
        logs.event("info", "serving", services=health.services, routes=len(settings.routes), pid=os.getpid())
        try:
            yield
        finally:
            gc.unfreeze()  # the process may go on (tests, an embedding application)
            pool.stop()
            if audit is not None:
                await asyncio.to_thread(audit.close)  # before the database closes
            relay.stop()
            tracing.shutdown()
            metrics.close()
            infrastructure.close()
            for authenticator in authenticators.values():
                authenticator.close()
            await rate_limits.close()
            logs.event("info", "stopped", pid=os.getpid())
            for task in background:
                task.cancel()
            await asyncio.gather(*background, return_exceptions=True)

    app = ServiceApp(routes=routes, lifespan=lifespan)
    configured = ConfiguredRoutes(configured_routes, endpoints, app.router)
    app.observer = ObserveRequests(configured, logs=logs, metrics=metrics, tracing=tracing)
    app.state.health = health
    app.state.metrics = metrics
    return app

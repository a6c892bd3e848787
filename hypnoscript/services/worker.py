"""`hyp worker`: the event consumers and schedules of the selected services, in one process.

The worker loads the services' modules like `hyp serve` (same contexts, capabilities, handler
threads, deadlines and error reports) and serves `/healthz`, `/readyz` (the broker, database and
cache answer) and `/metrics` on its own port. On SIGTERM it stops fetching, lets the handlers in
flight finish (up to the grace period), gives back the events it fetched but had not started,
and exits 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import os

from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

from hypnoscript.runtime.builtins import http_service
from hypnoscript.services.infrastructure import Infrastructure
from hypnoscript.services.data.readiness import add_data_checks
from hypnoscript.services.data.telemetry import DataObserver
from hypnoscript.services.events.consumer import Consumer, HandlerCall
from hypnoscript.services.events.metrics import EventMetrics
from hypnoscript.services.events.publisher import Relay, consumer_groups
from hypnoscript.services.events.schedules import Claims, Scheduler
from hypnoscript.services.handlers import HandlerPool
from hypnoscript.services.health import Health
from hypnoscript.services.loading import ServiceModules
from hypnoscript.services.observability.logging import Logs, ObserveStream
from hypnoscript.services.observability.metrics import Metrics
from hypnoscript.services.observability.tracing import Tracing
from hypnoscript.services.settings import HEALTH_PATH, READY_PATH
from hypnoscript.syntax.diagnostics import Diagnostic, DiagnosticError

QUEUE_STATS_INTERVAL = 5.0


def build_worker(settings, *, logs: Logs | None = None, tracing: Tracing | None = None, threads: int | None = None,
                 concurrency: int | None = None, grace: float = 30.0) -> Starlette:
    """The worker's application; raises DiagnosticError when there is nothing to run or a module
    does not load."""
    logs = logs or Logs(settings.log_level, settings.log_format)
    tracing = tracing or Tracing.from_settings(settings)
    consumers_wanted = [c for s in settings.services for c in s.consumers]
    schedules_wanted = [c for s in settings.services for c in s.schedules]
    if not consumers_wanted and not schedules_wanted:
        raise DiagnosticError([Diagnostic("HYP5003", "the selected services have no events or schedules to run",
                                          path=settings.config.path,
                                          help="add `events` or `schedules` to a service (see docs/events.md)")])
    metrics = Metrics()
    event_metrics = EventMetrics(metrics.registry)
    infrastructure = Infrastructure(settings.root, settings.config.get("infrastructure", {}), name=settings.name,
                                    observer=DataObserver(metrics, tracing),
                                    topics=consumer_groups(settings.config.get("services", {})),
                                    security=settings.config.get("security", {}))
    if infrastructure.settings.get("database", {}).get("autoMigrate"):
        infrastructure.migrate()
    stream = ObserveStream(logs)
    modules = ServiceModules(settings, infrastructure)
    http_service.set_log_sink(logs.handler_event)
    services = modules.load(stream)
    pool = HandlerPool(threads or max(4, sum(c.concurrency if concurrency is None else concurrency
                                             for c in consumers_wanted) + len(schedules_wanted)))
    health = Health([s.spec.name for s in services])
    add_data_checks(health, infrastructure, with_broker=False)
    events = infrastructure.events()

    async def broker_check() -> str | None:
        try:
            await asyncio.wait_for(asyncio.to_thread(lambda: events.broker().ping()), 5.0)
        except asyncio.TimeoutError:
            return "no answer within 5 s"
        except Exception as error:  # noqa: BLE001 - reported as the check's problem
            return str(error)
        return None

    health.add_check("broker", broker_check)  # the worker's broker is always in use
    relay = Relay(events)
    calls = {}
    for service in services:
        for spec in (*service.spec.consumers, *service.spec.schedules):
            kind = "event" if spec in service.spec.consumers else "scheduled"
            calls[id(spec)] = HandlerCall(service, service.handlers[spec.handler], tracing, modules.sources(),
                                          stream.flush, kind)

    async def metrics_text(request) -> Response:
        return Response(metrics.render(), media_type=metrics.content_type)

    routes = [Route(HEALTH_PATH, health.healthz, methods=["GET"]), Route(READY_PATH, health.readyz, methods=["GET"])]
    if settings.metrics_enabled:
        routes.append(Route(settings.metrics_path, metrics_text, methods=["GET"]))

    @contextlib.asynccontextmanager
    async def lifespan(app):
        pool.start()
        relay.start()
        consumers: list[Consumer] = []
        schedulers: list[Scheduler] = []
        tasks: list[asyncio.Task] = []
        background = [asyncio.create_task(logs.flush_periodically())]

        async def start_schedules() -> None:
            wanted = [(service, spec) for service in services for spec in service.spec.schedules]
            if not wanted:
                return
            claims = await _retrying("database unavailable for schedules", logs,
                                     lambda: Claims(infrastructure.database()))
            for service, spec in wanted:
                scheduler = Scheduler(spec, calls[id(spec)], claims, pool, event_metrics, logs)
                schedulers.append(scheduler)
                tasks.append(asyncio.create_task(scheduler.run()))

        async def start_consumers() -> None:
            broker = await _retrying("broker unavailable", logs, events.broker)
            for service in services:
                for spec in service.spec.consumers:
                    consumer = Consumer(spec, calls[id(spec)], broker, pool, event_metrics, logs, concurrency)
                    consumers.append(consumer)
                    tasks.append(asyncio.create_task(consumer.run()))
            topics = sorted({c.spec.topic for c in consumers})
            background.append(asyncio.create_task(_queue_stats(broker, topics, event_metrics)))
            logs.event("info", "worker started", services=health.services, consumers=len(consumers),
                       schedules=len(schedulers), broker=events.backend, pid=os.getpid())

        # while the broker or the database is away the server already answers: /healthz 200,
        # /readyz 503 naming it
        starting = [asyncio.create_task(start_schedules()), asyncio.create_task(start_consumers())]
        try:
            yield
        finally:
            for task in starting:
                task.cancel()
            await asyncio.gather(*starting, return_exceptions=True)
            for consumer in consumers:
                consumer.stop()
            await asyncio.wait_for(asyncio.gather(*(s.stop() for s in schedulers), return_exceptions=True), grace)
            # the loops end after their fetch returns (at most IDLE_WAIT) and their handler finishes
            done, pending = await asyncio.wait(tasks, timeout=grace) if tasks else (set(), set())
            for task in pending:
                task.cancel()
            pool.stop()
            relay.stop()
            for task in background:
                task.cancel()
            await asyncio.gather(*background, return_exceptions=True)
            tracing.shutdown()
            logs.event("info", "worker stopped", pid=os.getpid(), unfinished=len(pending))
            await asyncio.to_thread(infrastructure.close)

    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.health = health
    app.state.metrics = metrics
    return app


async def _retrying(what: str, logs, make):
    """`make()` (in a thread), tried again while it fails: start-up never crashes on a broker or
    database that is away; the worker stays unready and tries again."""
    delay = 0.5
    while True:
        try:
            return await asyncio.to_thread(make)
        except Exception as error:  # noqa: BLE001 - logged, then tried again
            logs.event("error", what, error=str(error), retry_in_s=delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 15.0)


async def _queue_stats(broker, topics: list[str], metrics: EventMetrics) -> None:
    while True:
        try:
            metrics.queue(await asyncio.to_thread(broker.stats, topics))
        except Exception:  # noqa: BLE001 - depth is a gauge: the next round sets it
            pass
        await asyncio.sleep(QUEUE_STATS_INTERVAL)


def work(root: str, profile: str | None, services: list[str], host: str, port: int, *, threads: int | None = None,
         concurrency: int | None = None, grace: float = 30.0) -> int:
    """Run until SIGTERM or Ctrl+C; 0 after a clean stop, 1 for a project that cannot run."""
    from hypnoscript.project.report import emit
    from hypnoscript.services.process import run_single
    from hypnoscript.services.settings import load_settings

    try:
        settings = load_settings(root, profile, services)
        tracing = Tracing.from_settings(settings)
        if tracing.provider is not None:
            from opentelemetry import trace

            trace.set_tracer_provider(tracing.provider)
        logs = Logs(settings.log_level, settings.log_format)
        from hypnoscript.services.security import tls

        secure = tls.uvicorn_options(tls.tls_settings(settings.config, settings.root))  # the same TLS as hyp serve
        app = build_worker(settings, logs=logs, tracing=tracing, threads=threads, concurrency=concurrency,
                           grace=grace)
    except DiagnosticError as exc:
        emit(exc.diagnostics)
        return 1
    from hypnoscript.services.observability.logging import uvicorn_log_config

    config = {"host": host, "port": port, "lifespan": "on", "access_log": False, "server_header": False,
              "timeout_graceful_shutdown": grace,
              "log_config": uvicorn_log_config(settings.log_level, settings.log_format), **secure}
    return run_single(app, config)

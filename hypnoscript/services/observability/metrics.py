"""Prometheus metrics of the HTTP services, served at `observability.metrics.path`.

- `hyp_http_requests_total{service,route,method,status}`
- `hyp_http_request_duration_seconds{service,route,method}` (histogram)
- `hyp_http_requests_in_flight`
- `hyp_handler_errors_total{service,route,kind}` (`kind` is `error` or `timeout`)

`route` is the configured path template (`/items/{id}`), never the raw path, so the number of
series stays bounded. With `--workers N` every worker writes its values to files under
`PROMETHEUS_MULTIPROC_DIR` and a scrape of any worker adds up all of them (prometheus-client's
multiprocess mode; the in-flight gauge sums live workers only).
"""

from __future__ import annotations

import os

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class Metrics:
    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.multiprocess = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
        # Each app gets its own registry, so several apps in one process (tests) never clash; in
        # multiprocess mode the values live in files and a scrape builds a fresh registry.
        registry = None if self.multiprocess else CollectorRegistry()
        if registry is not None:
            from prometheus_client import GC_COLLECTOR, PLATFORM_COLLECTOR, PROCESS_COLLECTOR

            for collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
                registry.register(collector)
        self.registry = registry
        self.requests = Counter("hyp_http_requests", "HTTP requests served",
                                ("service", "route", "method", "status"), registry=registry)
        self.duration = Histogram("hyp_http_request_duration_seconds", "Time from request to response",
                                  ("service", "route", "method"), buckets=BUCKETS, registry=registry)
        self.in_flight = Gauge("hyp_http_requests_in_flight", "Requests being served",
                               registry=registry, multiprocess_mode="livesum")
        self.errors = Counter("hyp_handler_errors", "Route handlers that failed (error) or ran past "
                              "their timeout (timeout)", ("service", "route", "kind"), registry=registry)
        self._series: dict[tuple, tuple] = {}

    def observe(self, service: str, route: str, method: str, status: int, seconds: float) -> None:
        key = (service, route, method, status)
        series = self._series.get(key)
        if series is None:
            series = (self.requests.labels(service, route, method, str(status)),
                      self.duration.labels(service, route, method))
            self._series[key] = series
        series[0].inc()
        series[1].observe(seconds)

    def handler_failed(self, service: str, route: str, kind: str) -> None:
        self.errors.labels(service, route, kind).inc()

    def render(self) -> bytes:
        if self.registry is not None:
            return generate_latest(self.registry)
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)

    def close(self) -> None:
        """At shutdown: a worker's in-flight gauge stops counting."""
        if self.multiprocess:
            from prometheus_client import multiprocess

            multiprocess.mark_process_dead(os.getpid())

"""Prometheus metrics of the HTTP services, served at `observability.metrics.path`.

- `hyp_http_requests_total{service,route,method,status}`
- `hyp_http_request_duration_seconds{service,route,method}` (histogram)
- `hyp_http_requests_in_flight`
- `hyp_handler_errors_total{service,route,kind}` (`kind` is `error` or `timeout`)

- `hyp_db_calls_total`, `hyp_db_errors_total`, `hyp_db_duration_seconds` (histogram) and the same
  for `hyp_cache_*` and `hyp_events_*` (publishing), each labelled `{backend,operation}`: database,
  cache and broker calls of handlers

`route` is the configured path template (`/items/{id}`), never the raw path, so the number of
series stays bounded.

Values are counted in plain dictionaries on the event loop (the only writer), which keeps the
request path cheap; in one process they become metric families when scraped. With `--workers N`
(`PROMETHEUS_MULTIPROC_DIR` set) each worker also adds its counts to prometheus-client's
multiprocess metrics, files shared by the workers, in batches: at least once a second and
whenever it answers a scrape; a scrape of any worker adds up all of them (the in-flight gauge
sums live workers only). A worker's latest second of counts may be missing from another
worker's answer.
"""

from __future__ import annotations

import os
from bisect import bisect_left

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
_HELP = {
    "requests": "HTTP requests served",
    "duration": "Time from request to response",
    "in_flight": "Requests being served",
    "errors": "Route handlers that failed (error) or ran past their timeout (timeout)",
}


class _LocalCollector:
    """The metric families of one process, built at scrape time from the loop's counts."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def collect(self):
        m = self.metrics
        requests = CounterMetricFamily("hyp_http_requests", _HELP["requests"],
                                       labels=("service", "route", "method", "status"))
        merged: dict[tuple, list] = {}
        for (service, route, method, status), counts in m.series.items():
            requests.add_metric((service, route, method, str(status)), counts[-1])
            total = merged.setdefault((service, route, method), [0] * len(counts) + [0.0])
            for i, n in enumerate(counts):
                total[i] += n
            total[-1] += m.sums[(service, route, method, status)]
        duration = HistogramMetricFamily("hyp_http_request_duration_seconds", _HELP["duration"],
                                         labels=("service", "route", "method"))
        for labels, total in merged.items():
            cumulative, buckets = 0, []
            for bound, n in zip((*map(repr, BUCKETS), "+Inf"), total[:-2]):
                cumulative += n
                buckets.append((bound, cumulative))
            duration.add_metric(labels, buckets, total[-1])
        in_flight = GaugeMetricFamily("hyp_http_requests_in_flight", _HELP["in_flight"], value=m.in_flight)
        errors = CounterMetricFamily("hyp_handler_errors", _HELP["errors"], labels=("service", "route", "kind"))
        for labels, n in m.errors.items():
            errors.add_metric(labels, n)
        return [requests, duration, in_flight, errors]


class _SharedMetrics:
    """prometheus-client metrics in multiprocess mode (values in files shared by the workers)."""

    def __init__(self) -> None:
        from prometheus_client import Counter, Gauge, Histogram

        self.requests = Counter("hyp_http_requests", _HELP["requests"], ("service", "route", "method", "status"),
                                registry=None)
        self.duration = Histogram("hyp_http_request_duration_seconds", _HELP["duration"],
                                  ("service", "route", "method"), buckets=BUCKETS, registry=None)
        self.in_flight = Gauge("hyp_http_requests_in_flight", _HELP["in_flight"], registry=None,
                               multiprocess_mode="livesum")
        self.errors = Counter("hyp_handler_errors", _HELP["errors"], ("service", "route", "kind"), registry=None)
        self.histograms: dict[tuple, object] = {}
        self.published_errors: dict[tuple, int] = {}  # handler errors already added to the shared counter
        # per (service, route, method, status): bucket counts, total and sum already shared
        self.published_counts: dict[tuple, list[int]] = {}
        self.published_sums: dict[tuple, float] = {}

    def add_series(self, key: tuple, counts: list[int], total: float) -> None:
        """Add what one series observed since the last call, as a batch: to the request counter, and
        per bucket and to the sum of the histogram (prometheus-client's histogram child keeps one
        shared value per bucket, `_buckets`, and one for the sum, `_sum`; it has no public call
        for a batch)."""
        before = self.published_counts.get(key)
        if before is None:
            before = self.published_counts[key] = [0] * len(counts)
            self.published_sums[key] = 0.0
        if counts[-1] == before[-1]:
            return
        self.requests.labels(key[0], key[1], key[2], str(key[3])).inc(counts[-1] - before[-1])
        child = self.histograms.get(key[:3])
        if child is None:
            child = self.histograms[key[:3]] = self.duration.labels(*key[:3])
        for i, (now, then) in enumerate(zip(counts[:-1], before)):
            if now != then:
                child._buckets[i].inc(now - then)
        child._sum.inc(total - self.published_sums[key])
        before[:] = counts
        self.published_sums[key] = total


class _DataMetrics:
    """Database and cache calls. They happen on handler threads, not on the event loop, so they go
    straight to prometheus-client's thread-safe metrics (shared files with `--workers N`)."""

    def __init__(self, registry) -> None:
        from prometheus_client import Counter, Histogram

        self.series = {}
        for kind, what in (("db", "Database"), ("cache", "Cache"), ("events", "Event broker")):
            labels = ("backend", "operation")
            self.series[kind] = (
                Counter(f"hyp_{kind}_calls", f"{what} calls made by handlers", labels, registry=registry),
                Counter(f"hyp_{kind}_errors", f"{what} calls that failed", labels, registry=registry),
                Histogram(f"hyp_{kind}_duration_seconds", f"Time a {what.lower()} call took", labels,
                          buckets=BUCKETS, registry=registry),
            )

    def call(self, kind: str, backend: str, operation: str, seconds: float, failed: bool) -> None:
        calls, errors, duration = self.series[kind]
        calls.labels(backend, operation).inc()
        if failed:
            errors.labels(backend, operation).inc()
        duration.labels(backend, operation).observe(seconds)


class Metrics:
    content_type = CONTENT_TYPE_LATEST
    PUBLISH_INTERVAL = 1.0  # seconds between pushes of a worker's counts to the shared files

    def __init__(self) -> None:
        self.multiprocess = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
        # per (service, route, method, status): request counts per bucket, then the total
        self.series: dict[tuple, list[int]] = {}
        self.sums: dict[tuple, float] = {}
        self.errors: dict[tuple, int] = {}
        self.in_flight = 0
        if self.multiprocess:
            self._shared = _SharedMetrics()
            self.registry = None
        else:
            from prometheus_client import (
                GC_COLLECTOR,
                PLATFORM_COLLECTOR,
                PROCESS_COLLECTOR,
            )

            # each app its own registry, so that several apps in one process (tests) never clash
            self.registry = CollectorRegistry()
            for collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR, _LocalCollector(self)):
                self.registry.register(collector)
        self._data = _DataMetrics(self.registry)

    def started(self) -> None:
        """A request began (on the event loop)."""
        self.in_flight += 1

    def observe(self, service: str, route: str, method: str, status: int, seconds: float) -> None:
        """A request ended (on the event loop)."""
        self.in_flight -= 1
        key = (service, route, method, status)
        counts = self.series.get(key)
        if counts is None:
            counts = self.series[key] = [0] * (len(BUCKETS) + 2)
            self.sums[key] = 0.0
        counts[bisect_left(BUCKETS, seconds)] += 1
        counts[-1] += 1
        self.sums[key] += seconds

    def data_call(self, kind: str, backend: str, operation: str, seconds: float, failed: bool) -> None:
        """A database (`kind` db) or cache call ended (on a handler thread)."""
        self._data.call(kind, backend, operation, seconds, failed)

    def handler_failed(self, service: str, route: str, kind: str) -> None:
        key = (service, route, kind)
        self.errors[key] = self.errors.get(key, 0) + 1

    def publish(self) -> None:
        """Multiprocess mode: add the counts since the last call to the shared counters, and set this
        worker's in-flight gauge (every PUBLISH_INTERVAL while serving, and at shutdown)."""
        if not self.multiprocess:
            return
        shared = self._shared
        for key, counts in self.series.items():
            shared.add_series(key, counts, self.sums[key])
        for key, n in self.errors.items():
            delta = n - shared.published_errors.get(key, 0)
            if delta:
                shared.errors.labels(*key).inc(delta)
                shared.published_errors[key] = n
        shared.in_flight.set(self.in_flight)

    async def publish_periodically(self) -> None:
        import asyncio

        if not self.multiprocess:
            return
        while True:
            await asyncio.sleep(self.PUBLISH_INTERVAL)
            self.publish()

    def render(self) -> bytes:
        if self.registry is not None:
            return generate_latest(self.registry)
        from prometheus_client import multiprocess

        self.publish()  # this worker's counts are current in what it answers
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)

    def close(self) -> None:
        """At shutdown: the last counts out, and the worker's in-flight gauge stops counting."""
        if self.multiprocess:
            from prometheus_client import multiprocess

            self.publish()
            multiprocess.mark_process_dead(os.getpid())

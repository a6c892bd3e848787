"""Prometheus metrics of the HTTP services, served at `observability.metrics.path`.

- `hyp_http_requests_total{service,route,method,status}`
- `hyp_http_request_duration_seconds{service,route,method}` (histogram)
- `hyp_http_requests_in_flight`
- `hyp_handler_errors_total{service,route,kind}` (`kind` is `error` or `timeout`)

`route` is the configured path template (`/items/{id}`), never the raw path, so the number of
series stays bounded.

One process: values are counted in plain dictionaries on the event loop (the only writer) and
turned into metric families when scraped, which keeps the request path cheap. With `--workers N`
(`PROMETHEUS_MULTIPROC_DIR` set) every worker records into prometheus-client's multiprocess
metrics, files shared by the workers, and a scrape of any worker adds up all of them (the
in-flight gauge sums live workers only).
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


class Metrics:
    content_type = CONTENT_TYPE_LATEST

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

    def started(self) -> None:
        """A request began (on the event loop)."""
        self.in_flight += 1
        if self.multiprocess:
            self._shared.in_flight.inc()

    def observe(self, service: str, route: str, method: str, status: int, seconds: float) -> None:
        """A request ended (on the event loop)."""
        self.in_flight -= 1
        if self.multiprocess:
            shared = self._shared
            shared.in_flight.dec()
            shared.requests.labels(service, route, method, str(status)).inc()
            shared.duration.labels(service, route, method).observe(seconds)
            return
        key = (service, route, method, status)
        counts = self.series.get(key)
        if counts is None:
            counts = self.series[key] = [0] * (len(BUCKETS) + 2)
            self.sums[key] = 0.0
        counts[bisect_left(BUCKETS, seconds)] += 1
        counts[-1] += 1
        self.sums[key] += seconds

    def handler_failed(self, service: str, route: str, kind: str) -> None:
        if self.multiprocess:
            self._shared.errors.labels(service, route, kind).inc()
            return
        key = (service, route, kind)
        self.errors[key] = self.errors.get(key, 0) + 1

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

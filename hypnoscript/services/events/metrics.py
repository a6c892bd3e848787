"""Prometheus metrics of `hyp worker`:

- `hyp_events_handled_total{topic,group,outcome}` (`acked`, `retried`, `dead_lettered`)
- `hyp_event_handler_duration_seconds{topic,group}` (histogram)
- `hyp_event_lag_seconds{topic,group}`: from publishing to settling (histogram; consumer lag)
- `hyp_events_queue{topic,state}`: `pending`, `in_flight` and `dead_letter` events (queue depth)
- `hyp_schedule_runs_total{schedule,outcome}` (`ok`, `error`, `skipped` when another worker ran it)
"""

from __future__ import annotations

import datetime

from hypnoscript.services.observability.metrics import BUCKETS

LAG_BUCKETS = (0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0)


class EventMetrics:
    def __init__(self, registry) -> None:
        from prometheus_client import Counter, Gauge, Histogram

        self._handled = Counter("hyp_events_handled", "Events handled, by outcome", ("topic", "group", "outcome"),
                                registry=registry)
        self._duration = Histogram("hyp_event_handler_duration_seconds", "Time an event handler took",
                                   ("topic", "group"), buckets=BUCKETS, registry=registry)
        self._lag = Histogram("hyp_event_lag_seconds", "Time from publishing an event to settling it",
                              ("topic", "group"), buckets=LAG_BUCKETS, registry=registry)
        self._queue = Gauge("hyp_events_queue", "Events waiting, leased to consumers, or dead-lettered",
                            ("topic", "state"), registry=registry)
        self._runs = Counter("hyp_schedule_runs", "Scheduled runs, by outcome", ("schedule", "outcome"),
                             registry=registry)

    def handled(self, topic: str, group: str, outcome: str, seconds: float, published_at: str | None) -> None:
        self._handled.labels(topic, group, outcome).inc()
        self._duration.labels(topic, group).observe(seconds)
        if published_at:
            try:
                stamp = datetime.datetime.fromisoformat(published_at.replace("Z", "+00:00"))
            except ValueError:
                return
            lag = (datetime.datetime.now(datetime.timezone.utc) - stamp).total_seconds()
            self._lag.labels(topic, group).observe(max(lag, 0.0))

    def queue(self, stats: list[dict]) -> None:
        for row in stats:
            for state, key in (("pending", "pending"), ("in_flight", "inFlight"), ("dead_letter", "deadLetter")):
                self._queue.labels(row["topic"], state).set(row[key])

    def schedule_run(self, schedule: str, outcome: str) -> None:
        self._runs.labels(schedule, outcome).inc()

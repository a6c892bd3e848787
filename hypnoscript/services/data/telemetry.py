"""Metrics and traces of database, cache and publishing calls made by served HypnoScript code.

A server attaches a `DataObserver` to its infrastructure; programs run by `hyp exec` have none,
so their calls pay nothing for it. Each call becomes a child span of the current one (the
handler's) and is counted in `hyp_db_*` / `hyp_cache_*` metrics labelled by backend and operation.
"""

from __future__ import annotations

import time

from hypnoscript.runtime.errors import HypError


class DataObserver:
    def __init__(self, metrics, tracing) -> None:
        self.metrics = metrics
        self.tracing = tracing

    def trace_headers(self) -> dict:
        """`traceparent` (and `tracestate`) of the current span, for an event's headers."""
        return self.tracing.inject() if self.tracing.enabled else {}

    def observe(self, kind: str, backend: str, operation: str, statement: str | None, run, args):
        span = None
        if self.tracing.enabled:
            if kind == "events":  # `statement` is the topic
                attributes = {"messaging.system": backend, "messaging.operation": operation,
                              "messaging.destination.name": statement}
            else:
                attributes = {"db.system": backend, "db.operation": operation}
                if statement is not None:
                    attributes["db.statement"] = statement
            span = self.tracing.child_span(f"{kind} {operation}", attributes)
        started = time.perf_counter()
        failed = True
        try:
            result = run(*args)
            failed = False
            return result
        except HypError as error:
            if span is not None:
                self.tracing.fail_span(span, error.message)
            raise
        finally:
            self.metrics.data_call(kind, backend, operation, time.perf_counter() - started, failed)
            if span is not None:
                span.end()

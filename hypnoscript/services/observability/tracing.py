"""OpenTelemetry spans: one SERVER span per request, one child span per handler call.

An incoming W3C `traceparent` is continued: the request span joins the caller's trace. The handler
span is the current OpenTelemetry context inside the handler thread, so anything that injects
`traceparent` into outgoing calls continues the trace further.

The exporter comes from `observability.tracing.exporter`: `none` (default), `console` (one JSON
span per line on stderr) or `otlp` (HTTP, `endpoint`). With `none` no SDK work happens per request:
log lines still carry a trace id (the caller's, or a fresh one) and a span id.
"""

from __future__ import annotations

import sys
from random import getrandbits

_HEX = frozenset("0123456789abcdef")
_ZERO_TRACE = "0" * 32
_ZERO_SPAN = "0" * 16


def new_ids() -> tuple[str, str, str]:
    """A fresh request id, trace id and span id in hex (128, 128 and 64 random bits, never zero),
    from one draw. (Not `os.urandom`: it releases the GIL, and on a busy server every release lets
    a handler thread take the GIL away from the event loop.)"""
    while True:
        digits = f"{getrandbits(320):080x}"
        request_id, trace_id, span_id = digits[:32], digits[32:64], digits[64:]
        if request_id != _ZERO_TRACE and trace_id != _ZERO_TRACE and span_id != _ZERO_SPAN:
            return request_id, trace_id, span_id


def parse_traceparent(value: str | None) -> str | None:
    """The trace id of a valid `traceparent` header (version-traceid-parentid-flags), else None."""
    if not value:
        return None
    parts = value.strip().lower().split("-")
    if len(parts) < 4 or len(parts[0]) != 2 or parts[0] == "ff" or len(parts[1]) != 32 or len(parts[2]) != 16:
        return None
    if not set(parts[0] + parts[1] + parts[2] + parts[3]) <= _HEX:
        return None
    if parts[1] == _ZERO_TRACE or parts[2] == _ZERO_SPAN:
        return None
    return parts[1]


def traces_url(endpoint: str) -> str:
    """The collector's traces URL: a bare `http://collector:4318` gets the standard `/v1/traces`."""
    from urllib.parse import urlsplit

    return endpoint.rstrip("/") + "/v1/traces" if urlsplit(endpoint).path in ("", "/") else endpoint


class Tracing:
    def __init__(self, provider=None) -> None:
        self.provider = provider
        self.enabled = provider is not None
        if self.enabled:
            from opentelemetry import context, trace
            from opentelemetry.trace import SpanKind, StatusCode
            from opentelemetry.trace.propagation.tracecontext import (
                TraceContextTextMapPropagator,
            )

            self._tracer = provider.get_tracer("hypnoscript.services")
            self._propagator = TraceContextTextMapPropagator()
            self._trace = trace
            self._context = context
            self._server = SpanKind.SERVER
            self._error = StatusCode.ERROR

    @classmethod
    def from_settings(cls, settings) -> Tracing:
        if settings.trace_exporter == "none":
            return cls(None)
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
        from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

        if settings.trace_exporter == "console":
            from opentelemetry.sdk.trace.export import ConsoleSpanExporter

            exporter = ConsoleSpanExporter(out=sys.stderr, formatter=lambda span: span.to_json(indent=None) + "\n")
        else:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
                OTLPSpanExporter,
            )

            exporter = OTLPSpanExporter(endpoint=traces_url(settings.trace_endpoint)) if settings.trace_endpoint \
                else OTLPSpanExporter()
        resource = Resource.create({"service.name": settings.trace_service_name,
                                    "service.version": settings.version})
        provider = TracerProvider(resource=resource, sampler=ParentBased(TraceIdRatioBased(settings.trace_sampling)))
        provider.add_span_processor(BatchSpanProcessor(exporter))
        return cls(provider)

    def start(self, info, traceparent: str | None, tracestate: str | None) -> None:
        """Open the request's span; with tracing off, keep the fresh ids `info` came with, joining
        the caller's trace when it sent one."""
        if not self.enabled:
            if traceparent:
                info.trace_id = parse_traceparent(traceparent) or info.trace_id
            return
        parent = None
        if traceparent:
            carrier = {"traceparent": traceparent}
            if tracestate:
                carrier["tracestate"] = tracestate
            parent = self._propagator.extract(carrier)
        span = self._tracer.start_span(info.method, context=parent, kind=self._server,
                                       attributes={"http.request.method": info.method, "url.path": info.path,
                                                   "http.request.id": info.request_id})
        ctx = span.get_span_context()
        info.trace_id = format(ctx.trace_id, "032x")
        info.span_id = format(ctx.span_id, "016x")
        info.trace = span

    def finish(self, info) -> None:
        span = info.trace
        if span is None:
            return
        span.update_name(f"{info.method} {info.route}")
        span.set_attribute("http.route", info.route)
        span.set_attribute("hyp.service", info.service)
        span.set_attribute("http.response.status_code", info.status)
        if info.status >= 500:
            span.set_status(self._error)
        span.end()

    def handler_start(self, info, name: str):
        """In the handler thread: a child span made current; returns what `handler_end` needs."""
        parent = self._trace.set_span_in_context(info.trace)
        span = self._tracer.start_span(f"handler {name}", context=parent,
                                       attributes={"hyp.service": info.service, "hyp.handler": name})
        token = self._context.attach(self._trace.set_span_in_context(span))
        return span, token

    def handler_end(self, started, error: str | None) -> None:
        span, token = started
        if error is not None:
            span.set_status(self._error, error)
        span.end()
        self._context.detach(token)

    def child_span(self, name: str, attributes: dict):
        """A span under the current one (a handler's, in its thread); the caller ends it."""
        return self._tracer.start_span(name, attributes=attributes)

    def consumer_start(self, name: str, headers: dict, attributes: dict):
        """In a handler thread: a span for an event or scheduled run, continuing the publisher's
        trace when the event's headers carry one; made current. Returns what `consumer_end` needs,
        then the trace and span ids."""
        from opentelemetry.trace import SpanKind

        carrier = {k: headers[k] for k in ("traceparent", "tracestate") if isinstance(headers.get(k), str)}
        parent = self._propagator.extract(carrier) if carrier else None
        span = self._tracer.start_span(name, context=parent, kind=SpanKind.CONSUMER, attributes=attributes)
        token = self._context.attach(self._trace.set_span_in_context(span))
        ctx = span.get_span_context()
        return span, token, format(ctx.trace_id, "032x"), format(ctx.span_id, "016x")

    def consumer_end(self, started, error: str | None) -> None:
        self.handler_end(started[:2], error)

    def inject(self) -> dict:
        """The W3C trace context of the current span, as headers."""
        carrier: dict = {}
        self._propagator.inject(carrier)
        return carrier

    def fail_span(self, span, message: str) -> None:
        span.set_status(self._error, message)

    def shutdown(self) -> None:
        if self.provider is not None:
            self.provider.shutdown()

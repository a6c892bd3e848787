"""What is known about the request being served: its ids and labels, shared by the log lines,
metrics and spans it produces. The middleware creates one per request; handler threads make it
current (a context variable) so that `LogEvent` and `observe` inside a handler carry its ids."""

from __future__ import annotations

import contextvars

SYSTEM_SERVICE = "system"  # the service label of /healthz, /readyz, /metrics, /openapi.json
UNMATCHED = "unmatched"  # the service and route labels of a request no route matched


class RequestInfo:
    __slots__ = ("method", "path", "request_id", "responded", "route", "service", "span_id", "status", "trace",
                 "trace_id")

    def __init__(self, request_id: str, method: str, path: str) -> None:
        self.request_id = request_id
        self.method = method
        self.path = path
        self.trace_id = ""
        self.span_id = ""
        self.service = UNMATCHED
        self.route = UNMATCHED
        self.status = 500
        self.responded = False  # the response has started (its status is final)
        self.trace = None  # the request's span handle when tracing is on

    def id_header(self) -> tuple[bytes, bytes]:
        """The `X-Request-ID` header every response of the request carries."""
        return b"x-request-id", self.request_id.encode("ascii")

    def ids(self) -> dict:
        return {"service": self.service, "route": self.route, "request_id": self.request_id,
                "trace_id": self.trace_id, "span_id": self.span_id}


CURRENT: contextvars.ContextVar[RequestInfo | None] = contextvars.ContextVar("hyp_request", default=None)

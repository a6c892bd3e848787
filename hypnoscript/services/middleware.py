"""The one middleware every request passes: request id, trace context, in-flight gauge, and after
the response the request metrics, the span's end and the request's log line. It is the whole
middleware stack of the app: it also turns the router's 404 and 405, and any server bug, into
JSON error bodies.

Pure ASGI (no per-request Request object). The route labels are read after routing: Starlette's
router records the matched route in the scope, and configured routes carry their service name.
"""

from __future__ import annotations

import time

from starlette.exceptions import HTTPException

from hypnoscript.services.handlers import error_outcome
from hypnoscript.services.observability.tracing import new_ids
from hypnoscript.services.scope import SYSTEM_SERVICE, UNMATCHED, RequestInfo

_ID_CHARS = frozenset(range(0x21, 0x7F))
MAX_ID_LENGTH = 200


def request_id_from(raw: bytes | None, fresh: str) -> str:
    """An incoming `X-Request-ID` when it is sensible (printable ASCII, bounded), else `fresh`."""
    if raw and len(raw) <= MAX_ID_LENGTH and set(raw) <= _ID_CHARS:
        return raw.decode("ascii")
    return fresh


class ObserveRequests:
    def __init__(self, app, *, logs, metrics, tracing) -> None:
        self.app = app
        self.logs = logs
        self.metrics = metrics
        self.tracing = tracing

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        rid = traceparent = tracestate = None
        bodiless = True
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                rid = value
            elif name == b"traceparent":
                traceparent = value.decode("latin-1")
            elif name == b"tracestate":
                tracestate = value.decode("latin-1")
            elif name == b"content-length" or name == b"transfer-encoding":
                bodiless = False
        scope["hyp.bodiless"] = bodiless  # HTTP/1.1: no body unless one of those two headers announces it
        request_id, trace_id, span_id = new_ids()
        info = RequestInfo(request_id_from(rid, request_id), scope["method"], scope["path"])
        info.trace_id = trace_id
        info.span_id = span_id
        scope["hyp.request"] = info
        # configured routes answer through `send` itself (see handlers.respond): one wrapper less
        scope["hyp.send"] = send
        self.tracing.start(info, traceparent, tracestate)
        id_header = info.id_header()

        async def send_with_id(message) -> None:
            if message["type"] == "http.response.start":
                info.responded = True
                info.status = message["status"]
                message["headers"] = [*message.get("headers", ()), id_header]
            await send(message)

        self.metrics.started()
        try:
            await self.app(scope, receive, send_with_id)
        except HTTPException as exc:  # the router's 404 and 405
            outcome = error_outcome(exc.status_code, f"{info.method} {info.path}: {exc.detail}", info.request_id)
            extra = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (exc.headers or {}).items()]
            await send_with_id({"type": "http.response.start", "status": exc.status_code,
                                "headers": outcome.headers + extra})
            await send_with_id({"type": "http.response.body", "body": outcome.body})
        except Exception as exc:  # noqa: BLE001 - a server bug must still answer with JSON and be logged
            self.logs.event("error", "internal error", error=f"{type(exc).__name__}: {exc}", **info.ids())
            if not info.responded:
                outcome = error_outcome(500, "internal server error", info.request_id)
                await send_with_id({"type": "http.response.start", "status": 500, "headers": outcome.headers})
                await send_with_id({"type": "http.response.body", "body": outcome.body})
        finally:
            # uvicorn's `send` is a method of the object that holds this scope: left in the scope,
            # it would make every request a reference cycle for the garbage collector to find
            del scope["hyp.send"]
            if info.service == UNMATCHED:
                route = scope.get("route")
                if route is not None:
                    info.route = route.path
                    info.service = getattr(route, "hyp_service", SYSTEM_SERVICE)
            duration = time.perf_counter() - start
            self.metrics.observe(info.service, info.route, info.method, info.status, duration)
            self.tracing.finish(info)
            self.logs.request(info, duration, quiet=info.service == SYSTEM_SERVICE)

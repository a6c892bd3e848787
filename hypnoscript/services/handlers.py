"""Calling HypnoScript route handlers: the request value, the pool of handler threads with
deadlines, and turning what a handler returns (or raises) into an HTTP response.

Why threads: HypnoScript code is synchronous, so a handler must not run on the event loop, where
one slow handler would stall every other request. Handler threads keep the request path cheap (no
pickling, modules loaded once per process); `--workers N` adds processes for CPU parallelism. The
exception are handlers proven quick (services.inline): they run on the event loop, which saves
the hand-off.

Why a pool of our own rather than `run_in_executor`: a handler that runs past its deadline is
answered with 504 at once and then *stopped*. HypnoScript compiles to Python bytecode, so the pool
raises `HandlerStopped` inside the handler's thread (`PyThreadState_SetAsyncExc`), which the
interpreter delivers at the next function call or loop iteration of the handler; `catch` in
HypnoScript catches only errors, so the handler cannot swallow it. A handler blocked inside a
single long call (a `Drift`, a slow network read) stops when that call returns; until then it
does not count against the pool's size, so another thread takes over the waiting requests. The
threads get the large stack the engine uses for deep recursion.
"""

from __future__ import annotations

import collections
import ctypes
import json
import sys
import threading
import time
from asyncio import CancelledError
from http import HTTPStatus
from urllib.parse import parse_qsl

from hypnoscript.runtime.builtins.http_service import HypFail, is_response
from hypnoscript.runtime.builtins.support import parse_json, to_json
from hypnoscript.runtime.context import activate
from hypnoscript.runtime.errors import HypError, HypExit, HypTypeError
from hypnoscript.runtime.values import Record, type_name
from hypnoscript.services.inline import INLINE_BUDGET
from hypnoscript.services.scope import CURRENT

_PENDING, _RUNNING, _STOPPING, _DONE = range(4)
STACK_SIZE = 512 * 1024 * 1024  # address space only: pages are touched as a deep recursion grows

_set_async_exc = ctypes.pythonapi.PyThreadState_SetAsyncExc
_set_async_exc.argtypes = (ctypes.c_ulong, ctypes.py_object)
_set_async_exc.restype = ctypes.c_int

JSON_TYPE = b"application/json"
def _resolve(future, outcome) -> None:
    if not future.done():
        future.set_result(outcome)


class HandlerStopped(BaseException):
    """Raised inside a handler thread whose request ran past its deadline."""


class _StopTaken(HandlerStopped):
    """Takes the place of a stop that arrived after its handler had finished (see _take_pending_stop)."""


def _no_op() -> None:
    pass


def _take_pending_stop() -> None:
    """In a handler thread: take a stop sent to it that has not been delivered yet.

    Dropping it with `PyThreadState_SetAsyncExc(id, NULL)` would leave CPython's interpreter-wide
    "asynchronous exception pending" signal on for good: every thread would then check for it on
    every call and loop iteration, and a thread with a profile or trace function (the profiling
    builtins) would spin forever at its next call. So the stop is replaced by a marker that is
    delivered here, at once (when the interpreter next checks its eval breaker: on return from the
    call that sets it, at a function's start or a loop's backward jump), which clears the signal."""
    try:
        _set_async_exc(threading.get_ident(), _StopTaken)
        _no_op()
        for _ in range(2):
            pass
    except _StopTaken:
        pass


class Outcome:
    """A finished request: what to send, and for failures what to log (`kind` error or timeout)."""

    __slots__ = ("body", "headers", "kind", "report", "status")

    def __init__(self, status: int, headers: list, body: bytes, kind: str | None = None,
                 report: dict | None = None) -> None:
        self.status = status
        self.headers = headers
        self.body = body
        self.kind = kind
        self.report = report


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def dumps(value: object) -> bytes:
    return _ENCODER.encode(value).encode("utf-8")


def json_outcome(status: int, payload: object, kind: str | None = None, report: dict | None = None) -> Outcome:
    body = dumps(payload)
    headers = [(b"content-type", JSON_TYPE), (b"content-length", str(len(body)).encode())]
    return Outcome(status, headers, body, kind, report)


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def error_outcome(status: int, message: str, request_id: str, kind: str | None = None,
                  report: dict | None = None, code: str | None = None) -> Outcome:
    """The JSON error body every failure uses: status, reason, message, request id."""
    payload = {"status": status, "error": _reason(status), "message": message,
               "request_id": request_id}
    if code is not None:
        payload["code"] = code
    return json_outcome(status, payload, kind, report)


class BadRequest(Exception):
    pass


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def request_value(scope: dict, body: bytes, request_id: str, reads: frozenset[str] | None = None) -> dict:
    """The `request` a handler receives (numbers as HypnoScript numbers, header names lower case;
    a query key given twice becomes an array). With `reads`, the handler can reach only those
    fields, and the headers, query and params are built only when among them; the body is always
    parsed, so that a malformed one is a 400 whatever the handler reads."""
    raw_headers = scope["headers"]
    headers: dict[str, str] | None = None
    if reads is None or "headers" in reads:
        headers = {}
        for raw_name, raw_value in raw_headers:
            name = raw_name.decode("latin-1")  # ASGI servers give header names in lower case
            value = raw_value.decode("latin-1")
            headers[name] = headers[name] + ", " + value if name in headers else value
    if body:
        if headers is not None:
            content_type = headers.get("content-type", "")
        else:
            content_type = next((v.decode("latin-1") for k, v in raw_headers if k == b"content-type"), "")
        parsed = _body(body, content_type)
    else:
        parsed = None
    request = {"method": scope["method"], "path": scope["path"]}
    if reads is None or "params" in reads:
        request["params"] = {k: float(v) if type(v) in (int, float) else str(v)
                             for k, v in scope["path_params"].items()}
    if reads is None or "query" in reads:
        request["query"] = _query(scope["query_string"])
    if headers is not None:
        request["headers"] = headers
    request["body"] = parsed
    user = scope.get("hyp.user")
    request["user"] = None if user is None else user.value()
    request["id"] = request_id
    return request


def _query(raw_query: bytes) -> dict[str, object]:
    query: dict[str, object] = {}
    for key, value in parse_qsl(raw_query.decode("latin-1"), keep_blank_values=True) if raw_query else ():
        if key in query:
            prior = query[key]
            query[key] = prior + [value] if type(prior) is list else [prior, value]
        else:
            query[key] = value
    return query


def _body(body: bytes, content_type: str) -> object:
    if not body:
        return None
    if content_type and "json" not in content_type.lower():
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            raise BadRequest("the request body is not valid UTF-8 text") from None
    try:
        return parse_json(body, _reject_constant)
    except (ValueError, RecursionError, OverflowError) as exc:
        raise BadRequest(f"malformed JSON body: {exc}") from None


def response_outcome(value: object, method: str) -> Outcome:
    """A handler's result: a `Response(status, body, headers)` value, or any value sent as JSON."""
    if not is_response(value):
        return json_outcome(200, _sendable(value))
    fields = value.fields
    status = int(fields["status"])
    headers = []
    content_type = None
    for name, text in (fields.get("headers") or {}).items():
        key = str(name).lower()
        if key == "content-length":
            continue
        try:
            headers.append((key.encode("latin-1"), str(text).encode("latin-1")))
        except UnicodeEncodeError:
            raise HypError(f"response header \"{name}\" is not Latin-1 text") from None
        if key == "content-type":
            content_type = str(text)
    body = fields.get("body")
    if body is None and (status in (204, 304) or status < 200):
        data = b""
    elif type(body) is str and content_type and "json" not in content_type.lower():
        data = body.encode("utf-8")
    else:
        data = dumps(_sendable(body))
        if content_type is None:
            headers.append((b"content-type", JSON_TYPE))
    if method == "HEAD":
        headers.append((b"content-length", str(len(data)).encode()))
        data = b""
    else:
        headers.append((b"content-length", str(len(data)).encode()))
    return Outcome(status, headers, data)


def _sendable(value: object) -> object:
    try:
        return to_json(value, "Response")
    except HypTypeError:
        raise HypTypeError(f"the handler's result cannot be sent as JSON: it holds a {_unsendable(value)}") from None


def _unsendable(value: object) -> str:
    """The kind of the first value inside `value` that has no JSON form."""
    if type(value) is list:
        items = value
    elif type(value) is dict:
        items = list(value.values())
    elif type(value) is Record:
        items = list(value.fields.values())
    else:
        return type_name(value)
    for item in items:
        try:
            to_json(item, "Response")
        except HypTypeError:
            return _unsendable(item)
    return type_name(value)


class Job:
    """One handler call travelling from the event loop to a handler thread and back."""

    __slots__ = ("args", "call", "deadline", "future", "state", "stop_sent", "thread", "timeout")

    def __init__(self, call, args: tuple, future, timeout: float) -> None:
        self.call = call
        self.args = args
        self.future = future
        self.timeout = timeout
        self.deadline = 0.0
        self.state = _PENDING
        self.thread = 0
        self.stop_sent = False


TIMED_OUT = object()  # the result of a job whose deadline passed


class HandlerPool:
    """Handler threads fed from one queue, elastic: fast handlers run back to back on one thread
    (more threads would only contend for the GIL), and when jobs are waiting, a handler has been
    running for HELP_AFTER seconds and no job finished meanwhile (handlers are slow, or blocked in
    a call), another thread is woken, up to `size`. Deadlines are kept per job and checked by one
    timer on the event loop."""

    HELP_AFTER = 0.02

    def __init__(self, size: int) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._jobs: collections.deque[Job] = collections.deque()
        self._parked: list[threading.Lock] = []  # one held lock per idle thread: releasing wakes it
        self._threads = 0
        self._active = 0
        self._stuck = 0  # threads still inside a handler stopped at its deadline
        self._stopping = False
        self._results: collections.deque = collections.deque()
        self._drain_pending = False
        # per timeout, the jobs in flight in submission order, which is also deadline order
        self._inflight: dict[float, dict[Job, None]] = {}
        self._running: dict[Job, float] = {}  # job -> when its handler started (time.monotonic)
        self._finished = 0  # jobs finished so far, and as of the last timer tick
        self._finished_at_tick = 0
        self._timer = None
        self._timer_at = 0.0
        self._loop = None

    def start(self) -> None:
        import asyncio

        from hypnoscript.engine.runner import RECURSION_LIMIT

        sys.setrecursionlimit(max(sys.getrecursionlimit(), RECURSION_LIMIT))
        self._loop = asyncio.get_running_loop()

    def loop(self):
        return self._loop

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
            parked, self._parked = self._parked, []
        for wake in parked:
            wake.release()
        if self._timer is not None:
            self._timer.cancel()

    # ---------------------------------------------------------------- on the event loop

    def submit(self, job: Job) -> None:
        now = self._loop.time()
        job.deadline = now + job.timeout
        flight = self._inflight.get(job.timeout)
        if flight is None:
            flight = self._inflight[job.timeout] = {}
        flight[job] = None
        with self._lock:
            self._jobs.append(job)
            wake = self._active == 0
        if wake:
            self._wake_one()
        check = job.deadline if wake else min(job.deadline, now + self.HELP_AFTER)
        if self._timer is None or check < self._timer_at:
            self._schedule(check)

    def cancel(self, job: Job) -> None:
        """The request went away (client gone, shutdown past its grace period): stop the handler."""
        self._inflight[job.timeout].pop(job, None)
        self._stop(job)

    def _schedule(self, when: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer_at = when
        self._timer = self._loop.call_at(when, self._tick)

    def _tick(self) -> None:
        """Answer jobs past their deadline (and stop them), and get help for jobs kept waiting."""
        self._timer = None
        now = self._loop.time()
        nearest = None
        for flight in self._inflight.values():
            expired = []
            for job in flight:
                if job.deadline > now:
                    nearest = job.deadline if nearest is None else min(nearest, job.deadline)
                    break
                expired.append(job)
            for job in expired:
                del flight[job]
                if self._stop(job):
                    _resolve(job.future, TIMED_OUT)
        with self._lock:
            busy_since = min(self._running.values()) if self._jobs and self._running else None
            stalled = self._finished == self._finished_at_tick
            self._finished_at_tick = self._finished
        if busy_since is not None:
            # Help only when nothing finished since the last look: a busy thread that keeps
            # finishing jobs is just fast work competing for the GIL, and more threads would slow it.
            if stalled and time.monotonic() - busy_since >= self.HELP_AFTER:
                self._wake_one()
            help_at = now + self.HELP_AFTER
            nearest = help_at if nearest is None else min(nearest, help_at)
        if nearest is not None:
            self._schedule(nearest)

    def _stop(self, job: Job) -> bool:
        """Stop `job` if it has not finished; True when it had not (the caller answers for it)."""
        with self._lock:
            if job.state == _DONE:
                return False
            if job.state == _RUNNING:
                job.state = _STOPPING
                job.stop_sent = True
                self._stuck += 1
                _set_async_exc(job.thread, HandlerStopped)
            else:
                job.state = _DONE
        return True

    def _wake_one(self) -> None:
        with self._lock:
            if self._stopping:
                return
            if self._parked:
                self._active += 1
                self._parked.pop().release()
                return
            if self._threads >= self.size + self._stuck:
                return
            self._threads += 1
            self._active += 1
        try:
            self._spawn()
        except BaseException:
            with self._lock:
                self._threads -= 1
                self._active -= 1
            raise

    def _spawn(self) -> None:
        old = threading.stack_size()
        try:
            threading.stack_size(STACK_SIZE)
            threading.Thread(target=self._work, name="hyp-handler", daemon=True).start()
        finally:
            threading.stack_size(old)

    def _drain(self) -> None:
        self._drain_pending = False
        results = self._results
        inflight = self._inflight
        while results:
            job, outcome = results.popleft()
            inflight[job.timeout].pop(job, None)
            _resolve(job.future, outcome)

    # ---------------------------------------------------------------- in the handler threads

    def _work(self) -> None:
        ident = threading.get_ident()
        wake = threading.Lock()
        wake.acquire()
        while True:
            with self._lock:
                job = self._jobs.popleft() if self._jobs else None
                if job is None:
                    if self._stopping or self._threads > self.size + self._stuck:
                        self._threads -= 1
                        self._active -= 1
                        return
                    self._active -= 1
                    self._parked.append(wake)
            if job is None:
                wake.acquire()
                continue
            try:
                self._run(job, ident)
            except HandlerStopped:
                # the stop landed after the handler returned, before _finish cleared it
                self._finish(job, None)

    def _run(self, job: Job, ident: int) -> None:
        with self._lock:
            if job.state != _PENDING:
                return
            job.state = _RUNNING
            job.thread = ident
            self._running[job] = time.monotonic()
        try:
            outcome = job.call(*job.args)
        except HandlerStopped:
            outcome = None
        self._finish(job, outcome)

    def _finish(self, job: Job, outcome) -> None:
        with self._lock:
            self._running.pop(job, None)
            self._finished += 1
            answer = job.state == _RUNNING
            if job.state == _STOPPING:
                self._stuck -= 1
            job.state = _DONE
            if job.stop_sent:
                _take_pending_stop()
        job.args = None
        if answer:
            self._results.append((job, outcome))
            if not self._drain_pending:
                self._drain_pending = True
                self._loop.call_soon_threadsafe(self._drain)


class RouteCall:
    """Runs one route's handler (in a handler thread, or on the event loop when inline): builds the
    request value, calls the suggestion under the service's runtime context, converts the result."""

    __slots__ = ("flush", "handler", "name", "service", "sources", "tracing")

    def __init__(self, service, handler, tracing, sources: dict, flush) -> None:
        self.service = service
        self.handler = handler
        self.name = f"{service.spec.name}.{handler.name}"
        self.tracing = tracing
        self.sources = sources
        self.flush = flush

    def __call__(self, scope: dict, body: bytes, info) -> Outcome:
        activate(self.service.context)
        started = None
        if self.tracing.enabled:
            started = self.tracing.handler_start(info, self.name)
            info = _with_span(info, started[0])
        CURRENT.set(info)
        outcome = None
        try:
            outcome = self._outcome(scope, body, info)
            return outcome
        finally:
            self.flush()
            if started is not None:
                if outcome is None:  # HandlerStopped is on its way out
                    error = "stopped at its deadline"
                else:
                    error = outcome.report["error"] if outcome.kind is not None else None
                self.tracing.handler_end(started, error)
            CURRENT.set(None)

    def _outcome(self, scope: dict, body: bytes, info) -> Outcome:
        try:
            request = request_value(scope, body, info.request_id, self.handler.reads)
        except BadRequest as exc:
            return error_outcome(400, str(exc), info.request_id)
        handler = self.handler
        try:
            result = handler.fn(request) if handler.takes_request else handler.fn()
            return response_outcome(result, info.method)
        except HypFail as exc:
            return error_outcome(exc.status, exc.message, info.request_id)
        except HypExit as exc:
            error = f"Exit({exc.status}) called in a route handler"
            return error_outcome(500, error, info.request_id, "error", {"error": error})
        except Exception as exc:  # noqa: BLE001 - every handler error becomes a 500, never a crash
            return self._failure(exc, info)

    def _failure(self, exc: BaseException, info) -> Outcome:
        details = failure_report(self.service, exc, self.sources)
        return error_outcome(500, details["error"], info.request_id, "error", details, details["code"])


def failure_report(service, exc: BaseException, sources: dict) -> dict:
    """What a failed handler (route, event or scheduled) reports: the error, its code, the
    HypnoScript diagnostic with its source excerpt, and the HypnoScript call stack."""
    from hypnoscript.engine.runner import diagnostic_for
    from hypnoscript.syntax.diagnostics import render

    report = service.program.run_error(exc)
    err = report.error
    message = err.message if type(err) is HypError else f"{err.kind}: {err.message}"
    diag = diagnostic_for(report, sources)
    return {"error": message, "code": err.code, "hyp_stack": render(diag, sources.get(diag.path)),
            "frames": [f"{f.function} at {f.path}:{f.line}:{f.col}" for f in reversed(report.frames)]}


def _with_span(info, span):
    """A copy of the request's info whose span id is the handler span's (for its log lines)."""
    from hypnoscript.services.scope import RequestInfo

    copy = RequestInfo(info.request_id, info.method, info.path)
    for name in ("trace_id", "service", "route", "status", "trace"):
        setattr(copy, name, getattr(info, name))
    copy.span_id = format(span.get_span_context().span_id, "016x")
    return copy


async def respond(scope: dict, info, outcome: Outcome) -> None:
    """Send `outcome` with the request id header, straight to the server (bypassing the
    middleware's send wrapper, which would only do the same)."""
    info.responded = True
    info.status = outcome.status
    outcome.headers.append(info.id_header())
    send = scope["hyp.send"]
    await send({"type": "http.response.start", "status": outcome.status, "headers": outcome.headers})
    await send({"type": "http.response.body", "body": outcome.body})


class RouteEndpoint:
    """The ASGI endpoint of one configured route (on the event loop): reads the body, runs a quick
    handler at once or hands the call to the pool, answers 504 at the route's deadline, records
    handler failures."""

    def __init__(self, call: RouteCall, route: str, pool: HandlerPool, timeout: float, max_body: int, metrics,
                 logs) -> None:
        self.call = call
        self.service = call.service.spec.name
        self.route = route
        self.pool = pool
        self.timeout = timeout
        self.max_body = max_body
        self.metrics = metrics
        self.logs = logs
        self.inline = call.handler.inline

    def _move_to_pool(self, seconds: float) -> None:
        self.inline = False
        self.logs.event("info", "handler moved to the handler threads", service=self.service, route=self.route,
                        handler=self.call.name, duration_ms=round(seconds * 1000.0, 3))

    async def __call__(self, scope, receive, send) -> None:
        info = scope["hyp.request"]
        info.service = self.service
        info.route = self.route
        body = b"" if scope.get("hyp.bodiless") else await _read_body(receive, self.max_body)
        if body is None:
            outcome = error_outcome(413, f"the request body is larger than {self.max_body} bytes", info.request_id)
        elif self.inline:
            # CPU time: a process preempted or paused mid-call (a busy machine, a profiler) has not
            # run a slow handler, and one such pause must not move a quick route for good
            started = time.thread_time()
            outcome = self.call(scope, body, info)
            took = time.thread_time() - started
            if took > INLINE_BUDGET:
                self._move_to_pool(took)
        else:
            job = Job(self.call, (scope, body, info), self.pool.loop().create_future(), self.timeout)
            self.pool.submit(job)
            try:
                outcome = await job.future
            except CancelledError:
                self.pool.cancel(job)
                raise
            if outcome is TIMED_OUT:
                message = f"the handler did not finish within {self.timeout:g} s"
                outcome = error_outcome(504, message, info.request_id, "timeout", {"error": message})
        if outcome.kind is not None:
            self._report(outcome, info)
        await respond(scope, info, outcome)

    def _report(self, outcome: Outcome, info) -> None:
        self.metrics.handler_failed(info.service, info.route, outcome.kind)
        level = "error" if outcome.kind == "error" else "warning"
        event = "handler error" if outcome.kind == "error" else "handler timeout"
        self.logs.event(level, event, **outcome.report, **info.ids())


async def _read_body(receive, limit: int) -> bytes | None:
    """The whole request body, or None when it is larger than `limit`."""
    chunks = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks)
        chunk = message.get("body", b"")
        if chunk:
            size += len(chunk)
            if size > limit:
                return None
            chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)

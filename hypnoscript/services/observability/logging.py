"""Structured logs on stdout with structlog: JSON lines by default, `text` for reading in a
terminal (`observability.logging.format`, `.level`).

Every line inside a request carries `service`, `route`, `request_id`, `trace_id` and `span_id`:
the request line written by the middleware, `LogEvent(...)` calls and `observe` output of the
handler (read from the current `RequestInfo`). uvicorn's own messages (start-up, shutdown) and the
tracing SDK's warnings use the same format through `uvicorn_log_config`.

The request path is the hot path, so: the request line has its own renderer (the members and
formats of the structlog pipeline, those that repeat rendered once per route), timestamps reuse
the formatted second, and while the server runs lines are written in batches (at least every
FLUSH_INTERVAL seconds, at once for warnings and errors, and at shutdown).
"""

from __future__ import annotations

import collections
import json
import logging
import sys
import threading
import time
from json.encoder import encode_basestring as _quote

import structlog

from hypnoscript.services.scope import CURRENT

FLUSH_INTERVAL = 0.1
_BATCH = 256
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str)
_LEVELS = {"debug": 10, "info": 20, "warning": 30, "error": 40, "critical": 50}


class _Clock:
    """ISO 8601 UTC timestamps with microseconds; the date and time of day are formatted once a second."""

    def __init__(self) -> None:
        self._second = -1
        self._prefix = ""

    def now(self) -> str:
        now = time.time()
        second = int(now)
        if second != self._second:
            self._prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
            self._second = second
        return f"{self._prefix}.{int((now - second) * 1e6):06d}Z"


_clock = _Clock()


def _stamp(logger, method_name: str, event: dict) -> dict:
    event["level"] = method_name
    event["time"] = _clock.now()
    return event


class LineWriter:
    """structlog's logger: rendered lines go to the stream, in batches while `batching` is on.
    Handler threads and the event loop both write: the deque's append and popleft are atomic,
    so adding a line takes no lock; flushing does, to keep batches in order."""

    def __init__(self, stream) -> None:
        self._stream = stream
        self._lines: collections.deque[str] = collections.deque()
        self._lock = threading.Lock()
        self.batching = False

    def msg(self, line: str) -> None:
        lines = self._lines
        lines.append(line)
        if not self.batching or len(lines) >= _BATCH:
            self.flush()

    debug = info = msg

    def warning(self, line: str) -> None:
        self.msg(line)
        self.flush()

    error = critical = warning

    def flush(self) -> None:
        with self._lock:
            pending = self._lines
            if pending:
                lines = [pending.popleft() for _ in range(len(pending))]
                self._stream.write("\n".join(lines) + "\n")
                self._stream.flush()


class Logs:
    def __init__(self, level: str = "info", fmt: str = "json", stream=None) -> None:
        renderer = (structlog.processors.JSONRenderer(serializer=lambda event, **_: _ENCODER.encode(event))
                    if fmt == "json" else structlog.dev.ConsoleRenderer(colors=False))
        self.writer = LineWriter(stream or sys.stdout)
        self.logger = structlog.make_filtering_bound_logger(level)(self.writer, [_stamp, renderer], {})
        self.json = fmt == "json"
        self.level = _LEVELS[level]
        # (service, route, method, level) -> the start of their request lines; bounded by the config
        self._heads: dict[tuple[str, str, str, str], str] = {}

    def request(self, info, duration: float, quiet: bool) -> None:
        """The one line a request leaves: error level for a 5xx, debug level for probes and scrapes.
        Its members that repeat (service, route, method, level) are rendered once per route."""
        status = info.status
        level = "debug" if quiet else ("error" if status >= 500 else "info")
        if _LEVELS[level] < self.level:
            return
        if not self.json:
            getattr(self.logger, level)("request", method=info.method, path=info.path, status=status,
                                        duration_ms=round(duration * 1000.0, 3), **info.ids())
            return
        key = (info.service, info.route, info.method, level)
        head = self._heads.get(key)
        if head is None:
            head = self._heads[key] = (f'{{"event":"request","service":{_quote(info.service)},'
                                       f'"route":{_quote(info.route)},"method":{_quote(info.method)},'
                                       f'"level":"{level}","path":')
        line = (f'{head}{_quote(info.path)},"status":{status},"duration_ms":{duration * 1000.0:.3f},'
                f'"request_id":{_quote(info.request_id)},"trace_id":"{info.trace_id}","span_id":"{info.span_id}",'
                f'"time":"{_clock.now()}"}}')
        if level == "error":
            self.writer.error(line)
        else:
            self.writer.msg(line)

    def event(self, level: str, message: str, **fields) -> None:
        getattr(self.logger, level)(message, **fields)

    def handler_event(self, level: str, message: str, fields: dict) -> None:
        """The sink of `LogEvent(level, message, fields)`: the request's ids win over fields."""
        info = CURRENT.get()
        data = dict(fields)
        data.pop("event", None)
        if info is not None:
            data.update(info.ids())
        getattr(self.logger, level)(message, **data)

    async def flush_periodically(self) -> None:
        """Run on the event loop while serving: batch lines, and write them out often."""
        import asyncio

        self.writer.batching = True
        try:
            while True:
                await asyncio.sleep(FLUSH_INTERVAL)
                self.writer.flush()
        finally:
            self.writer.batching = False
            self.writer.flush()


class ObserveStream:
    """The output stream of served modules: each line a handler prints with `observe` becomes a
    log line (`"source": "observe"`) with the request's ids, instead of raw text that would break
    the JSON log stream."""

    def __init__(self, logs: Logs) -> None:
        self._logs = logs
        self._pending = threading.local()

    def write(self, text: str) -> int:
        buffered = getattr(self._pending, "text", "") + text
        *lines, rest = buffered.split("\n")
        self._pending.text = rest
        for line in lines:
            self._logs.handler_event("info", line, {"source": "observe"})
        return len(text)

    def flush(self) -> None:
        pending = self._pending.__dict__  # no attribute lookup that fails on every quiet request
        rest = pending.get("text")
        if rest:
            pending["text"] = ""
            self._logs.handler_event("info", rest, {"source": "observe"})


class JsonFormatter(logging.Formatter):
    """uvicorn's own log records as JSON lines matching the others."""

    def format(self, record: logging.LogRecord) -> str:
        return _ENCODER.encode({"event": record.getMessage(), "logger": record.name,
                                "level": record.levelname.lower(), "time": _clock.now()})


def uvicorn_log_config(level: str, fmt: str) -> dict:
    formatter = ({"()": JsonFormatter} if fmt == "json"
                 else {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"})
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"hyp": formatter},
        "handlers": {"hyp": {"class": "logging.StreamHandler", "formatter": "hyp", "stream": "ext://sys.stdout"}},
        "loggers": {
            **{name: {"handlers": ["hyp"], "level": level.upper(), "propagate": False}
               for name in ("uvicorn", "uvicorn.error", "uvicorn.access")},
            # the tracing SDK's complaints (an unreachable collector) in the same format
            "opentelemetry": {"handlers": ["hyp"], "level": "WARNING", "propagate": False},
        },
    }

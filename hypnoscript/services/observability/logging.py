"""Structured logs: one line per request and per event, JSON by default (`observability.logging`).

Every line inside a request carries `service`, `route`, `request_id`, `trace_id` and `span_id`:
the request line written by the middleware, `LogEvent(...)` calls and `observe` output of the
handler (read from the current `RequestInfo`). Server messages (uvicorn's start-up and shutdown
lines) use the same format through `uvicorn_log_config`.
"""

from __future__ import annotations

import json
import logging
import sys
import threading

import structlog

from hypnoscript.services.scope import CURRENT

QUIET_PATHS_LEVEL = "debug"  # probes and scrapes are logged below the default level


def _json(obj, **kw) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), default=str)


class Logs:
    def __init__(self, level: str = "info", fmt: str = "json", stream=None) -> None:
        renderer = (structlog.processors.JSONRenderer(serializer=_json) if fmt == "json"
                    else structlog.dev.ConsoleRenderer(colors=False))
        processors = [structlog.processors.add_log_level,
                      structlog.processors.TimeStamper(fmt="iso", utc=True, key="time"),
                      renderer]
        wrapper = structlog.make_filtering_bound_logger(level)
        self.logger = wrapper(structlog.WriteLogger(stream or sys.stdout), processors, {})
        self.enabled_for_debug = logging.getLevelName(level.upper()) <= logging.DEBUG

    def request(self, info, duration: float, quiet: bool) -> None:
        """The one line a request leaves (probes and scrapes at debug level)."""
        if quiet and not self.enabled_for_debug:
            return
        log = self.logger.debug if quiet else (self.logger.error if info.status >= 500 else self.logger.info)
        log("request", method=info.method, path=info.path, status=info.status,
            duration_ms=round(duration * 1000.0, 3), **info.ids())

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
        rest = getattr(self._pending, "text", "")
        if rest:
            self._pending.text = ""
            self._logs.handler_event("info", rest, {"source": "observe"})


class JsonFormatter(logging.Formatter):
    """uvicorn's own log records as JSON lines matching the request lines."""

    def format(self, record: logging.LogRecord) -> str:
        import datetime

        stamp = datetime.datetime.fromtimestamp(record.created, datetime.timezone.utc).isoformat()
        line = {"event": record.getMessage(), "level": record.levelname.lower(), "logger": record.name,
                "time": stamp.replace("+00:00", "Z")}
        return _json(line)


def uvicorn_log_config(level: str, fmt: str) -> dict:
    formatter = ({"()": JsonFormatter} if fmt == "json"
                 else {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"})
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"hyp": formatter},
        "handlers": {"hyp": {"class": "logging.StreamHandler", "formatter": "hyp", "stream": "ext://sys.stdout"}},
        "loggers": {name: {"handlers": ["hyp"], "level": level.upper(), "propagate": False}
                    for name in ("uvicorn", "uvicorn.error", "uvicorn.access")},
    }

"""Builtins for route handlers served by `hyp serve`: `Response` and `Fail` shape what a request
gets back, `LogEvent` writes a structured log line carrying the request's ids.

They are plain values and errors, so a handler can be called and tested like any suggestion
(`hyp exec`, `hyp test`): `Response` is a `Response` record, `Fail` raises a `HypFail`, and
`LogEvent` writes a JSON line to stderr until a server installs its own sink with `set_log_sink`.
"""

from __future__ import annotations

import sys

from hypnoscript.runtime.builtins.args import as_integer, as_object, as_string
from hypnoscript.runtime.builtins.registry import builtin
from hypnoscript.runtime.builtins.support import to_json
from hypnoscript.runtime.errors import HypArgumentError, HypError
from hypnoscript.runtime.values import Record, display

RESPONSE_TYPE = "Response"
LEVELS = ("debug", "info", "warning", "error", "critical")
_LEVEL_ALIASES = {"warn": "warning", "fatal": "critical"}


class HypFail(HypError):
    """`Fail(status, message)`: ends the request with a chosen 4xx status."""

    code = "HYP4020"
    kind = "request failed"

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def is_response(value: object) -> bool:
    return type(value) is Record and value.type_name == RESPONSE_TYPE and "status" in value.fields


@builtin(
    "service",
    "Response(status: number, body?: any, headers?: object) -> record",
    "An HTTP response for a route handler: status code, body (sent as JSON) and headers",
    pure=False,
)
def _response(status, body=None, headers=None):
    code = as_integer(status, "Response", 1)
    fields = {} if headers is None else as_object(headers, "Response", 3)
    if not 100 <= code <= 599:
        raise HypArgumentError(f"Builtin 'Response' expected an HTTP status between 100 and 599, got {code}")
    return Record(RESPONSE_TYPE, {"status": float(code), "body": body,
                                  "headers": {str(k): display(v) for k, v in fields.items()}})


@builtin(
    "service",
    "Fail(status: number, message: string) -> null",
    "End the current request with a 4xx status and a JSON error body carrying message",
    pure=False,
)
def _fail(status, message):
    code = as_integer(status, "Fail", 1)
    text = as_string(message, "Fail", 2)
    if not 400 <= code <= 499:
        raise HypArgumentError(f"Builtin 'Fail' expected a 4xx status, got {code} (use Response for others)")
    raise HypFail(code, text)


def _stderr_sink(level: str, message: str, fields: dict) -> None:
    import json
    import time

    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    line = {**fields, "time": stamp, "level": level, "event": message}
    sys.stderr.write(json.dumps(line, ensure_ascii=False) + "\n")


_sink = _stderr_sink


def set_log_sink(sink) -> None:
    """Route `LogEvent` lines to `sink(level, message, fields)` (the server's structured logger)."""
    global _sink
    _sink = sink


@builtin(
    "service",
    "LogEvent(level: any, message?: any, fields?: object) -> null",
    "Write a structured log line (debug, info, warning, error, critical) with extra fields; "
    "inside a served request it carries the request, trace and span ids. The shorter forms log "
    "at info: LogEvent(message), LogEvent(event) with an object or record as the fields, and "
    "LogEvent(message, fields)",
    pure=False,
)
def _log_event(level, message=None, fields=None):
    if message is None and fields is None:
        # LogEvent(message) or LogEvent(event)
        if type(level) is str:
            level, message = "info", level
        else:
            level, message, fields = "info", "event", level
    elif fields is None and type(message) is not str and message is not None:
        level, message, fields = "info", level, message  # LogEvent(message, fields)
    name = as_string(level, "LogEvent", 1).lower()
    text = as_string(message, "LogEvent", 2)
    extra = {} if fields is None else to_json(as_object(fields, "LogEvent", 3), "LogEvent")
    name = _LEVEL_ALIASES.get(name, name)
    if name not in LEVELS:
        raise HypArgumentError(f"Builtin 'LogEvent' expected a level ({', '.join(LEVELS)}), got \"{level}\"")
    _sink(name, text, extra)

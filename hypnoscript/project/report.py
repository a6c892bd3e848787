"""Printing the project layer's diagnostics, each with the excerpt of the file it points into."""

from __future__ import annotations

import sys

from hypnoscript.syntax.diagnostics import Diagnostic, DiagnosticError
from hypnoscript.syntax.diagnostics import emit as emit_with_source
from hypnoscript.syntax.source import Source


def emit(diags: list[Diagnostic], fmt: str = "human", stream=None) -> None:
    stream = stream or sys.stderr
    if fmt == "json":
        emit_with_source(diags, None, fmt, stream)
        return
    sources: dict[str, Source | None] = {}
    for i, diag in enumerate(diags):
        if i:
            stream.write("\n")
        emit_with_source([diag], _source(diag.path, sources) if diag.span else None, fmt, stream)


def _source(path: str | None, cache: dict[str, Source | None]) -> Source | None:
    if path is None:
        return None
    if path not in cache:
        try:
            with open(path, encoding="utf-8-sig") as fh:
                cache[path] = Source(fh.read(), path)
        except (OSError, UnicodeDecodeError):
            cache[path] = None
    return cache[path]


def guarded(action, fmt: str = "human") -> int:
    """Run `action()`; a DiagnosticError is printed and becomes exit status 1."""
    try:
        return int(action() or 0)
    except DiagnosticError as exc:
        emit(exc.diagnostics, fmt)
        return 1

"""User-facing diagnostics: one type for every error a user can cause, and its rendering.

Codes are stable: HYP1xxx lexical and syntax, HYP2xxx static analysis (checker), HYP3xxx lint,
HYP4xxx runtime, HYP5xxx project and configuration, HYP9xxx internal.
"""

from __future__ import annotations

from hypnoscript.syntax.source import Source, Span


class Label:
    """A secondary span with its own message."""

    __slots__ = ("span", "message")

    def __init__(self, span: Span, message: str) -> None:
        self.span = span
        self.message = message


class Diagnostic:
    __slots__ = ("code", "message", "span", "severity", "labels", "help", "path", "notes")

    def __init__(self, code: str, message: str, span: Span | None = None, severity: str = "error",
                 labels: list[Label] | None = None, help: str | None = None, path: str | None = None,
                 notes: list[str] | None = None) -> None:
        self.code = code
        self.message = message
        self.span = span
        self.severity = severity  # error | warning | note
        self.labels = labels if labels is not None else []
        self.help = help
        self.path = path
        self.notes = notes if notes is not None else []

    def __repr__(self) -> str:
        where = f" at {self.span.line}:{self.span.col}" if self.span else ""
        return f"Diagnostic({self.severity} {self.code}: {self.message!r}{where})"

    def to_json(self) -> dict:
        return {
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
            "file": self.path,
            "span": self.span.to_json() if self.span else None,
            "labels": [{"span": l.span.to_json(), "message": l.message} for l in self.labels],
            "help": self.help,
            "notes": list(self.notes),
        }


class DiagnosticError(Exception):
    """Raised to stop a phase with one or more diagnostics."""

    def __init__(self, diagnostics: list[Diagnostic]):
        super().__init__(diagnostics[0].message if diagnostics else "error")
        self.diagnostics = diagnostics


_COLORS = {"error": "\x1b[1;31m", "warning": "\x1b[1;33m", "note": "\x1b[1;36m"}
_BOLD = "\x1b[1m"
_BLUE = "\x1b[1;34m"
_RESET = "\x1b[0m"


def render(diag: Diagnostic, source: Source | None, color: bool = False) -> str:
    """Render like rustc: header, `--> file:line:col`, the source line and a caret under the span."""

    def c(code: str, text: str) -> str:
        return f"{code}{text}{_RESET}" if color else text

    sev = diag.severity
    out = [c(_COLORS.get(sev, _BOLD), f"{sev}[{diag.code}]") + c(_BOLD, f": {diag.message}")]
    path = diag.path or (source.path if source else None) or "<input>"
    if diag.span is not None:
        sp = diag.span
        out.append(c(_BLUE, "  --> ") + f"{path}:{sp.line}:{sp.col}")
        if source is not None:
            text = source.line_text(sp.line)
            gutter = " " * len(str(sp.line))
            out.append(c(_BLUE, f"{gutter} |"))
            out.append(c(_BLUE, f"{sp.line} | ") + text.expandtabs(4))
            prefix = text[: sp.col - 1]
            pad = len(prefix.expandtabs(4))
            if sp.end_line == sp.line:
                width = max(1, sp.end_col - sp.col)
            else:
                width = max(1, len(text) - (sp.col - 1))
            width = min(width, max(1, len(text) - (sp.col - 1) + 1))
            out.append(c(_BLUE, f"{gutter} | ") + " " * pad + c(_COLORS.get(sev, _BOLD), "^" * width))
            for label in diag.labels:
                if label.span.line == sp.line:
                    lp = len(text[: label.span.col - 1])
                    lw = max(1, label.span.end_col - label.span.col) if label.span.end_line == label.span.line else 1
                    out.append(c(_BLUE, f"{gutter} | ") + " " * lp + c(_BLUE, "-" * lw + " " + label.message))
                else:
                    out.append(c(_BLUE, f"{gutter} = ") + f"{label.message} ({path}:{label.span.line}:{label.span.col})")
    else:
        out.append(c(_BLUE, "  --> ") + path)
    for note in diag.notes:
        out.append(c(_BLUE, "   = ") + f"note: {note}")
    if diag.help:
        out.append(c(_BLUE, "   = ") + f"help: {diag.help}")
    return "\n".join(out)


def render_all(diags: list[Diagnostic], source: Source | None, color: bool = False) -> str:
    return "\n\n".join(render(d, source, color) for d in diags)


def to_json(diags: list[Diagnostic]) -> str:
    import json

    return json.dumps([d.to_json() for d in diags], ensure_ascii=False, indent=2)


def emit(diags: list[Diagnostic], source: Source | None, fmt: str = "human", stream=None) -> None:
    """Write diagnostics to `stream` (stderr by default): rendered, coloured on a terminal unless
    NO_COLOR is set, or as JSON for editors."""
    import os
    import sys

    stream = stream or sys.stderr
    if fmt == "json":
        stream.write(to_json(diags) + "\n")
        return
    color = hasattr(stream, "isatty") and stream.isatty() and not os.environ.get("NO_COLOR")
    stream.write(render_all(diags, source, color=color) + "\n")

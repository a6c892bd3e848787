"""Diagnostics of one file: the parser's, the type checker's and the linter's, as LSP
diagnostics."""

from __future__ import annotations

import logging

from lsprotocol import types as L

from hypnoscript.interfaces.lsp.positions import LineIndex
from hypnoscript.syntax import tokens as T
from hypnoscript.syntax.diagnostics import Diagnostic
from hypnoscript.syntax.source import Span

log = logging.getLogger(__name__)

_SEVERITY = {"error": L.DiagnosticSeverity.Error, "warning": L.DiagnosticSeverity.Warning,
             "note": L.DiagnosticSeverity.Information}
_UNDEFINED = "HYP2010"
_DECLARING = {T.INDUCE, T.IMPLANT, T.EMBED, T.FREEZE, T.ANCHOR, T.SUGGESTION, T.TRIGGER, T.SESSION, T.TRANCEIFY}
_UNNECESSARY = {"HYP3001", "HYP3002", "HYP3003"}  # unused variable / parameter, unreachable code


def collect(analysis) -> list[Diagnostic]:
    """Syntax problems, import problems, then (on the part of the file that parsed) type and
    lint findings. An analysis that fails is logged and leaves the syntax diagnostics."""
    parsed = analysis.parsed
    found = list(parsed.diagnostics) + list(analysis.import_problems)
    try:
        check = analysis.check
        if check is not None:
            found += check.diagnostics
        found += analysis.lint
        if any(d.severity == "error" for d in parsed.diagnostics):
            # A declaration being typed is a broken statement the parser left out; its name is
            # not undefined, just not finished.
            typed = _declared_in_tokens(parsed.tokens)
            found = [d for d in found if not (d.code == _UNDEFINED and d.span is not None
                                              and parsed.text[d.span.start:d.span.end] in typed)]
    except Exception:
        log.exception("analysis of %s failed", analysis.path)
    seen = set()
    unique = []
    for d in found:
        key = (d.code, d.message, d.span.start if d.span else None)
        if key not in seen and (d.path is None or d.path == analysis.path):
            seen.add(key)
            unique.append(d)
    return unique


def _declared_in_tokens(tokens) -> set[str]:
    """Names written after a declaring keyword anywhere in the token stream."""
    return {tokens[i + 1].text for i in range(len(tokens) - 1)
            if tokens[i].kind in _DECLARING and tokens[i + 1].kind == T.IDENTIFIER}


def to_lsp(diag: Diagnostic, index: LineIndex, uri: str) -> L.Diagnostic:
    span = diag.span or Span(0, 0, 1, 1, 1, 1)
    message = diag.message
    if diag.help:
        message += f"\nhelp: {diag.help}"
    for note in diag.notes:
        message += f"\nnote: {note}"
    related = [L.DiagnosticRelatedInformation(location=L.Location(uri=uri, range=index.span_range(label.span)),
                                              message=label.message) for label in diag.labels]
    return L.Diagnostic(
        range=index.span_range(span),
        severity=_SEVERITY.get(diag.severity, L.DiagnosticSeverity.Error),
        code=diag.code,
        source="hypnoscript",
        message=message,
        related_information=related or None,
        tags=[L.DiagnosticTag.Unnecessary] if diag.code in _UNNECESSARY else None,
    )

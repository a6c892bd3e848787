"""Formatting through the formatter of `hyp fmt`."""

from __future__ import annotations

from lsprotocol import types as L

from hypnoscript.syntax.source import Source


def format_document(path: str, text: str, index) -> list[L.TextEdit] | None:
    """One edit replacing the document with its canonical layout; [] when it is already
    formatted; None when it cannot be formatted (syntax errors) or no formatter is installed."""
    try:
        from hypnoscript.analysis.formatter import format_source
    except ImportError:
        return None
    result = format_source(Source(text, path))
    if result.text is None:
        return None
    if not result.changed:
        return []
    return [L.TextEdit(range=index.whole(), new_text=result.text)]

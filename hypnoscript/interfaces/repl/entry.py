"""When is what has been typed a complete entry?

An entry is complete when its brackets, strings and comments are closed and the parser finds
nothing missing at its end: `induce x =` or `suggestion f()` wait for more lines, while an entry
that is wrong somewhere else is complete (and reported). A blank last line always submits.
"""

from __future__ import annotations

from hypnoscript.syntax import tokens as T
from hypnoscript.syntax.lexer import tokenize
from hypnoscript.syntax.parser import parse, parse_statements
from hypnoscript.syntax.source import Source

_OPEN = {T.LPAREN, T.LBRACKET, T.LBRACE}
_CLOSE = {T.RPAREN, T.RBRACKET, T.RBRACE}
INDENT = "    "


def is_complete(text: str) -> bool:
    stripped = text.strip()
    if not stripped or stripped.startswith(":"):
        return True
    if "\n" in text and not text.rsplit("\n", 1)[1].strip():
        return True  # the user ended the entry with a blank line
    if _open_comment(text):
        return False
    source = Source(text)
    tokens, lex_errors = tokenize(source)
    if any(d.code == "HYP1002" for d in lex_errors):
        return False  # unterminated string
    if bracket_depth(tokens) > 0:
        return False
    if tokens[0].kind == T.FOCUS:
        _, diagnostics = parse(source)
    else:
        _, diagnostics = parse_statements(source)
    end = len(text.rstrip())
    return not any(d.severity == "error" and d.span is not None and d.span.start >= end for d in diagnostics)


def bracket_depth(tokens) -> int:
    depth = 0
    for tok in tokens:
        if tok.kind in _OPEN:
            depth += 1
        elif tok.kind in _CLOSE:
            depth -= 1
    return depth


def indent_for(text_before_cursor: str) -> str:
    """The indentation of a new line: one level per bracket still open."""
    tokens, _ = tokenize(Source(text_before_cursor))
    return INDENT * max(0, bracket_depth(tokens))


def _open_comment(text: str) -> bool:
    """Does the text end inside a `/* ...` comment (outside strings)?"""
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
        elif text.startswith("//", i):
            newline = text.find("\n", i)
            if newline < 0:
                return False
            i = newline
        elif text.startswith("/*", i):
            close = text.find("*/", i + 2)
            if close < 0:
                return True
            i = close + 1
        i += 1
    return False

"""The Pygments lexer for HypnoScript (registered as the `hypnoscript` lexer, alias `hyp`).

Words are classified through the lexer's own keyword table, so every spelling in every
capitalisation gets the same token type as the language gives it: `FOCUS` and `Focus` are the
same keyword, `break` is highlighted like `snap`, `lookAtTheWatch` like the operator `>` it is.
"""

from __future__ import annotations

import re
from typing import ClassVar

from pygments.lexer import Lexer
from pygments.token import (
    Comment,
    Error,
    Keyword,
    Name,
    Number,
    Operator,
    Punctuation,
    String,
    Whitespace,
)

from hypnoscript.interfaces import vocabulary as V
from hypnoscript.syntax import tokens as T

_SCAN = re.compile(
    r"""
      (?P<ws>\s+)
    | (?P<line_comment>//[^\n]*)
    | (?P<block_comment>/\*.*?(?:\*/|\Z))
    | (?P<string>"(?:[^"\\]|\\.)*(?:"|\Z)|"(?:[^"\\]|\\.)*\\\Z)
    | (?P<number>\d[\d.]*)
    | (?P<word>[^\W\d]\w*)
    | (?P<operator>==|=>|[=+\-*%/]|>=?|<=?|!=?|&&?|\|\|?|\?[?.]?|\.\.\.)
    | (?P<punctuation>\.\.?|[;,(){}\[\]:])
    | (?P<bad>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_VALID_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]*)?\Z")
_ESCAPE = re.compile(r"\\.", re.DOTALL)

_DEFINES_FUNCTION = {T.SUGGESTION, T.TRIGGER, T.IMPERATIVE_SUGGESTION, T.DOMINANT_SUGGESTION}
_DEFINES_TYPE = {T.SESSION, T.TRANCEIFY}


def keyword_token(kind: int):
    """The Pygments token type of a keyword kind."""
    if kind in V.DECLARATION_KINDS:
        return Keyword.Declaration
    if kind in V.TYPE_KINDS:
        return Keyword.Type
    if kind in V.CONSTANT_KINDS:
        return Keyword.Constant
    if kind in V.OPERATOR_WORD_KINDS:
        return Operator.Word
    if kind in V.NAMESPACE_KINDS:
        return Keyword.Namespace
    if kind in V.RESERVED_KINDS:
        return Keyword.Reserved
    return Keyword


class HypnoScriptLexer(Lexer):
    name = "HypnoScript"
    aliases: ClassVar[list[str]] = ["hypnoscript", "hyp"]
    filenames: ClassVar[list[str]] = ["*.hyp"]
    mimetypes: ClassVar[list[str]] = ["text/x-hypnoscript"]
    url = "https://github.com/Kink-Development-Group/hyp-runtime"

    def analyse_text(text):
        return 0.8 if re.match(r"\s*(?://[^\n]*\s*)*focus\s*\{", text, re.IGNORECASE) else 0.0

    def get_tokens_unprocessed(self, text):
        builtin_names = V.builtins()
        previous_kind = None  # keyword kind of the last significant word, for definition names
        after_dot = False
        for m in _SCAN.finditer(text):
            group = m.lastgroup
            start = m.start()
            value = m.group()
            if group == "ws":
                yield start, Whitespace, value
                continue
            if group == "line_comment":
                yield start, Comment.Single, value
                continue
            if group == "block_comment":
                yield start, Comment.Multiline, value
                continue
            kind = None
            if group == "string":
                yield from _string_parts(start, value)
            elif group == "number":
                if _VALID_NUMBER.match(value):
                    yield start, Number.Float if "." in value else Number.Integer, value
                else:
                    yield start, Error, value
            elif group == "word":
                kind = V.keyword_kind(value)
                yield start, self._word_token(value, kind, previous_kind, after_dot, builtin_names), value
            elif group == "operator":
                yield start, Operator, value
            elif group == "punctuation":
                yield start, Punctuation, value
            else:
                yield start, Error, value
            previous_kind = kind
            after_dot = group == "punctuation" and value.startswith(".")

    @staticmethod
    def _word_token(word: str, kind: int | None, previous_kind: int | None, after_dot: bool, builtin_names):
        if after_dot:
            return Name.Attribute  # a member name may be any word, keywords included
        if kind is not None:
            return keyword_token(kind)
        if previous_kind in _DEFINES_FUNCTION:
            return Name.Function
        if previous_kind in _DEFINES_TYPE:
            return Name.Class
        if word == V.NULL_WORD:
            return Keyword.Constant
        if word == V.SELF_WORD:
            return Name.Builtin.Pseudo
        if word in V.CONTEXTUAL_KEYWORDS:
            return Keyword
        if word in builtin_names:
            return Name.Builtin
        return Name


def _string_parts(start: int, literal: str):
    """A string literal as String.Double runs with String.Escape for each `\\x`."""
    pos = 0
    for m in _ESCAPE.finditer(literal):
        if m.start() > pos:
            yield start + pos, String.Double, literal[pos:m.start()]
        yield start + m.start(), String.Escape, m.group()
        pos = m.end()
    if pos < len(literal):
        yield start + pos, String.Double, literal[pos:]

"""The lexer: source text -> tokens.

One compiled regular expression does the scanning; the Python loop only dispatches on which
alternative matched. Every match starts with the trivia (whitespace and comments) before the
token, so a typical token costs one loop iteration.
"""

from __future__ import annotations

import re

from hypnoscript.syntax.diagnostics import Diagnostic
from hypnoscript.syntax.source import Source
from hypnoscript.syntax.tokens import (
    EOF,
    IDENTIFIER,
    KEYWORDS,
    NUMBER_LITERAL,
    OPERATORS,
    STRING_LITERAL,
    Token,
)

# Group numbers (m.lastindex) of the token alternatives.
_IDENT, _NUMBER, _STRING, _UNTERMINATED, _OPERATOR, _BAD, _END = range(1, 8)

_TOKEN_RE = re.compile(
    r"""
    (?: \s+ | //[^\n]* | /\*.*?(?:\*/|\Z) )*        # trivia; an open block comment runs to EOF
    (?:
        ([^\W\d]\w*)                                # 1 identifier or keyword
      | (\d[\d.]*)                                  # 2 number, validated below
      | ("[^"\\]*(?:\\.[^"\\]*)*")                  # 3 string
      | (".*)                                       # 4 unterminated string: runs to EOF
      | (==|=>|[=+\-*%/]|>=?|<=?|!=?|&&?|\|\|?|\?[?.]?|\.\.\.|\.\.?|[;,(){}\[\]:])   # 5 operator
      | (.)                                         # 6 any other character
      | (\Z)                                        # 7 end of input
    )
    """,
    re.VERBOSE | re.DOTALL,
)

_VALID_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]*)?\Z")
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_ESCAPED_CHARS = {"n": "\n", "t": "\t", "r": "\r"}


def _unescape(match: re.Match) -> str:
    char = match.group(1)
    return _ESCAPED_CHARS.get(char, char)


def tokenize(source: Source) -> tuple[list[Token], list[Diagnostic]]:
    """All tokens of `source`, ending with an EOF token, and the lexical errors found.

    Errors do not stop lexing: a bad character is skipped, an unterminated string becomes a
    string token running to the end of the file, an invalid number a number token whose value
    is None.
    """
    text = source.text
    path = source.path
    tokens: list[Token] = []
    append = tokens.append
    diagnostics: list[Diagnostic] = []
    keywords = KEYWORDS
    operators = OPERATORS
    count_newlines = text.count
    last_newline = text.rfind
    line = 1
    line_start = 0  # offset of the first character of `line`
    pos = 0  # end of the previous match

    for m in _TOKEN_RE.finditer(text):
        group = m.lastindex
        start = m.start(group)
        if start != pos:
            # Trivia before the token: keep the line count in step.
            newlines = count_newlines("\n", pos, start)
            if newlines:
                line += newlines
                line_start = last_newline("\n", pos, start) + 1
        end = pos = m.end()
        col = start - line_start + 1
        if group == _IDENT:
            word = m.group(group)
            # Keywords are ASCII; lowering only ASCII letters means a non-ASCII word is never one.
            keyword = keywords.get(word.lower()) if word.isascii() else None
            if keyword is None:
                append(Token(IDENTIFIER, word, None, start, end, line, col, line, col + end - start))
            else:
                append(Token(keyword[0], keyword[1], None, start, end, line, col, line, col + end - start))
        elif group == _OPERATOR:
            op = m.group(group)
            append(Token(operators[op], "." if op == ".." else op, None, start, end, line, col, line, col + end - start))
        elif group == _NUMBER:
            raw = m.group(group)
            value = float(raw) if _VALID_NUMBER.match(raw) else None
            token = Token(NUMBER_LITERAL, raw, value, start, end, line, col, line, col + end - start)
            append(token)
            if value is None:
                diagnostics.append(
                    Diagnostic(
                        "HYP1005",
                        f"invalid number '{raw}'",
                        token.span,
                        help="a number is digits with at most one '.' (e.g. 42 or 3.14)",
                        path=path,
                    )
                )
        elif group == _STRING or group == _UNTERMINATED:
            # The body without its quotes (an unterminated string has only the opening one).
            body = m.group(group)[1:-1] if group == _STRING else m.group(group)[1:]
            value = _ESCAPE.sub(_unescape, body) if "\\" in body else body
            start_line, start_col = line, col
            newlines = body.count("\n")
            if newlines:
                line += newlines
                line_start = start + 1 + body.rfind("\n") + 1
            token = Token(STRING_LITERAL, value, value, start, end, start_line, start_col, line, end - line_start + 1)
            append(token)
            if group == _UNTERMINATED:
                diagnostics.append(
                    Diagnostic(
                        "HYP1002",
                        "unterminated string",
                        source.span(start, start + 1),
                        help='close the string with a double quote (")',
                        path=path,
                    )
                )
        elif group == _BAD:
            char = m.group(group)
            diagnostics.append(
                Diagnostic(
                    "HYP1001",
                    f"unexpected character {_describe_char(char)}",
                    source.span(start, end),
                    help=_BAD_CHAR_HELP.get(char),
                    path=path,
                )
            )
        else:
            append(Token(EOF, "", None, start, start, line, col, line, col))
            break
    return tokens, diagnostics


def _describe_char(char: str) -> str:
    if char.isprintable():
        return f"'{char}'"
    return f"U+{ord(char):04X}"


_BAD_CHAR_HELP = {
    "'": 'strings use double quotes: "text"',
    "#": "comments start with // or are enclosed in /* */",
    "^": "there is no power operator; use Pow(base, exponent)",
}

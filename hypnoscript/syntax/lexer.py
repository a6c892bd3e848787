"""The lexer: source text -> tokens.

One compiled regular expression splits the text: every match is the trivia (whitespace and
comments) before a token, then the token. The token table is built from the matches with
whole-list operations (map, accumulate, bisect), so the cost per token stays small; Python
code runs per token only to classify words and literals.

`lex` gives the compact `TokenTable` the parser reads; `tokenize` gives Token objects.
"""

from __future__ import annotations

import gc
import re
from bisect import bisect_right
from contextlib import contextmanager
from itertools import accumulate, repeat
from operator import add, itemgetter, sub

from hypnoscript.syntax.diagnostics import Diagnostic
from hypnoscript.syntax.source import Source, Span
from hypnoscript.syntax.tokens import (
    EOF,
    IDENTIFIER,
    KEYWORDS,
    LAST_KEYWORD,
    NUMBER_LITERAL,
    OPERATORS,
    STRING_LITERAL,
    Token,
)

_TOKEN_RE = re.compile(
    r"""
    ( (?: \s++ | //[^\n]*+ | /\*.*?(?:\*/|\Z) )*+ )   # trivia; an open block comment runs to EOF
    ( [^\W\d]\w*+                                   # identifier or keyword
    | [;,(){}\[\]:+*%]                              # the common one-character punctuation
    | \d[\d.]*+                                     # number (validated afterwards)
    | "[^"\\]*+(?:\\.[^"\\]*+)*+"                   # string
    | ".*                                           # unterminated string: runs to EOF
    | ==|=>|[=\-/]|>=?|<=?|!=?|&&?|\|\|?|\?[?.]?|\.\.\.|\.\.?
    | .                                             # any other character: an error
    | \Z                                            # end of input: the EOF token
    )
    """,
    re.VERBOSE | re.DOTALL,
)

_VALID_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]*)?\Z")
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_ESCAPED_CHARS = {"n": "\n", "t": "\t", "r": "\r"}

# Lower-cased keyword or operator text -> kind. Everything else is classified by its first char.
_KIND_OF_TEXT: dict[str, int] = {key: kind for key, (kind, _) in KEYWORDS.items()}
_KIND_OF_TEXT.update(OPERATORS)
_KIND_OF_TEXT[""] = EOF

# Canonical lexeme of each keyword kind (synonyms share one: `break` is `snap`).
CANONICAL: dict[int, str] = {kind: canonical for kind, canonical in KEYWORDS.values()}
CANONICAL[KEYWORDS["snap"][0]] = "snap"
CANONICAL[KEYWORDS["sink"][0]] = "sink"
CANONICAL[KEYWORDS["awaken"][0]] = "awaken"

_BAD = -1  # kind of a rejected character; such tokens are dropped from the table

# First character -> kind for ASCII tokens that are not keywords or operators.
_ASCII_FIRST_KIND: dict[str, int] = {chr(c): _BAD for c in range(128) if not chr(c).isalnum() and chr(c) != "_"}
_ASCII_FIRST_KIND.update({digit: NUMBER_LITERAL for digit in "0123456789"})
_ASCII_FIRST_KIND['"'] = STRING_LITERAL

_NEEDS_A_LOOK = frozenset({NUMBER_LITERAL, STRING_LITERAL, _BAD})


def _unescape(match: re.Match) -> str:
    char = match.group(1)
    return _ESCAPED_CHARS.get(char, char)


class TokenTable:
    """Tokens as parallel lists, index by index (the last token is EOF).

    `raw` is the text as written (a string with its quotes); `values` holds the value of
    literals (float, or None for an invalid number; the decoded str) and None elsewhere.
    Lines and columns are 1-based; `end_*` point just past the token.
    """

    __slots__ = ("source", "kinds", "raw", "values", "starts", "ends", "lines", "cols", "end_lines", "end_cols")

    def __init__(self, source: Source, kinds, raw, values, starts, ends, lines, cols, end_lines, end_cols):
        self.source = source
        self.kinds = kinds
        self.raw = raw
        self.values = values
        self.starts = starts
        self.ends = ends
        self.lines = lines
        self.cols = cols
        self.end_lines = end_lines
        self.end_cols = end_cols

    def text(self, index: int) -> str:
        """The canonical text of a token: keywords in their canonical spelling, literals'
        values as text, the rest as written (`..` is `.`)."""
        kind = self.kinds[index]
        if kind <= LAST_KEYWORD:
            return CANONICAL[kind]
        if kind == STRING_LITERAL:
            return self.values[index]
        raw = self.raw[index]
        return "." if raw == ".." else raw

    def span(self, first: int, last: int | None = None) -> Span:
        """The span from the start of token `first` to the end of token `last`."""
        return make_span(self, first, first if last is None else last)

    def token(self, index: int) -> Token:
        return Token(
            self.kinds[index], self.text(index), self.values[index], self.starts[index], self.ends[index],
            self.lines[index], self.cols[index], self.end_lines[index], self.end_cols[index],
        )

    def __len__(self) -> int:
        return len(self.kinds)


class TableSpan(Span):
    """A Span read from a TokenTable on demand. The parser gives every node one of these,
    which is much cheaper to create than a Span; to its users it is an ordinary Span (equal to
    and hashing like the Span with the same positions, copied and pickled as a Span)."""

    # The table, and the first and last token indices packed in one int (`first << 32 | last`):
    # an int, unlike a tuple, is not one more object for the cycle collector to track.
    __slots__ = ("_table", "_tokens")

    def __new__(cls, *args, **kwargs):
        # Constructed like a Span: give a plain Span.
        return Span(*args, **kwargs)

    @property
    def start(self) -> int:
        return self._table.starts[self._tokens >> 32]

    @property
    def end(self) -> int:
        return self._table.ends[self._tokens & 0xFFFFFFFF]

    @property
    def line(self) -> int:
        return self._table.lines[self._tokens >> 32]

    @property
    def col(self) -> int:
        return self._table.cols[self._tokens >> 32]

    @property
    def end_line(self) -> int:
        return self._table.end_lines[self._tokens & 0xFFFFFFFF]

    @property
    def end_col(self) -> int:
        return self._table.end_cols[self._tokens & 0xFFFFFFFF]

    def __reduce__(self):
        # Copies and pickles are plain Spans (they need no token table).
        return (Span, self._key())


_new_object = object.__new__
_set_table = TableSpan._table.__set__
_set_tokens = TableSpan._tokens.__set__


def make_span(table: TokenTable, first: int, last: int) -> TableSpan:
    """The span from the start of token `first` to the end of token `last`."""
    span = _new_object(TableSpan)
    _set_table(span, table)
    _set_tokens(span, first << 32 | last)
    return span


@contextmanager
def gc_paused():
    """Pause the cycle collector while building token tables and trees.

    They hold no reference cycles, yet allocating their many objects would set the collector
    off over and over (about half the time of a parse). Afterwards the new objects are moved
    straight to the oldest generation, where long-lived data ends up anyway: otherwise the
    first collection after the parse would walk all of them at once. (That move goes through
    the permanent generation, so it is skipped when someone else has frozen objects there.)"""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        if gc.get_freeze_count() == 0:
            gc.freeze()
            gc.unfreeze()
        gc.enable()


def lex(source: Source) -> tuple[TokenTable, list[Diagnostic]]:
    """The token table of `source` and the lexical errors found.

    Errors do not stop lexing: a bad character is left out, an unterminated string becomes a
    string token running to the end of the file, an invalid number a number token whose value
    is None.
    """
    with gc_paused():
        return _lex(source)


def _lex(source: Source) -> tuple[TokenTable, list[Diagnostic]]:
    text = source.text
    pairs = _TOKEN_RE.findall(text)
    if len(pairs) > 1 and pairs[-2][1] == "":
        pairs.pop()  # trivia at the very end matched with the EOF, then EOF matched again alone
    trivia = list(map(itemgetter(0), pairs))
    raw = list(map(itemgetter(1), pairs))
    del pairs
    lengths = list(map(len, raw))
    ends = list(accumulate(map(add, map(len, trivia), lengths)))
    starts = list(map(sub, ends, lengths))
    del lengths

    kinds = list(map(_KIND_OF_TEXT.get, map(str.lower, raw)))
    if text.isascii():
        # Whatever is not a keyword or operator is told apart by its first character.
        kinds = [kind if kind is not None else _ASCII_FIRST_KIND.get(word[0], IDENTIFIER)
                 for kind, word in zip(kinds, raw)]
    else:
        _classify_unicode(kinds, raw)
    values: list = [None] * len(raw)
    diagnostics: list[Diagnostic] = []
    has_bad = multiline_strings = False
    for index in [index for index, kind in enumerate(kinds) if kind in _NEEDS_A_LOOK]:
        word = raw[index]
        kind = kinds[index]
        if kind == STRING_LITERAL:
            multiline_strings = multiline_strings or "\n" in word
            closed = len(word) > 1 and word.endswith('"') and _is_closed_string(word)
            body = word[1:-1] if closed else word[1:]
            values[index] = _ESCAPE.sub(_unescape, body) if "\\" in body else body
            if not closed:
                diagnostics.append(_diagnostic(source, "HYP1002", "unterminated string", starts[index], starts[index] + 1,
                                               'close the string with a double quote (")'))
        elif kind == NUMBER_LITERAL:
            if _VALID_NUMBER.match(word):
                values[index] = float(word)
            else:
                diagnostics.append(_diagnostic(source, "HYP1005", f"invalid number '{word}'", starts[index], ends[index],
                                               "a number is digits with at most one '.' (e.g. 42 or 3.14)"))
        else:
            has_bad = True
            diagnostics.append(_diagnostic(source, "HYP1001", f"unexpected character {_describe_char(word)}",
                                           starts[index], ends[index], _BAD_CHAR_HELP.get(word)))

    line_starts = source.line_starts
    if multiline_strings:
        lines = list(map(bisect_right, repeat(line_starts), starts))
    else:
        # Line breaks are all in the trivia: a token's line is 1 + the breaks before it.
        newlines = list(map(str.count, trivia, repeat("\n")))
        newlines[0] += 1
        lines = list(accumulate(newlines))
        del newlines
    del trivia
    if has_bad:
        keep = [index for index, kind in enumerate(kinds) if kind != _BAD]
        kinds = [kinds[i] for i in keep]
        raw = [raw[i] for i in keep]
        values = [values[i] for i in keep]
        starts = [starts[i] for i in keep]
        ends = [ends[i] for i in keep]
        lines = [lines[i] for i in keep]

    # Columns from the table of line starts.
    # column = offset - (start of the line - 1), with the line's start looked up by line number
    column_bases = list(map(([0] + [start - 1 for start in line_starts]).__getitem__, lines))
    cols = list(map(sub, starts, column_bases))
    end_cols = list(map(sub, ends, column_bases))
    del column_bases
    # Only strings can end on a later line than they start: share the list unless there are some.
    end_lines = lines[:] if multiline_strings else lines
    for index in _multiline_strings(kinds, raw) if multiline_strings else ():
        end = ends[index]
        end_line = bisect_right(line_starts, end - 1) if end else 1
        end_lines[index] = end_line
        end_cols[index] = end - line_starts[end_line - 1] + 1

    table = TokenTable(source, kinds, raw, values, starts, ends, lines, cols, end_lines, end_cols)
    return table, diagnostics


def _classify_unicode(kinds: list, raw: list[str]) -> None:
    """Fill in the kinds left open (None) when the text is not pure ASCII."""
    for index, word in enumerate(raw):
        kind = kinds[index]
        if kind is not None:
            # Keywords are ASCII: a word with the Kelvin sign, which lowers to `k`, is a name.
            if kind <= LAST_KEYWORD and not word.isascii():
                kinds[index] = IDENTIFIER
            continue
        first = word[0]
        if first == '"':
            kinds[index] = STRING_LITERAL
        elif first.isdigit():
            kinds[index] = NUMBER_LITERAL
        elif first == "_" or first.isalnum():
            kinds[index] = IDENTIFIER
        else:
            kinds[index] = _BAD


def _is_closed_string(word: str) -> bool:
    """Does a string token that ends with `"` really end there (the quote is not escaped)?"""
    backslashes = len(word) - 1 - len(word[:-1].rstrip("\\"))
    return backslashes % 2 == 0


def _multiline_strings(kinds: list[int], raw: list[str]):
    return [i for i, kind in enumerate(kinds) if kind == STRING_LITERAL and "\n" in raw[i]]


def tokenize(source: Source) -> tuple[list[Token], list[Diagnostic]]:
    """All tokens of `source`, ending with an EOF token, and the lexical errors found."""
    with gc_paused():
        table, diagnostics = _lex(source)
        texts = list(map(table.text, range(len(table))))
        tokens = list(map(Token, table.kinds, texts, table.values, table.starts, table.ends, table.lines,
                          table.cols, table.end_lines, table.end_cols))
    return tokens, diagnostics


def _diagnostic(source: Source, code: str, message: str, start: int, end: int, help: str | None) -> Diagnostic:
    return Diagnostic(code, message, source.span(start, end), help=help, path=source.path)


def _describe_char(char: str) -> str:
    if char.isprintable():
        return f"'{char}'"
    return f"U+{ord(char):04X}"


_BAD_CHAR_HELP = {
    "'": 'strings use double quotes: "text"',
    "#": "comments start with // or are enclosed in /* */",
    "^": "there is no power operator; use Pow(base, exponent)",
}

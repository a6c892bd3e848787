"""Source text and positions inside it."""

from __future__ import annotations

import bisect


class Span:
    """A range of source text: 0-based offsets, 1-based lines and columns (end exclusive).
    Immutable; a plain slotted class so that loading cached programs stays import-light."""

    __slots__ = ("start", "end", "line", "col", "end_line", "end_col")

    def __init__(self, start: int, end: int, line: int, col: int, end_line: int, end_col: int) -> None:
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)
        object.__setattr__(self, "line", line)
        object.__setattr__(self, "col", col)
        object.__setattr__(self, "end_line", end_line)
        object.__setattr__(self, "end_col", end_col)

    def __setattr__(self, name, value):
        raise AttributeError("Span is immutable")

    def _key(self) -> tuple:
        return (self.start, self.end, self.line, self.col, self.end_line, self.end_col)

    def __eq__(self, other) -> bool:
        return isinstance(other, Span) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"Span({self.start}, {self.end}, line={self.line}, col={self.col})"

    def to(self, other: Span) -> Span:
        """The span from the start of this one to the end of `other`."""
        return Span(self.start, other.end, self.line, self.col, other.end_line, other.end_col)

    def to_json(self) -> dict:
        return {
            "start": self.start,
            "end": self.end,
            "line": self.line,
            "col": self.col,
            "end_line": self.end_line,
            "end_col": self.end_col,
        }


NO_SPAN = Span(0, 0, 1, 1, 1, 1)


class Source:
    """A named source text with fast offset -> (line, column) conversion."""

    __slots__ = ("path", "text", "_line_starts")

    def __init__(self, text: str, path: str = "<input>") -> None:
        self.path = path
        self.text = text
        self._line_starts: list[int] | None = None

    @property
    def line_starts(self) -> list[int]:
        if self._line_starts is None:
            starts = [0]
            find = self.text.find
            i = find("\n")
            while i != -1:
                starts.append(i + 1)
                i = find("\n", i + 1)
            self._line_starts = starts
        return self._line_starts

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of an offset."""
        starts = self.line_starts
        idx = bisect.bisect_right(starts, offset) - 1
        return idx + 1, offset - starts[idx] + 1

    def span(self, start: int, end: int) -> Span:
        line, col = self.position(start)
        end_line, end_col = self.position(end)
        return Span(start, end, line, col, end_line, end_col)

    def line_text(self, line: int) -> str:
        starts = self.line_starts
        if line < 1 or line > len(starts):
            return ""
        begin = starts[line - 1]
        stop = starts[line] - 1 if line < len(starts) else len(self.text)
        return self.text[begin:stop].rstrip("\r")

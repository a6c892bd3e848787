"""Source offsets <-> LSP positions.

The language server protocol counts columns in code units of the negotiated encoding (UTF-16
unless the client offers another), while the syntax layer counts Python characters.
"""

from __future__ import annotations

import bisect

from lsprotocol import types as L

from hypnoscript.syntax.source import Span


def _units(encoding: str):
    if encoding == L.PositionEncodingKind.Utf8:
        return lambda text: len(text.encode("utf-8"))
    if encoding == L.PositionEncodingKind.Utf32:
        return len
    return lambda text: len(text) if text.isascii() else len(text) + sum(1 for c in text if ord(c) > 0xFFFF)


class LineIndex:
    def __init__(self, text: str, encoding: str = L.PositionEncodingKind.Utf16) -> None:
        self.text = text
        self.units = _units(encoding)
        self.starts = [0]
        find = text.find
        i = find("\n")
        while i != -1:
            self.starts.append(i + 1)
            i = find("\n", i + 1)

    def position(self, offset: int) -> L.Position:
        offset = max(0, min(offset, len(self.text)))
        line = bisect.bisect_right(self.starts, offset) - 1
        start = self.starts[line]
        return L.Position(line=line, character=self.units(self.text[start:offset]))

    def offset(self, position: L.Position) -> int:
        """The offset of a position; past the end of a line means its end."""
        if position.line >= len(self.starts):
            return len(self.text)
        start = self.starts[position.line]
        end = self.starts[position.line + 1] - 1 if position.line + 1 < len(self.starts) else len(self.text)
        line = self.text[start:end]
        if line.isascii():
            return start + min(position.character, len(line))
        count = 0
        for i, char in enumerate(line):
            if count >= position.character:
                return start + i
            count += self.units(char)
        return end

    def range(self, start: int, end: int) -> L.Range:
        return L.Range(start=self.position(start), end=self.position(end))

    def span_range(self, span: Span) -> L.Range:
        return self.range(span.start, span.end)

    def whole(self) -> L.Range:
        return self.range(0, len(self.text))

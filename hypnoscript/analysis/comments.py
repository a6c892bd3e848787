"""Comments of a source file, found in the gaps between tokens (the lexer skips them as trivia),
with the layout facts the formatter needs to put each one back where it belongs."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from hypnoscript.syntax import tokens as T
from hypnoscript.syntax.lexer import tokenize
from hypnoscript.syntax.source import Source

_COMMENT = re.compile(r"//[^\n]*|/\*.*?(?:\*/|\Z)", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Comment:
    start: int
    end: int
    text: str
    is_line: bool  # `// ...` (ends the line) rather than `/* ... */`
    trailing: bool  # something precedes it on its line
    code_after: bool  # something follows it on its line (block comments only)
    blank_before: bool  # it starts its line and the line above is blank


class SourceLayout:
    """Comments and brace positions of one source text."""

    def __init__(self, source: Source) -> None:
        self.source = source
        text = source.text
        self.tokens, _ = tokenize(source)
        self.token_starts = [t.start for t in self.tokens]
        self.comments: list[Comment] = []
        prev_end = 0
        for tok in self.tokens:
            if tok.start > prev_end:
                for m in _COMMENT.finditer(text, prev_end, tok.start):
                    self.comments.append(self._comment(m.start(), m.end()))
            prev_end = max(prev_end, tok.end)
        self.comment_starts = [c.start for c in self.comments]
        # matching braces, by the offset of the `{`
        self.brace_match: dict[int, int] = {}
        stack: list[int] = []
        for tok in self.tokens:
            if tok.kind == T.LBRACE:
                stack.append(tok.start)
            elif tok.kind == T.RBRACE and stack:
                self.brace_match[stack.pop()] = tok.start
        self.open_braces = sorted(self.brace_match)

    def _comment(self, start: int, end: int) -> Comment:
        text = self.source.text
        body = text[start:end]
        is_line = body.startswith("//")
        if is_line:
            body = body.rstrip("\r")
        line_start = text.rfind("\n", 0, start) + 1
        before = text[line_start:start]
        trailing = bool(before.strip())
        line_end = text.find("\n", end)
        after = text[end: len(text) if line_end == -1 else line_end]
        blank_before = not trailing and self.blank_line_before(start)
        return Comment(start, end, body.rstrip(), is_line, trailing, bool(after.strip()), blank_before)

    def blank_line_before(self, offset: int) -> bool:
        """`offset` starts its line (after indentation) and the line above it is blank."""
        text = self.source.text
        line_start = text.rfind("\n", 0, offset) + 1
        if text[line_start:offset].strip() or line_start == 0:
            return False
        prev_start = text.rfind("\n", 0, line_start - 1) + 1
        return not text[prev_start:line_start - 1].strip()

    def first_token_from(self, offset: int) -> int:
        """The start of the first token at or after `offset` that is not `(`: where the code of a
        node really begins, however many parentheses the source put around it."""
        tokens = self.tokens
        i = bisect.bisect_left(self.token_starts, offset)
        while i < len(tokens) - 1 and tokens[i].kind == T.LPAREN:
            i += 1
        return tokens[i].start if i < len(tokens) else offset

    def token_before(self, offset: int):
        """The token that ends last before `offset`, or None."""
        i = bisect.bisect_left(self.token_starts, offset) - 1
        return self.tokens[i] if i >= 0 else None

    def block_close(self, body_start: int | None, search_from: int) -> int | None:
        """Offset of the `}` closing a block: the block whose first statement starts at
        `body_start` (None for an empty block, found as the first `{` at or after `search_from`).
        None when the body has no braces (a single-statement branch)."""
        if body_start is not None:
            tok = self.token_before(body_start)
            if tok is None or tok.kind != T.LBRACE:
                return None
            return self.brace_match.get(tok.start)
        i = bisect.bisect_left(self.open_braces, search_from)
        if i == len(self.open_braces):
            return None
        return self.brace_match[self.open_braces[i]]

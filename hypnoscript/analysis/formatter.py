"""`hyp fmt`: rewrite a program in the one canonical layout.

4-space indentation, one statement per line, spaces around binary operators, `} else {`, at most
one blank line between statements, keywords in their canonical spelling (operator synonyms such as
`lookAtTheWatch` stay as written), every comment kept. A file with syntax errors is never touched.

Every result is verified before it is returned: it must parse to a tree equal to the input's and
contain the same comments, so a formatter bug can never change a program.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hypnoscript.analysis import tree
from hypnoscript.analysis.comments import SourceLayout
from hypnoscript.analysis.printer import format_program
from hypnoscript.syntax.diagnostics import Diagnostic
from hypnoscript.syntax.parser import parse
from hypnoscript.syntax.source import Source


@dataclass
class FormatResult:
    text: str | None  # the formatted source; None when the file could not be formatted
    diagnostics: list[Diagnostic] = field(default_factory=list)
    changed: bool = False


def format_source(source: Source) -> FormatResult:
    from hypnoscript.analysis.deep import run_deep

    return run_deep(_format, source)


def _format(source: Source) -> FormatResult:
    program, diagnostics = parse(source)
    if any(d.severity == "error" for d in diagnostics):
        return FormatResult(None, [d for d in diagnostics if d.severity == "error"])
    layout = SourceLayout(source)
    text = format_program(program, layout)
    problem = _verify(program, layout, text, source.path)
    if problem is not None:
        return FormatResult(None, [problem])
    return FormatResult(text, [], text != source.text)


def format_text(text: str, path: str = "<input>") -> str:
    """The formatted text (raises ValueError when it cannot be formatted)."""
    result = format_source(Source(text, path))
    if result.text is None:
        raise ValueError(result.diagnostics[0].message if result.diagnostics else "cannot format")
    return result.text


def _verify(program, layout: SourceLayout, text: str, path: str) -> Diagnostic | None:
    out = Source(text, path)
    reparsed, diagnostics = parse(out)
    same_comments = [c.text for c in layout.comments] == [c.text for c in SourceLayout(out).comments]
    if any(d.severity == "error" for d in diagnostics) or not tree.same(reparsed, program) or not same_comments:
        return Diagnostic(
            "HYP9001", "the formatter could not lay out this file without changing it; it was left as it is",
            None, "error", path=path, help="please report this file as a formatter bug",
        )
    return None

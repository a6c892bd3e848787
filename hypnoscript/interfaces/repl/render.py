"""How the REPL shows values and diagnostics."""

from __future__ import annotations

import re

from hypnoscript.runtime.sessions import Instance, Session
from hypnoscript.runtime.values import Record
from hypnoscript.syntax.diagnostics import Diagnostic, render
from hypnoscript.syntax.source import Source


def member_names(value) -> dict[str, str]:
    """Members reachable with `.` on a value: name -> what it is (for completion)."""
    if type(value) is Instance:
        s = value.session
        out = {n: "field" for n in value.fields if n not in s.private_fields}
        out.update({n: "method" for n, m in s.methods.items() if not m.private})
        return out
    if type(value) is Session:
        out = {n: "static field" for n in value.static_fields if n not in value.private_static}
        out.update({n: "static method" for n, m in value.static_methods.items() if not m.private})
        return out
    if type(value) is Record:
        return {n: "field" for n in value.fields}
    if type(value) is dict:
        return {str(n): "key" for n in value}
    return {}


_CODE_LINE = re.compile(r"^((?:\x1b\[[0-9;]*m)?\s*(\d+) \| (?:\x1b\[0m)?)(.*)$")


def render_diagnostic(diag: Diagnostic, sources: dict[str, Source], default: Source, color: bool) -> str:
    """The diagnostic with the source excerpt of the file it points into; with `color`, the
    quoted code is syntax-highlighted."""
    source = sources.get(diag.path or "", default) if diag.path else default
    text = render(diag, source, color=color)
    if not color:
        return text
    from pygments import highlight
    from pygments.formatters import TerminalFormatter

    from hypnoscript.interfaces.highlight import HypnoScriptLexer

    lexer = HypnoScriptLexer()
    formatter = TerminalFormatter()
    lines = []
    for line in text.split("\n"):
        m = _CODE_LINE.match(line)
        if m and m.group(3) == source.line_text(int(m.group(2))).expandtabs(4) and m.group(3):
            line = m.group(1) + highlight(m.group(3), lexer, formatter).rstrip("\n")
        lines.append(line)
    return "\n".join(lines)

"""Hover: the type of a name or member, builtin documentation, the meaning of keywords."""

from __future__ import annotations

import os

from lsprotocol import types as L

from hypnoscript.analysis.tree import walk
from hypnoscript.interfaces import vocabulary as V
from hypnoscript.interfaces.lsp import symbols
from hypnoscript.syntax import ast as A
from hypnoscript.syntax import tokens as T

_KIND_WORDS = {"var": "variable", "param": "parameter", "function": "suggestion", "session": "session",
               "import": "imported name", "pattern": "pattern binding", "loop": "loop variable",
               "catch": "caught error", "implicit": "program-level variable (created by an assignment)"}


def hover(analysis, offset: int, index) -> L.Hover | None:
    parsed = analysis.parsed
    tok = parsed.token_at(offset)
    if tok is None:
        return None
    occ = analysis.occurrences.at(tok.start)
    if occ is not None:
        text = _binding_text(analysis, occ.binding)
    else:
        text = _other_text(analysis, tok, offset)
    if text is None:
        return None
    return L.Hover(contents=L.MarkupContent(kind=L.MarkupKind.Markdown, value=text),
                   range=index.range(tok.start, tok.end))


def _binding_text(analysis, b) -> str:
    origin, b = symbols.origins(analysis, b)[0]  # an imported name is described where it is declared
    kind = "constant" if b.kind == "var" and b.frozen else _KIND_WORDS.get(b.kind, "name")
    ty = binding_type(origin, b)
    decl = next((d for d in b.decls if type(d) is not A.MindLink), None)
    if type(decl) is A.FuncDecl:
        head = f"suggestion {b.name}({', '.join(_param(p) for p in decl.params)})"
        if decl.return_type is not None:
            head += f": {decl.return_type.text}"
    elif type(decl) is A.SessionDecl:
        head = f"session {b.name}"
    else:
        head = f"{b.name}: {ty}" if ty is not None else b.name
    lines = [f"```hypnoscript\n{head}\n```", f"*{kind}*"]
    if type(decl) is A.FuncDecl and ty is not None:
        lines.append(f"`{ty}`")
    if origin.path != analysis.path:
        lines.append(f"from `{os.path.relpath(origin.path, os.path.dirname(analysis.path))}`")
    return "\n\n".join(lines)


def binding_type(analysis, b):
    """The checker's type of a binding: what a read of it has, or its declared value's."""
    for ident in b.reads:
        t = analysis.type_of(ident)
        if t is not None:
            return t
    for node in b.decls:
        if type(node) is A.VarDecl and node.init is not None:
            return analysis.type_of(node.init)
        if type(node) is A.VarDecl and node.type is not None:
            return node.type.text
    return None


def _param(p: A.Param) -> str:
    return f"{p.name}: {p.type.text}" if p.type is not None else p.name


def _other_text(analysis, tok, offset: int) -> str | None:
    member = symbols.member_at(analysis.parsed, offset)
    if member is not None:
        return _member_text(analysis, member)
    if tok.kind <= T.LAST_KEYWORD:
        return _keyword_text(tok.kind, analysis.parsed.text[tok.start:tok.end])
    builtins = V.builtins()
    if tok.kind == T.IDENTIFIER and tok.text in builtins:
        return V.builtin_markdown(builtins[tok.text])
    return None


def _member_text(analysis, member: A.Member) -> str:
    t = analysis.type_of(member)
    owner = analysis.type_of(member.obj)
    found = symbols.member_declaration(analysis, member)
    if (t is None or str(t) == "unknown") and found is not None:
        decl = found[1]
        if type(decl) is A.SessionMethod:
            head = f"suggestion {member.name}({', '.join(_param(p) for p in decl.params)})"
        else:
            head = f"{member.name}: {decl.type.text}" if decl.type is not None else member.name
    else:
        head = f"{member.name}: {t}" if t is not None else member.name
    text = f"```hypnoscript\n{head}\n```"
    if found is not None and type(found[1]) in (A.SessionMethod, A.SessionField):
        session = next((s for s in walk(found[0].program) if type(s) is A.SessionDecl and any(m is found[1] for m in s.members)), None)
        if session is not None:
            what = "method" if type(found[1]) is A.SessionMethod else "field"
            text += f"\n\n*{what} of session* `{session.name}`"
    elif owner is not None:
        text += f"\n\n*member of* `{owner}`"
    return text


def _keyword_text(kind: int, word: str) -> str:
    meaning = V.OPERATOR_WORD_MEANINGS.get(kind)
    if meaning is not None:
        return f"`{word}`: the operator `{meaning}`"
    canonical = T.KEYWORDS[word.lower()][1]
    same = f" (the same as `{canonical}`)" if canonical.lower() != word.lower() else ""
    if kind in V.RESERVED_KINDS:
        return f"`{word}`: a reserved word without a meaning"
    return f"`{word}`: keyword{same}"

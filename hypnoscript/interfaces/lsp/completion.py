"""Completion: members after `.` (from the type of the object), otherwise the names visible at
the cursor, keywords and builtins."""

from __future__ import annotations

import re

from lsprotocol import types as L

from hypnoscript.analysis.tree import walk
from hypnoscript.interfaces import vocabulary as V
from hypnoscript.interfaces.lsp import symbols
from hypnoscript.syntax import ast as A

# Stands in for the member being typed, so that the statement parses and its object has a type.
PLACEHOLDER = "__hyp_completion__"
_MEMBER = re.compile(r"(?:\?\.|\.|\bdreamReach\s+)\s*((?:[^\W\d]\w*)?)\Z", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d]\w*\Z")
_REST_OF_WORD = re.compile(r"\w*")

_BINDING_KINDS = {"function": L.CompletionItemKind.Function, "session": L.CompletionItemKind.Class,
                  "param": L.CompletionItemKind.Variable, "import": L.CompletionItemKind.Reference}


def complete(analysis, offset: int) -> L.CompletionList:
    text = analysis.parsed.text
    before = text[:offset]
    member = _MEMBER.search(before)
    if member is not None:
        return L.CompletionList(is_incomplete=False, items=_members(analysis, offset, member.group(1)))
    word = _WORD.search(before)
    prefix = word.group() if word else ""
    low = prefix.lower()
    items: list[L.CompletionItem] = []
    seen = set()
    for b in _visible(analysis, offset):
        if b.name.lower().startswith(low) and b.name not in seen and b.name != prefix:
            seen.add(b.name)
            kind = L.CompletionItemKind.Constant if b.frozen else _BINDING_KINDS.get(b.kind, L.CompletionItemKind.Variable)
            items.append(L.CompletionItem(label=b.name, kind=kind, detail=_type_text(analysis, b), sort_text="0" + b.name))
    for word in V.completion_keywords():
        if word.lower().startswith(low):
            items.append(L.CompletionItem(label=word, kind=L.CompletionItemKind.Keyword, sort_text="1" + word))
    for name, spec in V.builtins().items():
        if name.lower().startswith(low) and name not in seen:
            items.append(L.CompletionItem(
                label=name, kind=L.CompletionItemKind.Function, detail=spec.signature, sort_text="2" + name,
                documentation=L.MarkupContent(kind=L.MarkupKind.Markdown, value=V.builtin_markdown(spec))))
    return L.CompletionList(is_incomplete=False, items=items)


def _visible(analysis, offset: int):
    """Bindings visible at `offset`: those of the innermost enclosing scope first, then outwards."""
    res = analysis.resolution
    best = res.main
    for scope in res.scopes.values():
        node = scope.node
        inside = node is not res.main.node and node.span.start <= offset <= node.span.end
        if inside and (best is res.main or node.span.start >= best.node.span.start):
            best = scope
    scope = best
    while scope is not None:
        yield from (b for b in scope.bindings.values() if b.kind != "this" or scope is best)
        scope = scope.parent


def _type_text(analysis, b) -> str | None:
    from hypnoscript.interfaces.lsp.hover import binding_type

    t = binding_type(analysis, b)
    return str(t) if t is not None else None


def _members(analysis, offset: int, prefix: str) -> list[L.CompletionItem]:
    """Members of the object before the `.`: the file is analysed again with a placeholder member
    name at the cursor, so that the object's type is known even while the member is unwritten."""
    from hypnoscript.analysis.types import RecordType
    from hypnoscript.interfaces.lsp.workspace import FileAnalysis, ParsedFile

    text = analysis.parsed.text
    start = offset - len(prefix)
    end = offset + _REST_OF_WORD.match(text, offset).end() - offset
    for terminator in ("", ";"):
        probe = FileAnalysis(analysis.workspace, ParsedFile(analysis.path, text[:start] + PLACEHOLDER + terminator
                                                            + text[end:]))
        node = next((n for n in walk(probe.program) if type(n) is A.Member and n.name == PLACEHOLDER), None)
        if node is not None:
            break
    else:
        return []
    own = type(node.obj) is A.Identifier and node.obj.name == "this"
    found: dict[str, L.CompletionItem] = {}
    for _, info, static in symbols.sessions_of(probe, node.obj):
        tables = (info.static_fields, info.static_methods) if static else (info.fields, info.methods)
        for table, kind in zip(tables, (L.CompletionItemKind.Field, L.CompletionItemKind.Method), strict=True):
            for name, decl in table.items():
                if own or not decl.private:
                    found[name] = L.CompletionItem(label=name, kind=kind, detail=f"{info.name}.{name}")
    t = probe.type_of(node.obj)
    for option in (t.members() if t is not None else ()):
        if isinstance(option, RecordType):
            for decl in walk(probe.program):
                if type(decl) is A.TranceifyDecl and decl.name == option.name:
                    for f in decl.fields:
                        found[f.name] = L.CompletionItem(label=f.name, kind=L.CompletionItemKind.Field,
                                                         detail=f"{f.name}: {f.type.text}")
    return [item for name, item in sorted(found.items()) if name.lower().startswith(prefix.lower())]

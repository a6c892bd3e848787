"""Where names occur: every declaration, read and write of every binding of a file, and the
links from an imported name to its declaration in the module (across any chain of `mindLink`s).
"""

from __future__ import annotations

import bisect

from hypnoscript.analysis.tree import walk
from hypnoscript.syntax import ast as A
from hypnoscript.syntax import tokens as T
from hypnoscript.syntax.source import Span

_STARTS_WITH_NAME = (A.Param, A.BindingPattern, A.TypedPattern, A.FieldPattern, A.Identifier, A.SessionField,
                     A.TranceifyField)


class Occurrence:
    __slots__ = ("binding", "is_decl", "span")

    def __init__(self, span: Span, binding, is_decl: bool) -> None:
        self.span = span
        self.binding = binding
        self.is_decl = is_decl


class Occurrences:
    """Every name occurrence of one analysed file, by position."""

    def __init__(self, analysis) -> None:
        parsed = analysis.parsed
        by_start: dict[int, Occurrence] = {}
        self.by_binding: dict[int, list[Occurrence]] = {}
        for b in analysis.resolution.bindings:
            if b.kind == "this":
                continue
            found: list[Occurrence] = []
            for node in b.decls:
                span = declaration_name_span(parsed, node, b.name)
                if span is not None:
                    found.append(Occurrence(span, b, True))
            for ident in b.reads:
                found.append(Occurrence(ident.span, b, False))
            for node in b.writes:
                if type(node) is A.Identifier:
                    found.append(Occurrence(node.span, b, False))
                elif type(node) is A.Anchor:
                    span = parsed.name_span(node, b.name, after=node.span.start + 1)
                    if span is not None:
                        found.append(Occurrence(span, b, False))
            unique = []
            for occ in found:
                if occ.span.start not in by_start:
                    by_start[occ.span.start] = occ
                    unique.append(occ)
            self.by_binding[id(b)] = unique
        self.items = sorted(by_start.values(), key=lambda o: o.span.start)
        self.starts = [o.span.start for o in self.items]

    def at(self, offset: int) -> Occurrence | None:
        i = bisect.bisect_right(self.starts, offset) - 1
        if i >= 0 and self.items[i].span.start <= offset <= self.items[i].span.end:
            return self.items[i]
        return None

    def of(self, binding) -> list[Occurrence]:
        return self.by_binding.get(id(binding), [])


def declaration_name_span(parsed, node: A.Node, name: str) -> Span | None:
    """The span of `name` where `node` declares it (None for a `mindLink`, which declares nothing
    itself)."""
    t = type(node)
    if t is A.MindLink:
        return None
    if t in _STARTS_WITH_NAME:
        return parsed.name_span(node, name)
    if t is A.ArrayPattern:
        dots = parsed.token_after(node.span.start, T.DOT_DOT_DOT)
        return parsed.name_span(node, name, after=dots.end) if dots is not None else None
    if t is A.Try:
        catch = parsed.name_span(node, "catch")
        return parsed.name_span(node, name, after=catch.end) if catch is not None else None
    # Declarations that start with a keyword: the first token spelled like the name after it.
    return parsed.name_span(node, name, after=node.span.start + 1)


def binding_key(analysis, binding) -> tuple:
    """Identity of a binding across analyses: program-level names by file and name (what
    importers see), local ones by object."""
    if binding.scope is analysis.resolution.main:
        return (analysis.path, binding.name)
    return (analysis.path, id(binding))


def origins(analysis, binding, _seen=None) -> list[tuple]:
    """(analysis, binding) pairs declaring the value of `binding`: itself, or for a name that
    only a `mindLink` binds, the module's binding (followed through re-exports)."""
    links = [d for d in binding.decls if type(d) is A.MindLink]
    if not links or len(links) != len(binding.decls):
        return [(analysis, binding)]
    seen = _seen or set()
    out = []
    for link in links:
        path = analysis.modules.get(id(link))
        if path is None or path in seen:
            continue
        module = analysis.workspace.analysis(path)
        target = module.resolution.main.bindings.get(binding.name) if module is not None else None
        if target is not None:
            out.extend(origins(module, target, seen | {path}))
    return out or [(analysis, binding)]


def declarations(analysis, binding) -> list[tuple]:
    """(path, span) of every declaration behind `binding`."""
    out = []
    for origin, b in origins(analysis, binding):
        for occ in origin.occurrences.of(b):
            if occ.is_decl:
                out.append((origin.path, occ.span))
    return out


def references(workspace, analysis, binding, open_paths, include_declarations: bool) -> list[tuple]:
    """(path, span) of every occurrence, in every workspace file, of the symbol `binding` names."""
    targets = {binding_key(a, b) for a, b in origins(analysis, binding)}
    program_level = any(isinstance(k[1], str) for k in targets)
    files = workspace.files(open_paths) if program_level else [analysis.path]
    paths = {k[0] for k in targets} | {analysis.path}
    out = []
    for path in dict.fromkeys([*paths, *files]):
        other = workspace.analysis(path)
        if other is None or binding.name not in other.parsed.text:
            continue
        for b in other.resolution.bindings:
            if b.name != binding.name or not targets & {binding_key(a, x) for a, x in origins(other, b)}:
                continue
            for occ in other.occurrences.of(b):
                if include_declarations or not occ.is_decl:
                    out.append((path, occ.span))
    return out


def nodes_at(program: A.Program, offset: int) -> list[A.Node]:
    """The nodes whose span contains `offset`, outermost first."""
    out = [n for n in walk(program) if n.span.start <= offset <= n.span.end and n.span.end > n.span.start]
    out.sort(key=lambda n: (n.span.start, -n.span.end))
    return out


def member_at(parsed, offset: int) -> A.Member | None:
    """The member access whose name (after the `.`) is under `offset`."""
    for node in reversed(nodes_at(parsed.program, offset)):
        if type(node) is A.Member:
            span = parsed.name_span(node, node.name, after=node.obj.span.end)
            if span is not None and span.start <= offset <= span.end:
                return node
    return None


def sessions_of(analysis, expr: A.Expr) -> list[tuple]:
    """(analysis, SessionInfo, static) for each session whose members `expr.` reaches: from the
    checker's type, or, for a name holding a session or an instance of one declared in another
    module (which the checker does not see into), from that module's declaration."""
    from hypnoscript.analysis.signatures import SessionInfo
    from hypnoscript.analysis.types import InstanceType, SessionType

    t = analysis.type_of(expr)
    found = [(analysis, o.info, isinstance(o, SessionType)) for o in (t.members() if t is not None else ())
             if isinstance(o, (InstanceType, SessionType))]
    binding = analysis.resolution.refs.get(id(expr)) if type(expr) is A.Identifier else None
    if found or binding is None:
        return found
    for origin, b in origins(analysis, binding):
        for decl in b.decls:
            if type(decl) is A.SessionDecl:
                found.append((origin, SessionInfo(decl), True))
            elif type(decl) is A.VarDecl and type(decl.init) is A.Call and type(decl.init.callee) is A.Identifier:
                found += [(a, info, False) for a, info, static in sessions_of(origin, decl.init.callee) if static]
    return found


def member_declaration(analysis, member: A.Member) -> tuple | None:
    """(analysis, node) of the declaration a member access reaches when its object is known: a
    session field or method, or a record field."""
    from hypnoscript.analysis.types import RecordType

    for origin, info, static in sessions_of(analysis, member.obj):
        found = info.member(member.name, static)
        if found is not None:
            return origin, found
    t = analysis.type_of(member.obj)
    for option in (t.members() if t is not None else ()):
        if isinstance(option, RecordType):
            for node in walk(analysis.program):
                if type(node) is A.TranceifyDecl and node.name == option.name:
                    for f in node.fields:
                        if f.name == member.name:
                            return analysis, f
    return None

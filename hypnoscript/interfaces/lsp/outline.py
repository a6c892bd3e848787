"""Document symbols: the declarations of a file as a tree (sessions hold their members,
suggestions and `tranceify` blocks their nested declarations)."""

from __future__ import annotations

from lsprotocol import types as L

from hypnoscript.syntax import ast as A

_BLOCK_FIELDS = ("then", "orelse", "body", "catch_body", "finally_body")


def document_symbols(parsed, index) -> list[L.DocumentSymbol]:
    return _symbols(parsed, index, parsed.program.body)


def _symbols(parsed, index, stmts) -> list[L.DocumentSymbol]:
    out: list[L.DocumentSymbol] = []
    for s in stmts:
        t = type(s)
        if t is A.VarDecl:
            kind = L.SymbolKind.Constant if s.constant else L.SymbolKind.Variable
            out.append(_symbol(parsed, index, s, s.name, kind, s.type.text if s.type else None))
        elif t is A.FuncDecl:
            out.append(_symbol(parsed, index, s, s.name, L.SymbolKind.Function, _signature(s.params),
                               _symbols(parsed, index, s.body)))
        elif t is A.SessionDecl:
            members = []
            for m in s.members:
                if type(m) is A.SessionMethod:
                    kind = L.SymbolKind.Constructor if m.is_constructor else L.SymbolKind.Method
                    members.append(_symbol(parsed, index, m, m.name, kind, _signature(m.params),
                                           _symbols(parsed, index, m.body)))
                else:
                    members.append(_symbol(parsed, index, m, m.name, L.SymbolKind.Field,
                                           m.type.text if m.type else None))
            out.append(_symbol(parsed, index, s, s.name, L.SymbolKind.Class, None, members))
        elif t is A.TranceifyDecl:
            fields = [_symbol(parsed, index, f, f.name, L.SymbolKind.Field, f.type.text) for f in s.fields]
            out.append(_symbol(parsed, index, s, s.name, L.SymbolKind.Struct, None, fields))
        elif t is A.Entrance or t is A.Finale:
            out.append(_symbol(parsed, index, s, t.__name__.lower(), L.SymbolKind.Namespace, None,
                               _symbols(parsed, index, s.body), name_node=False))
        elif t is A.TranceifyBlock:
            # its declarations are its own: they are listed under it
            out.append(_symbol(parsed, index, s, _block_name(s), L.SymbolKind.Namespace, "tranceify",
                               _symbols(parsed, index, s.body), name_node=s.name is not None))
        else:
            # Declarations inside if/loop/try bodies belong to the enclosing scope: list them here.
            for field in _BLOCK_FIELDS:
                inner = getattr(s, field, None)
                if isinstance(inner, list):
                    out.extend(_symbols(parsed, index, inner))
    return out


def _symbol(parsed, index, node, name: str, kind, detail, children=None, name_node: bool = True):
    span = (parsed.name_span(node, name) if name_node else None) or node.span
    return L.DocumentSymbol(name=name, kind=kind, detail=detail, range=index.span_range(node.span),
                            selection_range=index.span_range(span), children=children or None)


def _block_name(s: A.TranceifyBlock) -> str:
    """`tranceify Name {` is named Name, `tranceify("Relaxation") {` Relaxation."""
    if s.name is not None:
        return s.name
    first = s.args[0] if s.args else None
    return first.value if type(first) is A.StringLit and first.value.strip() else "tranceify"


def _signature(params) -> str:
    return "(" + ", ".join(p.name + (f": {p.type.text}" if p.type else "") for p in params) + ")"

"""Which fields of a parameter a suggestion can reach.

When every use of the parameter in the body is a field access with a fixed name
(`request.params.id`, `request.query?.page`), the value never escapes and only those fields can
be observed. `hyp serve` uses this to skip building the parts of a request a handler never reads.
"""

from __future__ import annotations

from hypnoscript.syntax import ast as A


def fields_read(decl: A.FuncDecl, param: str) -> frozenset[str] | None:
    """The field names of `param` that `decl` reads, or None when the value is used any other
    way (passed on, returned, indexed, compared, captured under another name, reassigned)."""
    member_objects = set()
    fields = set()
    nodes = list(A.walk(decl.body))
    for node in nodes:
        if isinstance(node, A.Member) and isinstance(node.obj, A.Identifier) and node.obj.name == param:
            member_objects.add(id(node.obj))
            fields.add(node.name)
        elif isinstance(node, (A.VarDecl, A.Anchor)) and node.name == param:
            return None
        elif isinstance(node, A.Lambda) and any(p.name == param for p in node.params):
            return None
    for node in nodes:
        if isinstance(node, A.Identifier) and node.name == param and id(node) not in member_objects:
            return None
    return frozenset(fields)

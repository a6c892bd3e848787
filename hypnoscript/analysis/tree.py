"""Generic walks over the syntax tree."""

from __future__ import annotations

import copy
from hypnoscript.syntax.nodeclass import fields

from hypnoscript.syntax import ast as A

# Nodes that start a new function body: `awaken`, `snap` and `sink` inside them belong to them.
FUNCTION_NODES = (A.FuncDecl, A.Lambda, A.SessionMethod, A.SessionDecl)


def walk(node: A.Node, skip: tuple[type, ...] = ()):
    """Every node below `node` (not `node` itself), parents before children, without descending
    into nodes of the `skip` types (those are yielded, their insides are not). Iterative, so long
    operator chains do not exhaust the Python stack."""
    stack = list(reversed(list(node.children())))
    while stack:
        n = stack.pop()
        yield n
        if not isinstance(n, skip):
            stack.extend(reversed(list(n.children())))


def own_nodes(body: list[A.Stmt]):
    """Every node of a function body that belongs to that function (nested suggestions, lambdas
    and sessions are yielded but not entered)."""
    for s in body:
        yield s
        if not isinstance(s, FUNCTION_NODES):
            yield from walk(s, FUNCTION_NODES)


def clone(value):
    """A deep copy of a node (or list of nodes); spans, being immutable, are shared."""
    if isinstance(value, A.Node):
        new = copy.copy(value)
        for f in fields(value):
            if f.name != "span":
                setattr(new, f.name, clone(getattr(value, f.name)))
        return new
    if isinstance(value, list):
        return [clone(v) for v in value]
    return value


def same(a, b) -> bool:
    """Tree equality (spans ignored), like `==` but iterative, so any depth works."""
    stack = [(a, b)]
    while stack:
        x, y = stack.pop()
        if isinstance(x, A.Node):
            if type(x) is not type(y):
                return False
            stack.extend((getattr(x, f.name), getattr(y, f.name)) for f in fields(x) if f.compare)
        elif isinstance(x, list):
            if not isinstance(y, list) or len(x) != len(y):
                return False
            stack.extend(zip(x, y))
        elif x != y or type(x) is not type(y):
            return False
    return True

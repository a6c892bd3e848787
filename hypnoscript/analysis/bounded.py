"""Which top-level suggestions provably finish after a bounded amount of work.

A suggestion is bounded when its body has no loops, defines and calls no function values, and
calls only builtins the caller names as cheap and other top-level suggestions that are bounded
themselves (recursion, direct or mutual, makes every suggestion on the cycle unbounded). Its run
time is then proportional to its own size and the size of the data it touches. `hyp serve` runs
such route handlers on the event loop instead of handing them to a thread.

The analysis is syntactic and conservative: a name it cannot resolve with certainty (a local
that shadows a builtin, an imported suggestion, a session constructor, a method call) makes the
caller unbounded.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from hypnoscript.syntax import ast as A

# Statements that may repeat or wait.
_UNBOUNDED_STMTS = (A.While, A.Loop, A.ForIn, A.Suspend, A.FuncDecl, A.SessionDecl, A.TranceifyDecl,
                    A.MindLink, A.Entrance, A.Finale)


def bounded_suggestions(program: A.Program, cheap_builtins: Iterable[str], imported: Iterable[str] = ()) -> set[str]:
    """Names of the program's top-level suggestions that are bounded (see the module doc)."""
    cheap = frozenset(cheap_builtins)
    functions: dict[str, A.FuncDecl] = {}
    declared: Counter[str] = Counter()
    for stmt in program.body:
        if isinstance(stmt, (A.FuncDecl, A.SessionDecl, A.TranceifyDecl, A.VarDecl, A.Anchor)):
            declared[stmt.name] += 1
            if isinstance(stmt, A.FuncDecl):
                functions[stmt.name] = stmt
    imported = set(imported)
    top_names = set(declared) | imported
    # a name declared twice at the top level, or also imported, is not certain enough
    ambiguous = {name for name, count in declared.items() if count > 1} | imported
    verdict: dict[str, bool] = {}

    def bounded(name: str) -> bool:
        if name in verdict:
            return verdict[name]
        verdict[name] = False  # on the call stack: a call back to it is recursion
        decl = functions[name]
        verdict[name] = name not in ambiguous and _body_bounded(decl, functions, top_names, cheap, bounded)
        return verdict[name]

    return {name for name in functions if bounded(name)}


def _body_bounded(decl: A.FuncDecl, functions: dict, top_names: set[str], cheap: frozenset, bounded) -> bool:
    local = {p.name for p in decl.params}
    nodes = list(A.walk(decl.body))
    for node in nodes:
        if isinstance(node, A.VarDecl):
            local.add(node.name)
        elif isinstance(node, A.Anchor):
            local.add(node.name)
        elif isinstance(node, A.Try) and node.catch_name:
            local.add(node.catch_name)
        elif isinstance(node, (A.BindingPattern, A.TypedPattern)):
            local.add(node.name)
        elif isinstance(node, A.ArrayPattern) and node.rest:
            local.add(node.rest)
    for node in nodes:
        if isinstance(node, _UNBOUNDED_STMTS) or isinstance(node, A.Lambda):
            return False
        if isinstance(node, A.Call):
            callee = node.callee
            if not isinstance(callee, A.Identifier) or callee.name in local:
                return False
            name = callee.name
            if name in functions:
                if not bounded(name):
                    return False
            elif name in top_names or name not in cheap:
                return False
    return True

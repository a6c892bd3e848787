"""Control flow facts about statement lists: can execution run past the end, which statements
can never run, and which conditions are constant.

`snap`/`sink` act on the innermost loop of the same suggestion (or the loop their label names),
and `awaken`/`throw` leave the suggestion, so each is an exit from the statement list it is in.
"""

from __future__ import annotations

from hypnoscript.syntax import ast as A

_LOOPS = (A.While, A.Loop, A.ForIn)


def literal_truth(e: A.Expr | None) -> bool | None:
    """The truth value of a literal condition (`true`, `0`, `"x"`, `null`, `!false`), else None."""
    t = type(e)
    if t is A.BoolLit:
        return e.value
    if t is A.NumberLit:
        return e.value != 0
    if t is A.StringLit:
        return e.value != ""
    if t is A.NullLit:
        return False
    if t is A.Unary and e.op == "!":
        inner = literal_truth(e.operand)
        return None if inner is None else not inner
    return None


def loop_is_infinite(s: A.Stmt) -> bool:
    """A `while`/`loop` whose condition is missing or always true."""
    if type(s) is A.While:
        return literal_truth(s.cond) is True
    if type(s) is A.Loop:
        return s.cond is None or literal_truth(s.cond) is True
    return False


def completes(stmts: list[A.Stmt]) -> bool:
    """Whether running `stmts` can end by reaching the end of the list."""
    for s in stmts:
        if not stmt_completes(s):
            return False
    return True


def stmt_completes(s: A.Stmt) -> bool:
    t = type(s)
    if t in (A.Return, A.Throw, A.Break, A.Continue):
        return False
    if t is A.If:
        truth = literal_truth(s.cond)
        if truth is True:
            return completes(s.then)
        if truth is False:
            return completes(s.orelse or [])
        return completes(s.then) or s.orelse is None or completes(s.orelse)
    if t is A.While or t is A.Loop:
        return not loop_is_infinite(s) or breaks_loop(s.body, s.label)
    if t is A.Try:
        if s.finally_body is not None and not completes(s.finally_body):
            return False
        return completes(s.body) or (s.catch_body is not None and completes(s.catch_body))
    if t is A.Entrance or t is A.Finale or t is A.TranceifyBlock:
        return completes(s.body)
    if t is A.ExprStmt and type(s.expr) is A.Entrain:
        return entrain_completes(s.expr)
    return True


def entrain_completes(e: A.Entrain) -> bool:
    """An entrain whose every arm is a block that leaves (`awaken`, ...) does not complete (when
    no arm matches, it fails)."""
    arms = e.cases + ([e.default] if e.default is not None else [])
    return any(not case.is_block or completes(case.body) for case in arms)


def breaks_loop(stmts: list[A.Stmt], label: str | None = None) -> bool:
    """Whether a `snap` in `stmts` leaves the loop that owns them (named `label`, if any): an
    unlabelled one outside inner loops, or `snap label;` anywhere."""
    return any(_has_break(s, label, False) for s in stmts)


def _has_break(node: A.Node, label: str | None, nested: bool) -> bool:
    t = type(node)
    if t is A.Break:
        return (not nested) or (label is not None and node.label == label)
    if t is A.FuncDecl or t is A.Lambda or t is A.SessionDecl or t is A.SessionMethod:
        return False
    inner = nested or t in _LOOPS
    return any(_has_break(child, label, inner) for child in node.children())


def exits(s: A.Stmt) -> bool:
    """Statements after `s` in the same list can never run."""
    return not stmt_completes(s)

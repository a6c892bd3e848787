"""`hyp lint`: code that runs but is probably not what was meant.

Each rule has a stable code (HYP3xxx) and a short name; both work for switching it off (see
`lint_config`). Every finding is a warning.
"""

from __future__ import annotations

import bisect

from hypnoscript.analysis import flow, tree
from hypnoscript.analysis.comments import SourceLayout
from hypnoscript.analysis.folding import NOT_CONSTANT, Folder
from hypnoscript.analysis.lint_config import ALL, line_suppressions
from hypnoscript.analysis.scopes import resolve
from hypnoscript.syntax import ast as A
from hypnoscript.syntax import tokens as T
from hypnoscript.syntax.diagnostics import Diagnostic
from hypnoscript.syntax.source import Source, Span

RULES: dict[str, tuple[str, str]] = {
    "HYP3001": ("unused-variable", "a variable that is never read"),
    "HYP3002": ("unused-parameter", "a parameter the suggestion never reads"),
    "HYP3003": ("unreachable-code", "statements after awaken, snap, sink or throw"),
    "HYP3004": ("shadowing", "a declaration hiding a variable of an enclosing suggestion or the program"),
    "HYP3005": ("constant-condition", "a condition that is always true or always false"),
    "HYP3006": ("missing-awaken", "a suggestion that awakens a value on some paths and falls off the end on others"),
    "HYP3007": ("null-comparison", "a comparison with null where `??` (lucidFallback) was meant"),
    "HYP3008": ("empty-block", "an empty if, loop, try, entrance or tranceify block"),
    "HYP3009": ("undeclared-assignment", "an assignment that creates a program-level variable"),
}
_BY_NAME = {name: code for code, (name, _) in RULES.items()}


def rule_code(name_or_code: str) -> str | None:
    if name_or_code in RULES:
        return name_or_code
    return _BY_NAME.get(name_or_code)


def lint(program: A.Program, source: Source, disabled=(), *, builtins=None, import_names=None) -> list[Diagnostic]:
    """Warnings for `program`, without those of `disabled` rules (names or codes) and those
    silenced by `// hyp-lint:` comments."""
    from hypnoscript.analysis.deep import run_deep

    if builtins is None:
        from hypnoscript.runtime.builtins.registry import all_builtins

        builtins = all_builtins()
    off = {rule_code(r) for r in disabled} - {None}
    linter = _Linter(program, source, builtins, import_names, off)
    return run_deep(linter.run)


class _Linter:
    def __init__(self, program, source, builtins, import_names, off) -> None:
        self.program = program
        self.source = source
        self.builtins = builtins
        self.import_names = import_names
        self.off = off
        self.layout = SourceLayout(source)
        self.diags: list[Diagnostic] = []

    def run(self) -> list[Diagnostic]:
        self.res = resolve(self.program, self.builtins, self.import_names)
        for code in RULES:
            if code not in self.off:
                getattr(self, "rule_" + RULES[code][0].replace("-", "_"))()
        suppressed = line_suppressions(self.layout.comments, self.source)
        out = []
        for d in self.diags:
            rules = suppressed.get(d.span.line, ()) if d.span else ()
            if ALL in rules or d.code in rules or RULES[d.code][0] in rules:
                continue
            out.append(d)
        out.sort(key=lambda d: (d.span.start if d.span else 0, d.code))
        return out

    def report(self, code: str, message: str, span: Span, help: str | None = None) -> None:
        self.diags.append(Diagnostic(code, message, span, "warning", [], help, self.source.path,
                                     [f"lint rule `{RULES[code][0]}` ({code})"]))

    def name_span(self, node: A.Node, name: str) -> Span:
        """The span of `name` where `node` declares it (the node's span if not found)."""
        starts = self.layout.token_starts
        i = bisect.bisect_left(starts, node.span.start)
        tokens = self.layout.tokens
        while i < len(tokens) and tokens[i].start < node.span.end:
            tok = tokens[i]
            if tok.kind != T.STRING_LITERAL and self.source.text[tok.start:tok.end] == name:
                return tok.span
            i += 1
        return node.span

    # ------------------------------------------------------------ statement lists

    def bodies(self):
        """Every statement list of the program: blocks of statements, functions, lambdas and
        entrain cases."""
        yield self.program.body
        for node in tree.walk(self.program):
            t = type(node)
            if t is A.If:
                yield node.then
                if node.orelse is not None:
                    yield node.orelse
            elif t in (A.While, A.Loop, A.ForIn, A.FuncDecl, A.SessionMethod, A.Lambda, A.Entrance, A.Finale,
                       A.TranceifyBlock):
                yield node.body
            elif t is A.Try:
                yield node.body
                for extra in (node.catch_body, node.finally_body):
                    if extra is not None:
                        yield extra
            elif t is A.Case and node.is_block:
                yield node.body

    # ------------------------------------------------------------ rules

    def rule_unused_variable(self) -> None:
        for b in self.res.bindings:
            if b.kind == "var" and not b.reads and not b.name.startswith("_"):
                decl = b.decls[0]
                self.report("HYP3001", f"variable `{b.name}` is never used", self.name_span(decl, b.name),
                            f"remove it, or name it `_{b.name}` if it is meant to be unused")

    def rule_unused_parameter(self) -> None:
        for b in self.res.bindings:
            if b.kind != "param" or b.reads or b.name.startswith("_"):
                continue
            owner = b.scope.node
            if b.scope.kind == "lambda" or not owner.body:
                continue
            what = "method" if isinstance(owner, A.SessionMethod) else "suggestion"
            self.report("HYP3002", f"parameter `{b.name}` of {what} `{owner.name}` is never used",
                        self.name_span(b.decls[0], b.name),
                        f"remove it, or name it `_{b.name}` if callers must still pass it")

    def rule_unreachable_code(self) -> None:
        for body in self.bodies():
            for i, s in enumerate(body[:-1]):
                if flow.exits(s):
                    first, last = body[i + 1], body[-1]
                    self.report("HYP3003", f"unreachable code: it follows {_exit_name(s)}",
                                first.span.to(last.span), "remove it, or move it before the statement that leaves")
                    break

    def rule_shadowing(self) -> None:
        for b in self.res.bindings:
            if b.kind not in ("var", "param", "function", "session") or b.name == "this" or b.name.startswith("_"):
                continue
            outer = b.scope.parent.lookup(b.name) if b.scope.parent is not None else None
            if outer is None or outer.kind == "this":
                continue
            where = f"line {outer.decls[0].span.line}" if outer.decls and outer.decls[0].span.start else "outside"
            decl = b.decls[0]
            self.report("HYP3004", f"`{b.name}` hides the variable of the same name declared at {where}",
                        self.name_span(decl, b.name), "rename one of them so each name means one thing")

    def rule_constant_condition(self) -> None:
        folder = Folder()
        for node in tree.walk(self.program):
            t = type(node)
            if t in (A.If, A.While, A.Ternary) or (t is A.Loop and node.cond is not None):
                value = folder.value(node.cond)
                if value is NOT_CONSTANT:
                    continue
                truth = bool(value)
                if t in (A.While, A.Loop):
                    if not truth:
                        self.report("HYP3005", "this loop never runs: its condition is always false", node.cond.span)
                    elif not _leaves(node.body, node.label):
                        self.report("HYP3005", "this loop never ends: its condition is always true and nothing "
                                    "in it leaves the loop", node.cond.span,
                                    "add a `snap;` (or `awaken`) that ends the loop")
                    continue
                what = "branch" if t is A.If else "alternative"
                taken = "always" if truth else "never"
                self.report("HYP3005", f"this condition is always {'true' if truth else 'false'}: "
                            f"the {what} after it {taken} runs", node.cond.span)

    def rule_missing_awaken(self) -> None:
        for node in tree.walk(self.program):
            if not isinstance(node, (A.FuncDecl, A.SessionMethod, A.Lambda)):
                continue
            if isinstance(node, A.SessionMethod) and node.is_constructor:
                continue
            returns = [n for n in tree.own_nodes(node.body) if type(n) is A.Return]
            if not any(r.value is not None for r in returns) or not flow.completes(node.body):
                continue
            name = f"`{node.name}`" if not isinstance(node, A.Lambda) else "this suggestion"
            head = self.name_span(node, node.name) if not isinstance(node, A.Lambda) else node.span
            self.report("HYP3006", f"{name} awakens a value on some paths but can also reach its end, "
                        "where it returns null", head, "end every path with `awaken value;`")

    def rule_null_comparison(self) -> None:
        for node in tree.walk(self.program):
            t = type(node)
            if t is A.Ternary:
                tested = _null_test(node.cond)
                if tested is None:
                    continue
                subject, is_eq = tested
                value, fallback = (node.otherwise, node.then) if is_eq else (node.then, node.otherwise)
                if value == subject:
                    self.report("HYP3007", "a null test choosing between a value and a fallback", node.span,
                                "write `value ?? fallback` (or `value lucidFallback fallback`)")
            elif t is A.If and node.orelse is None and len(node.then) == 1:
                tested = _null_test(node.cond)
                if tested is None or not tested[1]:
                    continue
                s = node.then[0]
                target = s.expr.target if type(s) is A.ExprStmt and type(s.expr) is A.Assign else (
                    A.Identifier(s.name) if type(s) is A.Anchor else None)
                if target is not None and target == tested[0]:
                    self.report("HYP3007", "a null test that only assigns a fallback", node.span,
                                "write `x = x ?? fallback;` (or `lucidFallback`)")

    def rule_empty_block(self) -> None:
        for node in tree.walk(self.program):
            for what, body, search_from in self.blocks_of(node):
                if body:
                    continue
                close = self.layout.block_close(None, search_from)
                if close is not None and self.comment_between(search_from, close):
                    continue
                self.report("HYP3008", f"empty {what}", node.span,
                            "remove it, or add a comment saying why nothing happens here")

    def blocks_of(self, node: A.Node):
        """(what, statements, where its `{` is searched from) for each block of a statement."""
        t = type(node)
        close_after = self.close_after
        if t is A.If:
            yield "if branch", node.then, node.cond.span.end
            if node.orelse is not None and not (len(node.orelse) == 1 and type(node.orelse[0]) is A.If):
                yield "else branch", node.orelse, close_after(node.then, node.cond.span.end)
        elif t is A.While:
            yield "loop body", node.body, node.cond.span.end
        elif t is A.Loop:
            parts = [p.span.end for p in (node.init, node.cond, node.update) if p is not None]
            yield "loop body", node.body, max(parts + [node.span.start])
        elif t is A.ForIn:
            yield "loop body", node.body, node.iterable.span.end
        elif t is A.Try:
            yield "try block", node.body, node.span.start
            after = close_after(node.body, node.span.start)
            if node.catch_body is not None:
                yield "catch block", node.catch_body, after
                after = close_after(node.catch_body, after)
            if node.finally_body is not None:
                yield "finally block", node.finally_body, after
        elif t in (A.Entrance, A.Finale):
            yield f"{'entrance' if t is A.Entrance else 'finale'} block", node.body, node.span.start
        elif t is A.TranceifyBlock:
            # after the arguments: one of them may hold braces of its own
            yield "tranceify block", node.body, max([a.span.end for a in node.args] + [node.span.start])

    def close_after(self, body: list[A.Stmt], search_from: int) -> int:
        """The offset just after the `}` closing `body` (`search_from` if it is not found)."""
        first = body[0].span.start if body else None
        close = self.layout.block_close(first, search_from)
        return close + 1 if close is not None else search_from

    def comment_between(self, start: int, end: int) -> bool:
        starts = self.layout.comment_starts
        i = bisect.bisect_left(starts, start)
        return i < len(starts) and starts[i] < end

    def rule_undeclared_assignment(self) -> None:
        for b in self.res.bindings:
            if b.kind != "implicit" or not b.writes:
                continue
            first = min(b.writes, key=lambda n: n.span.start)
            self.report("HYP3009", f"`{b.name}` is assigned but never declared: this creates a program-level "
                        "variable", first.span, f"declare it where it belongs: `induce {b.name} = ...;`")


def _exit_name(s: A.Stmt) -> str:
    t = type(s)
    if t is A.Return:
        return "`awaken`"
    if t is A.Break:
        return "`snap`"
    if t is A.Continue:
        return "`sink`"
    if t is A.Throw:
        return "`throw`"
    return "a statement that never finishes"


def _leaves(body: list[A.Stmt], label: str | None) -> bool:
    """Something in a loop body ends the loop: `snap` for it, `awaken` or `throw`."""
    if flow.breaks_loop(body, label):
        return True
    return any(type(n) in (A.Return, A.Throw) for n in tree.own_nodes(body))


def _null_test(cond: A.Expr):
    """For `x == null` / `x != null` (either order): (x, is_equality); else None."""
    if type(cond) is not A.Binary or cond.op not in ("==", "!="):
        return None
    if type(cond.right) is A.NullLit and type(cond.left) is not A.NullLit:
        return cond.left, cond.op == "=="
    if type(cond.left) is A.NullLit and type(cond.right) is not A.NullLit:
        return cond.right, cond.op == "=="
    return None

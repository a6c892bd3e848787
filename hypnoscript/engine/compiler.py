"""HypnoScript syntax tree -> Python `ast` -> code object.

Every generated node carries the `.hyp` line and column of the construct it came from (Python's
`col_offset` holds the HypnoScript column, counted in characters), so a runtime error maps straight
back to the HypnoScript source. Expressions compile to `(statements, expression)` pairs: most
need no statements, but `entrain` with block bodies and anonymous suggestions do, and the
generator keeps evaluation order when such a prelude has to be hoisted.
"""

from __future__ import annotations

import ast as py
import copy
import math

from hypnoscript.engine.artifact import MAIN, CompiledProgram
from hypnoscript.engine.names import mangle
from hypnoscript.engine.scopes import (BOOL, NUM, STR, UNKNOWN, Analysis, FnScope, constructor_of, instance_method,
                                       small_int)
from hypnoscript.runtime.builtins.support import WHITESPACE_CHARS
from hypnoscript.runtime.constants import CONSTANTS
from hypnoscript.syntax import ast as A
from hypnoscript.syntax.diagnostics import Diagnostic, DiagnosticError
from hypnoscript.syntax.source import Span

EPS = 2.220446049250313e-16

_CMP = {"<": py.Lt, "<=": py.LtE, ">": py.Gt, ">=": py.GtE}
_CMP_HELPER = {"<": "_lt", "<=": "_le", ">": "_gt", ">=": "_ge"}
_ARITH = {"+": (py.Add, "_add"), "-": (py.Sub, "_sub"), "*": (py.Mult, "_mul")}
_INLINE_LENGTH = ("ArrayLength", "Length")
# builtin -> (str method, number of arguments, constant arguments appended)
_STRING_METHODS = {
    "ToUpper": ("upper", 1), "ToLower": ("lower", 1), "Contains": ("__contains__", 2),
    "StartsWith": ("startswith", 2), "EndsWith": ("endswith", 2),
    "Trim": ("strip", 1, WHITESPACE_CHARS), "TrimStart": ("lstrip", 1, WHITESPACE_CHARS),
    "TrimEnd": ("rstrip", 1, WHITESPACE_CHARS),
}
# Python allows 20 nested blocks in a function. A statement costs its loop or `try` blocks, a
# labelled loop's jump handlers and an element-read handler of its own; a statement gets that
# handler only when everything it nests still fits (leaving room for the finale's and the session
# context's blocks), else its element reads keep inline range tests.
MAX_BLOCKS = 18
_OWN_CODE = (A.FuncDecl, A.Lambda, A.SessionDecl, A.TranceifyDecl)  # bodies compiled to functions


def _block_cost(s: A.Node) -> int:
    t = type(s)
    if t is A.While or t is A.Loop or t is A.ForIn:
        return 2 + (2 if s.label else 0)
    if t is A.Try:
        return 3
    return 0
SPECIALISE_LIMIT = 400  # syntax-tree nodes: larger suggestions are not compiled twice
_NUMERIC_OPS = frozenset(("-", "*", "/", "%", "<", "<=", ">", ">="))
_PY_TYPES = {NUM: "float", STR: "str", BOOL: "bool"}
_LITERAL_VALUE = {A.NumberLit: lambda e: float(e.value), A.StringLit: lambda e: e.value,
                  A.BoolLit: lambda e: bool(e.value), A.NullLit: lambda e: None}
_TYPE_PATTERNS = {"number": "float", "string": "str", "boolean": "bool", "array": "list"}


def _pyname_builtin(name: str) -> str:
    return "B_" + name


class _Loop:
    """A loop being compiled. A `snap label;`/`sink label;` aimed at an outer loop raises a
    LoopJump that the labelled loop catches (Python has no labelled break)."""

    __slots__ = ("label", "key", "break_used", "continue_used")

    def __init__(self, label: str | None, key: str) -> None:
        self.label = label
        self.key = key
        self.break_used = False
        self.continue_used = False


class _FnState:
    """Per generated function: its scope, loop nesting and temporaries."""

    def __init__(self, scope: FnScope, session: A.SessionDecl | None = None, this_name: str | None = None) -> None:
        self.scope = scope
        self.loops: list[_Loop] = []
        self.session = session
        self.this = this_name
        # native element reads of the statement being compiled, rechecked by the statement's
        # IndexError handler (see Compiler.stmt)
        self.sites: list[_Site] | None = None
        self.depth = 0  # Python blocks (loops, handlers) around the statement being compiled
        self.conditional = 0  # > 0 inside a part of an expression that may not be evaluated
        # counters known to be >= 0 where the code being compiled runs (a test guards it)
        self.facts: frozenset = frozenset()
        self.arm_closures = False  # the `entrain` arm being compiled creates functions
        self.return_this: str | None = None  # in a constructor's factory: what every return gives


class _Site:
    """A list element read compiled to a plain subscript."""

    __slots__ = ("obj", "idx", "span", "node", "full_test")

    def __init__(self, obj: py.expr, idx: py.expr, span: Span, node: py.IfExp | None, full_test) -> None:
        self.obj = obj
        self.idx = idx
        self.span = span
        self.node = node  # the read, for one that may not be evaluated (see Compiler.finish_sites)
        self.full_test = full_test  # builds the inline range test that replaces the handler


class Compiler:
    def __init__(self, program: A.Program, path: str, builtins: dict, *, module_exports: bool = False,
                 resolver=None, open_world: bool = False) -> None:
        self.program = program
        self.path = path
        self.builtins = builtins
        self.resolver = resolver
        self.errors: list[Diagnostic] = []
        # a builtin declared to return a string may still return null (e.g. input at end of file)
        self.analysis: Analysis | None = None
        self.used_builtins: set[str] = set()
        self.functions: dict[str, str] = {MAIN: "<main>"}
        self.imports: list = []
        self.last_module: py.Module | None = None
        self.compiled: CompiledProgram | None = None  # set by runner.build
        self._tmp = 0
        self._fn: _FnState | None = None
        # (subject temp, its type's temp, its Python type when inferred) in an entrain
        self._subject_kind: tuple | None = None
        self._types: dict[int, tuple] = {}
        self._counters: dict[int, tuple] = {}
        self._int_able: dict[int, tuple] = {}
        self._method_names: dict[int, str] = {}
        self._heights: dict[int, tuple] = {}  # see height (the node is kept so its id stays its own)
        self._plain_records: set[int] = set()
        self._records_declared: set[str] = set()
        self.track_context = False
        self.module_exports = module_exports
        # top-level suggestions may be called by code compiled later (a module's importers, the
        # REPL's next entries): their parameters' types are not inferred from this program's calls
        self.open_world = open_world or module_exports

    # ------------------------------------------------------------ helpers

    def import_names(self, s: A.MindLink) -> list[str]:
        if self.resolver is None:
            self.error(s.span, "HYP5004", "`mindLink` needs a module loader (run the program with `hyp exec`)")
            return []
        try:
            return self.resolver.module_names(self.path, s.path, s.span)
        except DiagnosticError as exc:
            self.errors.extend(exc.diagnostics)
            return []

    def tmp(self, prefix: str = "t") -> str:
        self._tmp += 1
        return f"_{prefix}{self._tmp}"

    def error(self, span: Span, code: str, message: str, help: str | None = None) -> None:
        self.errors.append(Diagnostic(code, message, span, help=help, path=self.path))

    @staticmethod
    def loc(node, span: Span):
        """Stamp `node` and its descendants that have no position yet with `span`. A node that has
        one was stamped with its whole subtree already, so the walk stops there (which keeps long
        operator chains linear)."""
        line, col = span.line, span.col - 1
        end_line = span.end_line
        end_col = max(span.end_col - 1, 0) if span.end_line != span.line else max(span.end_col - 1, span.col)
        stack = [node]
        while stack:
            n = stack.pop()
            if "lineno" in n._attributes:
                if hasattr(n, "lineno"):
                    continue
                n.lineno = line
                n.col_offset = col
                n.end_lineno = end_line
                n.end_col_offset = end_col
            stack.extend(py.iter_child_nodes(n))
        return node

    @staticmethod
    def name(id_: str, store: bool = False) -> py.Name:
        return py.Name(id=id_, ctx=py.Store() if store else py.Load())

    def call(self, fn: str, *args: py.expr) -> py.Call:
        return py.Call(func=self.name(fn), args=list(args), keywords=[])

    @staticmethod
    def const(v) -> py.Constant:
        return py.Constant(value=v)

    def ty(self, e: A.Expr):
        """The inferred type of an expression (memoised: chains ask for their operands' types at
        every level). The cache keeps the node alive, so its id cannot be reused."""
        hit = self._types.get(id(e))
        if hit is None:
            hit = self._types[id(e)] = (e, self.analysis.type_of(e, self._fn.scope))
        return hit[1]

    # ------------------------------------------------------------ entry

    def analyze(self) -> Analysis:
        if self.analysis is None:
            returns = {n: b.returns for n, b in self.builtins.items() if b.returns in ("number", "boolean")}
            overridable = {n for n, b in self.builtins.items() if not b.in_reference}
            self.analysis = Analysis(self.program, returns, self.import_names, overridable, frozenset(self.builtins),
                                     self.open_world)
            self.track_context = self.analysis.has_private
        return self.analysis

    def compile(self) -> CompiledProgram:
        main_scope = self.analyze().main
        self._fn = _FnState(main_scope)
        finales: list[A.Stmt] = []
        body_nodes: list[A.Stmt] = []
        for s in self.program.body:
            (finales if type(s) is A.Finale else body_nodes).append(s)
        # record types without methods declared once, by a top-level statement: a literal in the
        # top level after that statement builds its record directly
        decls = [n for n in A.walk(self.program.body) if type(n) is A.TranceifyDecl]
        names = [d.name for d in decls]
        self._plain_records = {id(d) for d in self.program.body if type(d) is A.TranceifyDecl and not d.methods
                               and names.count(d.name) == 1}
        body = self.block(body_nodes)
        self._records_declared.clear()  # a finale can run before any declaration did
        if finales:
            final_body = self.block([s for f in finales for s in f.body])
            body = [py.Try(body=body or [py.Pass()], handlers=[], orelse=[], finalbody=final_body or [py.Pass()])]
        prologue: list[py.stmt] = []
        if main_scope.bindings:
            # never runs: makes every program-level name a local of main even when only nested
            # suggestions assign it, so their `nonlocal` declarations find it
            targets = [self.name(b.pyname, True) for b in main_scope.bindings.values()]
            prologue.append(py.If(test=self.const(False), body=[py.Assign(targets=targets, value=self.const(None))],
                                  orelse=[]))
        if self.module_exports:
            body.append(py.Return(value=self.exports_dict(main_scope)))
        fn = py.FunctionDef(
            name=MAIN, args=self.arguments([]), body=prologue + (body or [py.Pass()]), decorator_list=[], returns=None,
            type_comment=None,
        )
        self.loc(fn, self.program.span)
        if self.errors:
            # a number-specialised body is compiled twice: report each problem once
            unique = {(d.code, d.message, d.span.start if d.span else -1): d for d in self.errors}
            raise DiagnosticError(list(unique.values()))
        module = py.Module(body=[fn], type_ignores=[])
        py.fix_missing_locations(module)
        self.last_module = module
        try:
            code = compile(module, self.path, "exec", dont_inherit=True, optimize=0)
        except (SyntaxError, RecursionError, MemoryError, ValueError) as exc:
            raise DiagnosticError([
                Diagnostic("HYP1006", f"the program is nested too deeply to compile ({type(exc).__name__}: {exc})",
                           self.program.span, path=self.path)
            ]) from None
        exports = [n for n in main_scope.bindings if not n.startswith("_")] if self.module_exports else []
        return CompiledProgram(code, sorted(self.used_builtins), self.functions, self.imports, exports)

    def exports_dict(self, scope: FnScope) -> py.expr:
        """`_exports(locals(), ((name, pyname), ...))`: the module's bound top-level names."""
        pairs = py.Tuple(elts=[py.Tuple(elts=[self.const(b.name), self.const(b.pyname)], ctx=py.Load())
                               for b in scope.bindings.values()], ctx=py.Load())
        return self.call("_exports", py.Call(func=self.name("locals"), args=[], keywords=[]), pairs)

    @staticmethod
    def arguments(names: list[str], defaults: list[py.expr] | None = None) -> py.arguments:
        return py.arguments(
            posonlyargs=[], args=[py.arg(arg=n) for n in names], vararg=None, kwonlyargs=[], kw_defaults=[],
            kwarg=None, defaults=defaults or [],
        )

    # ------------------------------------------------------------ statements

    def block(self, stmts: list[A.Stmt]) -> list[py.stmt]:
        out: list[py.stmt] = []
        for s in stmts:
            out.extend(self.stmt(s))
        return out

    def stmt(self, s: A.Stmt) -> list[py.stmt]:
        method = getattr(self, "s_" + type(s).__name__)
        st = self._fn
        fits = st.depth + self.height(s) + 1 <= MAX_BLOCKS
        outer_sites, st.sites = st.sites, ([] if fits else None)
        outer_conditional, st.conditional = st.conditional, 0
        blocks = _block_cost(s)
        st.depth += blocks
        try:
            result = method(s)
            sites = self.finish_sites(st.sites) if st.sites is not None else None
        finally:
            st.sites, st.conditional = outer_sites, outer_conditional
            st.depth -= blocks
        if sites:
            result = [self.recheck_sites(result, sites)]
        for node in result:
            self.loc(node, s.span)
        return result

    def height(self, s: A.Stmt) -> int:
        """The most Python blocks the code of `s` opens inside this function, counting a handler
        for every statement that has loops or `try`s (see _block_cost)."""
        hit = self._heights.get(id(s))
        if hit is None:
            inner = 0
            stack = list(s.children())
            while stack:
                node = stack.pop()
                if type(node) in _OWN_CODE:
                    continue
                if isinstance(node, A.Stmt):
                    inner = max(inner, self.height(node))
                else:
                    stack.extend(node.children())
            hit = self._heights[id(s)] = (s, _block_cost(s) + inner)
        return hit[1]

    @staticmethod
    def finish_sites(sites: list[_Site]) -> list[_Site]:
        """The reads the statement's handler rechecks. The handler repeats every read, so a read
        that may have been skipped (a ternary branch, the right of `&&`) is only left to it when
        it is the statement's only read; otherwise it gets its range test inline."""
        if len(sites) > 1 and any(site.node is not None for site in sites):
            for site in sites:
                if site.node is not None:
                    site.node.test = site.full_test()
            return [site for site in sites if site.node is None]
        return sites

    def recheck_sites(self, body: list[py.stmt], sites: list[_Site]) -> py.Try:
        """The statement, with element reads compiled to plain subscripts (zero cost in Python
        3.11) and one handler for when one of them is out of range: it repeats each read in
        order through the helper, which raises the HypnoScript error at that read's position."""
        checks: list[py.stmt] = []
        seen = set()
        for site in sites:
            key = (py.dump(site.obj), py.dump(site.idx))
            if key not in seen:
                seen.add(key)
                checks.append(self.loc(py.Expr(value=self.call("_index", site.obj, site.idx)), site.span))
        handler = py.ExceptHandler(type=self.name("_IndexFail"), name=None,
                                   body=checks + [py.Raise(exc=None, cause=None)])
        return py.Try(body=body or [py.Pass()], handlers=[handler], orelse=[], finalbody=[])

    def s_ExprStmt(self, s: A.ExprStmt) -> list[py.stmt]:
        e = s.expr
        if type(e) is A.Assign:
            return self.assign(e, as_statement=True)[0]
        pre, value = self.expr(e)
        if isinstance(value, (py.Constant, py.Name)):
            return pre
        return pre + [py.Expr(value=value)]

    def s_VarDecl(self, s: A.VarDecl) -> list[py.stmt]:
        if s.init is None:
            value: py.expr = self.const(None)
            pre: list[py.stmt] = []
        else:
            pre, value = self.expr(s.init)
        b = self._fn.scope.lookup(s.name) if not s.shared else self.analysis.main.bindings[s.name]
        if b.counter:
            pre, value = [], self.int_expr(s.init)
        return pre + [py.Assign(targets=[self.name(b.pyname, True)], value=value)]

    def s_Anchor(self, s: A.Anchor) -> list[py.stmt]:
        return self.assign(A.Assign(A.Identifier(s.name, span=s.span), s.value, span=s.span), as_statement=True)[0]

    def s_Output(self, s: A.Output) -> list[py.stmt]:
        pre, value = self.expr(s.value)
        text = self.to_text(s.value, value)
        kind = s.kind
        if kind == "observe":
            text = py.BinOp(left=text, op=py.Add(), right=self.const("\n"))
        elif kind == "command":
            text = py.BinOp(
                left=py.Call(func=py.Attribute(value=text, attr="upper", ctx=py.Load()), args=[], keywords=[]),
                op=py.Add(), right=self.const("\n"),
            )
        elif kind == "murmur":
            text = py.BinOp(left=self.const("[DEBUG] "), op=py.Add(), right=text)
        return pre + [py.Expr(value=self.call("_out", text))]

    def to_text(self, e: A.Expr, value: py.expr) -> py.expr:
        t = self.ty(e)
        if t == STR:
            return value
        if t == NUM:
            if self.is_int_variable(e):
                return self.call("str", self.int_expr(e))  # an int counter prints as Python prints it
            return self.call("_fmtn", value)
        return self.call("_fmt", value)

    def s_If(self, s: A.If) -> list[py.stmt]:
        pre, test = self.expr(s.cond)
        then = self.guarded_block(s.then, s.cond) or [py.Pass()]
        orelse = self.block(s.orelse) if s.orelse else []
        return pre + [py.If(test=test, body=then, orelse=orelse)]

    def s_While(self, s: A.While) -> list[py.stmt]:
        pre, test = self.expr(s.cond)
        loop = self.enter_loop(s.label)
        body = self.loop_body(loop, self.guarded_block(s.body, s.cond))
        self._fn.loops.pop()
        if pre:
            # the condition needs statements: evaluate them at the top of every pass
            check = py.If(test=py.UnaryOp(op=py.Not(), operand=test), body=[py.Break()], orelse=[])
            return self.loop_exit(loop, py.While(test=self.const(True), body=pre + [check] + body, orelse=[]))
        return self.loop_exit(loop, self.while_loop(test, body))

    def facts_from(self, cond: A.Expr) -> set:
        """Counters that `cond` being true proves non-negative (`i >= 0`, `i > -1`, `0 <= i`, in
        any conjunct of an `&&` chain)."""
        found = set()
        stack = [cond]
        while stack:
            e = stack.pop()
            if type(e) is not A.Binary:
                continue
            if e.op == "&&":
                stack += [e.left, e.right]
                continue
            var, op, bound = e.left, e.op, e.right
            if type(var) is A.NumberLit:
                var, bound, op = bound, var, {"<=": ">=", "<": ">"}.get(op, "")
            if type(var) is not A.Identifier or type(bound) is not A.NumberLit:
                continue
            if (op == ">=" and bound.value >= 0) or (op == ">" and bound.value >= -1):
                b = self._fn.scope.lookup(var.name)
                if b is not None and b.counter and not b.assigned_inside:
                    found.add(b)
        return found

    def with_facts(self, facts, compile_part):
        st = self._fn
        outer = st.facts
        st.facts = outer | facts
        try:
            return compile_part()
        finally:
            st.facts = outer

    def guarded_block(self, stmts: list[A.Stmt], cond: A.Expr) -> list[py.stmt]:
        """A block that runs when `cond` held: its facts hold until a statement assigns their
        variable."""
        facts = self.facts_from(cond)
        if not facts:
            return self.block(stmts)
        out: list[py.stmt] = []
        for s in stmts:
            if facts:
                assigned = _assigned_names(s)
                facts = {b for b in facts if b.name not in assigned}
            out.extend(self.with_facts(facts, lambda: self.stmt(s)) if facts else self.stmt(s))
        return out

    def nonneg(self, e: A.Expr) -> bool:
        """Whether a counter expression is never negative here."""
        if type(e) is A.Binary and e.op == "%" and type(e.right) is A.NumberLit and e.right.value > 0:
            return self.nonneg(e.left)
        scope = self._fn.scope
        if self.analysis.is_nonneg_expr(e, scope):
            return True
        facts = self._fn.facts
        if not facts:
            return False
        while type(e) is A.Binary and e.op == "+":
            if type(e.right) is A.NumberLit and e.right.value >= 0:
                e = e.left
            elif type(e.left) is A.NumberLit and e.left.value >= 0:
                e = e.right
            else:
                return False
        return type(e) is A.Identifier and scope.lookup(e.name) in facts

    def while_loop(self, test: py.expr, body: list[py.stmt]) -> py.While:
        """`while True: if not test: break; body`. CPython 3.11 specialises a function's bytecode
        after its first few unconditional backward jumps (or calls); `while test:` loops back
        with a conditional jump, so a program's top level, which runs once, would otherwise run
        unspecialised, at about half the speed."""
        if isinstance(test, py.Constant) and test.value is True:
            return py.While(test=test, body=body or [py.Pass()], orelse=[])
        check = py.If(test=py.UnaryOp(op=py.Not(), operand=test), body=[py.Break()], orelse=[])
        return py.While(test=self.const(True), body=[check] + body, orelse=[])

    def enter_loop(self, label: str | None) -> _Loop:
        loop = _Loop(label, self.tmp("loop"))
        self._fn.loops.append(loop)
        return loop

    def loop_body(self, loop: _Loop, body: list[py.stmt]) -> list[py.stmt]:
        """The body, catching a labelled `sink` aimed at this loop from an inner one."""
        if not loop.continue_used:
            return body
        return [self.catch_jump(body or [py.Pass()], "continue:" + loop.key)]

    def loop_exit(self, loop: _Loop, stmt: py.stmt) -> list[py.stmt]:
        """The loop, catching a labelled `snap` aimed at it from an inner one."""
        if not loop.break_used:
            return [stmt]
        return [self.catch_jump([stmt], "break:" + loop.key)]

    def catch_jump(self, body: list[py.stmt], target: str) -> py.stmt:
        exc = self.tmp("jump")
        rethrow = py.If(test=py.Compare(left=py.Attribute(value=self.name(exc), attr="target", ctx=py.Load()),
                                        ops=[py.NotEq()], comparators=[self.const(target)]),
                        body=[py.Raise(exc=None, cause=None)], orelse=[])
        return py.Try(body=body, handlers=[py.ExceptHandler(type=self.name("_LoopJump"), name=exc, body=[rethrow])],
                      orelse=[], finalbody=[])

    def jump(self, s, kind: str) -> list[py.stmt]:
        loops = self._fn.loops
        word = "snap" if kind == "break" else "sink"
        if not loops:
            what = "leaves" if kind == "break" else "continues"
            self.error(s.span, "HYP2001" if kind == "break" else "HYP2002", f"`{word}` ({kind}) outside of a loop",
                       f"`{word}` {what} the innermost loop of the same suggestion; it cannot reach a caller's loop")
            return []
        direct = py.Break() if kind == "break" else py.Continue()
        if s.label is None or loops[-1].label == s.label:
            return [direct]
        target = next((loop for loop in reversed(loops) if loop.label == s.label), None)
        if target is None:
            self.error(s.span, "HYP2006", f"no enclosing loop is labelled '{s.label}'",
                       "label a loop with `name: while (...) { ... }` in the same suggestion")
            return []
        if kind == "break":
            target.break_used = True
        else:
            target.continue_used = True
        return [py.Raise(exc=self.call("_LoopJump", self.const(f"{kind}:{target.key}")), cause=None)]

    def s_Loop(self, s: A.Loop) -> list[py.stmt]:
        if self.counting_loop(s):
            return self.range_loop(s)
        out: list[py.stmt] = []
        if s.init is not None:
            out.extend(self.stmt(s.init))
        update: list[py.stmt] = []
        if s.update is not None:
            update = self.stmt(A.ExprStmt(s.update, span=s.update.span))
        needs_flag = bool(update) and _has_continue(s.body)
        loop = self.enter_loop(s.label)
        body = self.loop_body(loop, self.guarded_block(s.body, s.cond) if s.cond is not None else self.block(s.body))
        self._fn.loops.pop()
        cond_pre: list[py.stmt] = []
        test: py.expr = self.const(True)
        if s.cond is not None:
            cond_pre, test = self.expr(s.cond)
        if needs_flag:
            # `sink` must still run the update: run it at the top of every pass but the first
            flag = self.tmp("first")
            out.append(py.Assign(targets=[self.name(flag, True)], value=self.const(True)))
            head = [
                py.If(test=self.name(flag), body=[py.Assign(targets=[self.name(flag, True)], value=self.const(False))],
                      orelse=update),
            ]
            check = [py.If(test=py.UnaryOp(op=py.Not(), operand=test), body=[py.Break()], orelse=[])] if s.cond else []
            stmt = py.While(test=self.const(True), body=head + cond_pre + check + body, orelse=[])
        elif cond_pre:
            check = [py.If(test=py.UnaryOp(op=py.Not(), operand=test), body=[py.Break()], orelse=[])]
            stmt = py.While(test=self.const(True), body=cond_pre + check + body + update, orelse=[])
        else:
            stmt = self.while_loop(test, body + update)
        return out + self.loop_exit(loop, stmt)

    def counting_loop(self, s: A.Loop) -> bool:
        """`loop (induce i = a; i < b; i = i + 1)` (or `<=`) where `i` is an integer counter and `b`
        a number computed from literals and variables that nothing in the loop assigns (and no
        suggestion assigns at all): `b` is then the same at every pass, and the loop can be a
        `for` over a `range`."""
        init, cond, update = s.init, s.cond, s.update
        if type(init) is not A.VarDecl or init.init is None or type(cond) is not A.Binary or cond.op not in ("<", "<="):
            return False
        name = init.name
        if type(cond.left) is not A.Identifier or cond.left.name != name:
            return False
        if type(update) is not A.Assign or type(update.target) is not A.Identifier or update.target.name != name:
            return False
        step = update.value
        if not (type(step) is A.Binary and step.op == "+" and type(step.left) is A.Identifier
                and step.left.name == name and type(step.right) is A.NumberLit and step.right.value == 1):
            return False
        scope = self._fn.scope
        counter = scope.lookup(name)
        if counter is None or not counter.counter or counter.assigned_inside:
            return False
        names = set()
        for n in A.walk([cond.right]):
            t = type(n)
            if t is A.Identifier:
                names.add(n.name)
            elif not (t is A.NumberLit or (t is A.Binary and n.op in ("+", "-", "*"))
                      or (t is A.Unary and n.op == "-")):
                return False
        assigned = set().union(*map(_assigned_names, s.body))
        for n in names:
            b = scope.lookup(n)
            if b is None or b is counter or b.assigned_inside or n in assigned:
                return False
        return self.analysis.type_of(cond.right, scope) == NUM

    def range_loop(self, s: A.Loop) -> list[py.stmt]:
        """A counting loop as `for i in range(i, end)`; without a `snap`, `i` ends where the
        `while` form leaves it, at the end (the `else`)."""
        out = self.stmt(s.init)
        counter = self._fn.scope.lookup(s.init.name)
        bound = s.cond.right
        inclusive = s.cond.op == "<="
        end = self.int_expr(bound)
        if end is not None:
            if inclusive:
                end = py.BinOp(left=end, op=py.Add(), right=self.const(1))
        else:
            pre, value = self.expr(bound)
            out.extend(pre)
            end = self.call("_loop_end", value, self.const(inclusive))
        last = self.tmp("end")
        out.append(py.Assign(targets=[self.name(last, True)], value=end))
        loop = self.enter_loop(s.label)
        body = self.loop_body(loop, self.guarded_block(s.body, s.cond))
        self._fn.loops.pop()
        i = counter.pyname
        finish = py.If(test=py.Compare(left=self.name(i), ops=[py.Lt()], comparators=[self.name(last)]),
                       body=[py.Assign(targets=[self.name(i, True)], value=self.name(last))], orelse=[])
        stmt = py.For(target=self.name(i, True), iter=py.Call(func=self.name("range"), args=[self.name(i), self.name(last)],
                                                            keywords=[]),
                      body=body or [py.Pass()], orelse=[finish], type_comment=None)
        return out + self.loop_exit(loop, stmt)

    def s_ForIn(self, s: A.ForIn) -> list[py.stmt]:
        pre, items = self.expr(s.iterable)
        b = self._fn.scope.lookup(s.name)
        loop = self.enter_loop(s.label)
        body = self.loop_body(loop, self.block(s.body))
        self._fn.loops.pop()
        known = type(s.iterable) is A.Identifier and self._fn.scope.lookup(s.iterable.name)
        if known and (known.is_list or known.is_dict):
            # a snapshot of the list (or the dictionary's keys), as the helper takes
            iterate: py.expr = py.Call(func=self.name("list"), args=[items], keywords=[])
        else:
            iterate = self.call("_iterate", items)
        return pre + self.loop_exit(loop, py.For(target=self.name(b.pyname, True), iter=iterate,
                                                 body=body or [py.Pass()], orelse=[], type_comment=None))

    def s_Break(self, s: A.Break) -> list[py.stmt]:
        return self.jump(s, "break")

    def s_Continue(self, s: A.Continue) -> list[py.stmt]:
        return self.jump(s, "continue")

    def s_Return(self, s: A.Return) -> list[py.stmt]:
        if self._fn.scope.function.kind == "main":
            self.error(s.span, "HYP2003", "`awaken` (return) outside of a suggestion",
                       "`awaken` returns from a suggestion; at the top level there is nothing to return from")
            return []
        this = self._fn.return_this
        if this is not None:
            # a constructor's factory returns the new instance whatever `awaken` says
            pre, value = self.expr(s.value) if s.value is not None else ([], self.const(None))
            return pre + ([] if _is_pure(value) else [py.Expr(value=value)]) + [py.Return(value=self.name(this))]
        if s.value is None:
            return [py.Return(value=self.const(None))]
        if type(s.value) is A.Entrain:
            return self.entrain(s.value, None)  # each arm returns its value
        pre, value = self.expr(s.value)
        return pre + [py.Return(value=value)]

    def s_Suspend(self, s: A.Suspend) -> list[py.stmt]:
        return [py.Expr(value=self.call("_suspend"))]

    def s_Oscillate(self, s: A.Oscillate) -> list[py.stmt]:
        target = s.target
        if type(target) is A.Identifier:
            pre, current = self.expr(target)
            b = self._fn.scope.lookup(target.name)
            if b is None:
                return pre + [py.Expr(value=self.call("_undefined", self.const(target.name)))]
            flipped = self.call("_oscillate", current, self.const(target.name))
            return pre + self.store_identifier_stmt(target.name, flipped)
        if type(target) in (A.Member, A.Index):
            pre, current = self.expr(target)
            label = target.name if type(target) is A.Member else "element"
            flipped = self.call("_oscillate", current, self.const(label))
            pre2, stored = self.store_complex(target, flipped)
            return pre + pre2 + [py.Expr(value=stored)]
        self.error(s.span, "HYP2004", "`oscillate` needs a variable", "write `oscillate flag;` with a boolean variable")
        return []

    def s_FuncDecl(self, s: A.FuncDecl) -> list[py.stmt]:
        b = self._fn.scope.lookup(s.name)
        pyname = b.pyname
        fn = self.function(s, pyname, s.params, s.body, s.name)
        set_name = py.Assign(
            targets=[py.Attribute(value=self.name(pyname), attr="__qualname__", ctx=py.Store())], value=self.const(s.name)
        )
        return [fn, set_name]

    def function(self, node: A.Node, pyname: str, params: list[A.Param], body: list[A.Stmt], display: str,
                 *, this: bool = False, session: A.SessionDecl | None = None, session_var: str | None = None,
                 factory: list[py.stmt] | None = None) -> py.FunctionDef:
        """A suggestion, method or lambda as a Python function. With `factory` (a constructor's
        statements making `this`), a function of the parameters alone that returns `this`."""
        scope = self.analysis.scopes[id(node)]
        outer = self._fn
        self._fn = _FnState(scope, session if this else None, "this" if this else None)
        try:
            this_name = [scope.bindings["this"].pyname] if this else []
            names = (this_name if factory is None else []) + [scope.bindings[p.name].pyname for p in params]
            prologue: list[py.stmt] = list(factory or [])
            if factory is not None:
                self._fn.return_this = this_name[0]
            defaults: list[py.expr] = []
            first_default = next((i for i, p in enumerate(params) if p.default is not None), None)
            if first_default is not None:
                for p in params[first_default:]:
                    defaults.append(self.name("_MISSING"))
                    pname = scope.bindings[p.name].pyname
                    if p.default is not None:
                        dpre, dval = self.expr(p.default)
                        prologue.append(py.If(
                            test=py.Compare(left=self.name(pname), ops=[py.Is()], comparators=[self.name("_MISSING")]),
                            body=dpre + [py.Assign(targets=[self.name(pname, True)], value=dval)], orelse=[]))
                    else:
                        prologue.append(py.If(
                            test=py.Compare(left=self.name(pname), ops=[py.Is()], comparators=[self.name("_MISSING")]),
                            body=[py.Assign(targets=[self.name(pname, True)], value=self.const(None))], orelse=[]))
                    self.loc(prologue[-1], p.span)
            stmts = self.block(body)
            numeric = self.numeric_params(scope, params, body)
            if numeric:
                # a second copy of the body for number arguments, where the parameters are known
                # to be floats: native operators instead of type tests
                fast = self.with_numbers(numeric, lambda: self.block(body))
                test = py.BoolOp(op=py.And(), values=[self.is_type(self.name(b.pyname), "float") for b in numeric]) \
                    if len(numeric) > 1 else self.is_type(self.name(numeric[0].pyname), "float")
                stmts = [self.loc(py.If(test=test, body=fast or [py.Pass()], orelse=stmts or [py.Pass()]), node.span)]
            if factory is not None:
                stmts.append(self.loc(py.Return(value=self.name(this_name[0])), node.span))
            nonlocals = sorted(self.nonlocal_pynames(scope))
            decl = [py.Nonlocal(names=nonlocals)] if nonlocals else []
            if session_var is not None and self.track_context:
                stmts = [
                    py.Expr(value=self.call("_ctx_push", self.name(session_var))),
                    py.Try(body=prologue + stmts or [py.Pass()], handlers=[], orelse=[],
                           finalbody=[py.Expr(value=self.call("_ctx_pop"))]),
                ]
                prologue = []
            fn = py.FunctionDef(
                name=pyname, args=self.arguments(names, defaults), body=decl + prologue + (stmts or [py.Pass()]),
                decorator_list=[], returns=None, type_comment=None,
            )
        finally:
            self._fn = outer
        self.functions[pyname] = display
        return self.loc(fn, node.span)

    def numeric_params(self, scope: FnScope, params: list[A.Param], body: list[A.Stmt]) -> list:
        """Parameters worth a number-specialised copy of the body: used as operands of arithmetic
        or comparisons, and never assigned anything but numbers. Small bodies only."""
        if not params or _size(body, SPECIALISE_LIMIT) >= SPECIALISE_LIMIT:
            return []
        used = _numeric_operands(body)
        chosen = []
        for p in params:
            b = scope.bindings.get(p.name)
            if b is None or b.ty is not None or p.name not in used or b.counter:
                continue
            chosen.append(b)
        if not chosen:
            return []
        ok = self.with_numbers(chosen, lambda: [
            b for b in chosen if all(v is UNKNOWN or self.analysis.type_of(v[0], v[1]) == NUM for v in b.values)])
        return [b for b in chosen if b in ok]

    def with_numbers(self, bindings: list, compile_part):
        """Run `compile_part` with `bindings` typed as numbers (type memos reset around it)."""
        for b in bindings:
            b.ty = NUM
        self._reset_type_memos()
        try:
            return compile_part()
        finally:
            for b in bindings:
                b.ty = None
            self._reset_type_memos()

    def _reset_type_memos(self) -> None:
        self._types.clear()
        self._counters.clear()
        self._int_able.clear()
        self.analysis._final_types = {}

    def nonlocal_pynames(self, scope: FnScope) -> set[str]:
        out = set()
        for n in scope.nonlocals:
            b = scope.lookup(n) if n not in scope.bindings else None
            if b is None:
                b = self.analysis.main.bindings.get(n)
            if b is not None and b.scope is not scope:
                out.add(b.pyname)
        return out

    def method_pyname(self, s: A.SessionDecl, m: A.SessionMethod) -> str:
        """The Python name of a method's function (asked for by calls compiled before the session)."""
        key = id(m)
        name = self._method_names.get(key)
        if name is None:
            name = self._method_names[key] = self.tmp("m_" + _ascii(m.name))
        return name

    def known_method(self, callee: A.Member) -> str | None:
        """`x.m(...)` where `x` always holds an instance of one session that has a public method
        `m` and is declared in this function or an enclosing one: that method's function."""
        if type(callee.obj) is not A.Identifier:
            return None
        scope = self._fn.scope
        b = scope.lookup(callee.obj.name)
        if b is None:
            return None
        s = self.analysis.instance_session(b)
        if s is None:
            return None
        m = instance_method(s.session, callee.name)
        if m is None or m.private:
            return None
        while scope is not None and scope is not s.scope:
            scope = scope.parent
        return None if scope is None else self.method_pyname(s.session, m)

    def s_SessionDecl(self, s: A.SessionDecl) -> list[py.stmt]:
        out: list[py.stmt] = []
        registrations: list[py.stmt] = []
        statics: list[py.stmt] = []
        tmp_session = self.tmp("session")
        for m in s.members:
            if type(m) is A.SessionMethod:
                pyname = self.method_pyname(s, m)
                out.append(self.function(m, pyname, m.params, m.body, f"{s.name}::{m.name}", this=not m.static,
                                         session=s, session_var=tmp_session))
                registrations.append(py.Expr(value=py.Call(
                    func=py.Attribute(value=self.name(tmp_session), attr="add_method", ctx=py.Load()),
                    args=[self.const(m.name), self.name(pyname), self.const(m.private), self.const(m.static)],
                    keywords=[])))
            else:
                init_name = None
                constant = _LITERAL_VALUE.get(type(m.init))
                if m.init is not None and (constant is None or m.static):
                    init_name = self.tmp("init_" + _ascii(m.name))
                    out.append(self.field_initializer(m, init_name, s, tmp_session))
                if m.static:
                    registrations.append(py.Expr(value=py.Call(
                        func=py.Attribute(value=self.name(tmp_session), attr="add_static_field", ctx=py.Load()),
                        args=[self.const(m.name), self.const(m.private)], keywords=[])))
                    if init_name:
                        statics.append(py.Expr(value=self.call("_init_static", self.name(tmp_session),
                                                               self.const(m.name), self.name(init_name))))
                else:
                    # a literal initial value is stored as the value itself, not as a function
                    value = [self.const(constant(m.init))] if init_name is None and constant is not None else []
                    registrations.append(py.Expr(value=py.Call(
                        func=py.Attribute(value=self.name(tmp_session), attr="add_field", ctx=py.Load()),
                        args=[self.const(m.name), self.name(init_name) if init_name else self.const(None),
                              self.const(m.private)] + value, keywords=[])))
            self.loc(out[-1] if out else registrations[-1], m.span)
        create = py.Assign(targets=[self.name(tmp_session, True)], value=self.call("_Session", self.const(s.name)))
        bind = self.store_identifier_stmt(s.name, self.name(tmp_session))
        seal = [py.Expr(value=py.Call(func=py.Attribute(value=self.name(tmp_session), attr="seal", ctx=py.Load()),
                                      args=[], keywords=[]))]
        factory = self.constructor_factory(s, tmp_session)
        if factory is not None:
            out.append(factory)
            seal.append(py.Assign(targets=[py.Attribute(value=self.name(tmp_session), attr="make", ctx=py.Store())],
                                  value=self.name(factory.name)))
        return [create] + out + registrations + seal + bind + statics

    def constructor_factory(self, s: A.SessionDecl, session_var: str) -> py.FunctionDef | None:
        """For a session whose fields start as literals (or null) and whose constructor has no
        default values: one function that makes the instance and runs the constructor's body on
        it, what `S(args)` does (the session's `make`, used by calls with the right arity)."""
        ctor = constructor_of(s)
        fields = [m for m in s.members if type(m) is A.SessionField and not m.static]
        if ctor is None or any(p.default is not None for p in ctor.params) \
                or any(m.init is not None and type(m.init) not in _LITERAL_VALUE for m in fields):
            return None
        this = self.name(self.analysis.scopes[id(ctor)].bindings["this"].pyname, True)
        initial = py.Dict(keys=[self.const(m.name) for m in fields],
                          values=[self.const(_LITERAL_VALUE[type(m.init)](m.init) if m.init is not None else None)
                                  for m in fields])
        make = [
            py.Assign(targets=[this], value=self.call("_new", self.name("_Instance"))),
            py.Assign(targets=[py.Attribute(value=self.name(this.id), attr="session", ctx=py.Store())],
                      value=self.name(session_var)),
            py.Assign(targets=[py.Attribute(value=self.name(this.id), attr="fields", ctx=py.Store())], value=initial),
        ]
        return self.function(ctor, self.tmp("new_" + _ascii(s.name)), ctor.params, ctor.body,
                             f"{s.name}::constructor", this=True, session=s, session_var=session_var, factory=make)

    def field_initializer(self, m: A.SessionField, pyname: str, s: A.SessionDecl, session_var: str) -> py.FunctionDef:
        scope = self.analysis.scopes[id(m)]
        outer = self._fn
        self._fn = _FnState(scope, s if not m.static else None, None if m.static else "this")
        try:
            pre, value = self.expr(m.init)
            args = [] if m.static else [scope.bindings["this"].pyname]
            nonlocals = sorted(self.nonlocal_pynames(scope))
            decl = [py.Nonlocal(names=nonlocals)] if nonlocals else []
            fn = py.FunctionDef(name=pyname, args=self.arguments(args), body=decl + pre + [py.Return(value=value)],
                                decorator_list=[], returns=None, type_comment=None)
        finally:
            self._fn = outer
        self.functions[pyname] = f"{s.name}.{m.name}"
        return self.loc(fn, m.span)

    def s_TranceifyDecl(self, s: A.TranceifyDecl) -> list[py.stmt]:
        out: list[py.stmt] = []
        methods = []
        for m in s.methods:
            pyname = self.tmp("rm_" + _ascii(m.name))
            out.append(self.function(m, pyname, m.params, m.body, f"{s.name}::{m.name}", this=True))
            methods.append((m.name, pyname))
        fields = py.Tuple(elts=[self.const(f.name) for f in s.fields], ctx=py.Load())
        table = py.Dict(keys=[self.const(n) for n, _ in methods], values=[self.name(p) for _, p in methods])
        target = py.Subscript(value=self.name("_types"), slice=self.const(s.name), ctx=py.Store())
        out.append(py.Assign(targets=[target], value=self.call("_RecordType", self.const(s.name), fields, table)))
        if any(n == "constructor" for n, _ in methods):
            out.extend(self.store_identifier_stmt(
                s.name, self.call("_record_constructor", self.name("_types"), self.const(s.name))))
        if id(s) in self._plain_records:
            self._records_declared.add(s.name)
        return out

    def e_RecordUpdate(self, e: A.RecordUpdate):
        pre, values = self.sequence([e.base] + [f.value for f in e.fields])
        updates = py.Dict(keys=[self.const(f.name) for f in e.fields], values=values[1:])
        return pre, self.call("_record_with", values[0], updates)

    def s_TranceifyBlock(self, s: A.TranceifyBlock) -> list[py.stmt]:
        out: list[py.stmt] = []
        for arg in s.args:  # evaluated for their effects only
            pre, value = self.expr(arg)
            out.extend(pre)
            if not _is_pure(value):
                out.append(self.loc(py.Expr(value=value), arg.span))
        # the block's own scope: its declarations have Python names of their own
        outer, self._fn.scope = self._fn.scope, self.analysis.scopes[id(s)]
        try:
            out.extend(self.block(s.body))
        finally:
            self._fn.scope = outer
        return out

    def s_Entrance(self, s: A.Entrance) -> list[py.stmt]:
        return self.block(s.body)

    def s_Finale(self, s: A.Finale) -> list[py.stmt]:
        # only reachable for nested finale blocks, which the parser already rejects
        return self.block(s.body)

    def s_Try(self, s: A.Try) -> list[py.stmt]:
        body = self.block(s.body) or [py.Pass()]
        handlers = []
        if s.catch_body is not None:
            exc = self.tmp("exc")
            hbody: list[py.stmt] = []
            if s.catch_name:
                b = self._fn.scope.lookup(s.catch_name)
                hbody.append(py.Assign(targets=[self.name(b.pyname, True)], value=self.call("_caught", self.name(exc))))
            hbody.extend(self.block(s.catch_body))
            handlers.append(py.ExceptHandler(type=self.name("Exception"), name=exc, body=hbody or [py.Pass()]))
        final = self.block(s.finally_body) if s.finally_body is not None else []
        if not handlers and not final:
            final = [py.Pass()]
        return [py.Try(body=body, handlers=handlers, orelse=[], finalbody=final)]

    def s_Throw(self, s: A.Throw) -> list[py.stmt]:
        pre, value = self.expr(s.value)
        return pre + [py.Raise(exc=self.call("_HypThrow", value), cause=None)]

    def s_Assert(self, s: A.Assert) -> list[py.stmt]:
        pre, test = self.expr(s.cond)
        if s.message is not None:
            mpre, msg = self.expr(s.message)
        else:
            mpre, msg = [], self.const(None)
        fail = mpre + [py.Expr(value=self.call("_assert_failed", msg))]
        return pre + [py.If(test=py.UnaryOp(op=py.Not(), operand=test), body=fail, orelse=[])]

    def s_MindLink(self, s: A.MindLink) -> list[py.stmt]:
        names = self.analysis.imports.get(id(s), [])
        self.imports.append((s.path, tuple(names)))
        module = self.tmp("module")
        out: list[py.stmt] = [py.Assign(targets=[self.name(module, True)],
                                        value=self.call("_import", self.const(s.path), self.const(s.span.line)))]
        for name in names:
            b = self._fn.scope.lookup(name)
            value = py.Subscript(value=self.name(module), slice=self.const(name), ctx=py.Load())
            out.append(py.Assign(targets=[self.name(b.pyname, True)], value=value))
        return out

    # ------------------------------------------------------------ assignment

    def store_identifier_stmt(self, name: str, value: py.expr) -> list[py.stmt]:
        b = self._fn.scope.lookup(name)
        if b is not None and b.constant and not b.mutable_decl:
            return [py.Expr(value=value), py.Expr(value=self.call("_const_assign", self.const(name)))]
        pyname = b.pyname if b is not None else mangle(name)
        return [py.Assign(targets=[self.name(pyname, True)], value=value)]

    def assign(self, e: A.Assign, as_statement: bool) -> tuple[list[py.stmt], py.expr]:
        target = e.target
        tt = type(target)
        if tt is A.Identifier:
            pre, value = self.expr(e.value)
            b = self._fn.scope.lookup(target.name)
            if b is not None and b.constant and not b.mutable_decl:
                fail = self.call("_const_assign", self.const(target.name))
                if as_statement:
                    return pre + [py.Expr(value=value), py.Expr(value=fail)], self.const(None)
                return pre, py.BoolOp(op=py.Or(), values=[py.Tuple(elts=[value, fail], ctx=py.Load())])
            pyname = b.pyname if b is not None else mangle(target.name)
            if b is not None and b.counter and self.int_expr(e.value) is not None:
                raw = self.int_expr(e.value)
                if as_statement:
                    return [py.Assign(targets=[self.name(pyname, True)], value=raw)], self.const(None)
                named = py.NamedExpr(target=self.name(pyname, True), value=raw)
                return [], py.Call(func=self.name("float"), args=[named], keywords=[])
            if as_statement:
                return pre + [py.Assign(targets=[self.name(pyname, True)], value=value)], self.const(None)
            return pre, py.NamedExpr(target=self.name(pyname, True), value=value)
        if tt is A.Index and as_statement and not target.optional and self.ty(target.index) == NUM \
                and not _may_call(e.value):
            return self.store_element(target, e.value), self.const(None)
        if (tt is A.Member or tt is A.Index) and as_statement and not target.optional \
                and self.dict_variable(target.obj) is not None and not _may_call(e.value) \
                and (tt is A.Member or self.ty(target.index) == STR):
            # a variable that only ever holds dictionaries, with a string key: a native store
            # (the key and the value cannot change the variable or each other)
            key_pre, key = ([], self.const(target.name)) if tt is A.Member else self.expr(target.index)
            pre, value = self.expr(e.value)
            if not key_pre and not pre and _is_pure(key):
                slot = py.Subscript(value=self.name(self.dict_variable(target.obj)), slice=key, ctx=py.Store())
                return [py.Assign(targets=[slot], value=value)], self.const(None)
        if tt is A.Member or tt is A.Index:
            pre, value = self.expr(e.value)
            if tt is A.Member and self.is_this_field(target):
                opre, obj = self.expr(target.obj)
                sub = py.Subscript(value=py.Attribute(value=obj, attr="fields", ctx=py.Load()),
                                   slice=self.const(target.name), ctx=py.Store())
                if as_statement:
                    return opre + pre + [py.Assign(targets=[sub], value=value)], self.const(None)
            spre, stored = self.store_complex(target, value, value_pre=pre)
            if as_statement:
                return spre + [py.Expr(value=stored)], self.const(None)
            return spre, stored
        self.error(target.span, "HYP2005", "invalid assignment target",
                   "assign to a variable, a member (`obj.field = value`) or an element (`list[i] = value`)")
        return [], self.const(None)

    def store_element(self, target: A.Index, value_node: A.Expr) -> list[py.stmt]:
        """`list[i] = value;` with a number index: a native store when the list has that slot.
        Object, index and value are evaluated in that order into names first (the value cannot
        call anything, so nothing can change the list between the check and the store)."""
        out, (obj, idx) = self.sequence([target.obj, target.index])
        counter = self.int_expr(target.index)
        if counter is not None:
            idx = counter
        names = []
        for node in (obj, idx):
            if not _is_pure(node):
                t = self.tmp()
                out.append(py.Assign(targets=[self.name(t, True)], value=node))
                node = self.name(t)
            names.append(node)
        obj, idx = names
        sites = self._fn.sites
        first_site = len(sites) if sites is not None else 0
        vpre, value = self.expr(value_node)
        out.extend(vpre)
        # a value that needs no statements and holds no conditional element read is computed
        # in the branch that stores it (one copy per branch) instead of into a temporary first
        inline = not vpre and sites is not None and all(site.node is None for site in sites[first_site:])
        size = py.Call(func=self.name("len"), args=[obj], keywords=[])
        if counter is not None and self.nonneg(target.index):
            in_range = py.Compare(left=idx, ops=[py.Lt()], comparators=[size])
        else:
            in_range = py.Compare(left=self.const(0 if counter is not None else 0.0), ops=[py.LtE(), py.Lt()],
                                  comparators=[idx, size])
        fits = self.list_and(target.obj, obj, in_range)
        slot = py.Subscript(value=obj, slice=idx if counter is not None else
                            py.Call(func=self.name("int"), args=[idx], keywords=[]), ctx=py.Store())
        if _is_pure(value) or inline:
            again = copy.deepcopy(value)
        else:
            t = self.tmp()
            out.append(py.Assign(targets=[self.name(t, True)], value=value))
            value, again = self.name(t), self.name(t)
        slow: list[py.stmt] = [py.Expr(value=self.call("_set_index", obj, idx, again))]
        if counter is not None and self.known_list(target.obj, obj) is None:
            # one past the end appends (filling a list in a loop), without the helper
            append = py.Call(func=py.Attribute(value=obj, attr="append", ctx=py.Load()),
                             args=[copy.deepcopy(again)], keywords=[])
            slow = [py.If(test=py.Compare(left=idx, ops=[py.Eq()],
                                          comparators=[py.Call(func=self.name("len"), args=[obj], keywords=[])]),
                          body=[py.Expr(value=append)], orelse=slow)]
        out.append(py.If(test=fits, body=[py.Assign(targets=[slot], value=value)], orelse=slow))
        return out

    def store_complex(self, target: A.Expr, value: py.expr, value_pre: list[py.stmt] | None = None):
        """`obj.name = value` / `obj[i] = value` (object evaluated before the value)."""
        if type(target) is A.Member:
            parts = self.sequence([target.obj])
            pre, (obj,) = parts
            return pre + (value_pre or []), self.call("_set_member", obj, self.const(target.name), value)
        pre, (obj, idx) = self.sequence([target.obj, target.index])
        return pre + (value_pre or []), self.call("_set_index", obj, idx, value)

    def is_this_field(self, target: A.Member) -> bool:
        st = self._fn
        if st.this is None or st.session is None or type(target.obj) is not A.Identifier \
                or target.obj.name != "this" or target.optional:
            return False
        return any(type(m) is A.SessionField and not m.static and m.name == target.name for m in st.session.members)

    # ------------------------------------------------------------ expressions

    def expr(self, e: A.Expr) -> tuple[list[py.stmt], py.expr]:
        method = getattr(self, "e_" + type(e).__name__)
        pre, node = method(e)
        self.loc(node, e.span)
        for s in pre:
            self.loc(s, e.span)
        return pre, node

    def sequence(self, exprs: list[A.Expr]) -> tuple[list[py.stmt], list[py.expr]]:
        """Compile operands evaluated left to right; if a later one needs statements, earlier
        values are saved in temporaries first so the order of effects is kept."""
        compiled = [self.expr(e) for e in exprs]
        pre: list[py.stmt] = []
        values: list[py.expr] = []
        for i, (p, v) in enumerate(compiled):
            if p:
                for j in range(len(values)):
                    if not _is_pure(values[j]):
                        t = self.tmp()
                        pre.append(py.Assign(targets=[self.name(t, True)], value=values[j]))
                        values[j] = self.name(t)
                pre.extend(p)
            values.append(v)
        return pre, values

    def e_NumberLit(self, e: A.NumberLit):
        return [], self.const(float(e.value))

    def e_StringLit(self, e: A.StringLit):
        return [], self.const(e.value)

    def e_BoolLit(self, e: A.BoolLit):
        return [], self.const(bool(e.value))

    def e_NullLit(self, e: A.NullLit):
        return [], self.const(None)

    def e_Identifier(self, e: A.Identifier):
        b = self._fn.scope.lookup(e.name)
        if b is None:
            if e.name in CONSTANTS:
                return [], self.const(CONSTANTS[e.name])
            if e.name in self.builtins:
                self.used_builtins.add(e.name)
                return [], self.name(_pyname_builtin(e.name))
            return [], self.call("_undefined", self.const(e.name))
        if b.counter:
            return [], py.Call(func=self.name("float"), args=[self.name(b.pyname)], keywords=[])
        return [], self.name(b.pyname)

    def int_able(self, e: A.Expr) -> bool:
        """A counter expression, or sums and differences of them: exact as Python ints (counters
        stay far inside a double's exact range), though not themselves counters."""
        hit = self._int_able.get(id(e))
        if hit is None:
            able = self.is_counter(e) or (type(e) is A.Binary and e.op in ("+", "-") and self.int_able(e.left)
                                          and self.int_able(e.right))
            hit = self._int_able[id(e)] = (e, able)
        return hit[1]

    def int_expr(self, e: A.Expr) -> py.expr | None:
        """The Python-int form of an integer-counter expression (see scopes.Analysis._find_counters)
        or of the length of a variable that only holds lists, or None when `e` is neither."""
        if type(e) is A.Call and not e.optional and type(e.callee) is A.Identifier \
                and e.callee.name in _INLINE_LENGTH and len(e.args) == 1 and type(e.args[0]) is A.Identifier:
            b = self._fn.scope.lookup(e.args[0].name)
            if b is not None and b.is_list and self._fn.scope.lookup(e.callee.name) is None:
                return self.loc(py.Call(func=self.name("len"), args=[self.name(b.pyname)], keywords=[]), e.span)
        if type(e) is A.Binary and e.op == "%" and type(e.right) is A.NumberLit \
                and small_int(e.right.value) and e.right.value > 0 and self.is_counter(e.left) and self.nonneg(e.left):
            # a non-negative counter modulo a positive integer: Python's int % is HypnoScript's
            return self.loc(py.BinOp(left=self.int_expr(e.left), op=py.Mod(), right=self.const(int(e.right.value))),
                            e.span)
        if not self.int_able(e):
            return None
        t = type(e)
        if t is A.NumberLit:
            node: py.expr = self.const(int(e.value))
        elif t is A.Identifier:
            node = self.name(self._fn.scope.lookup(e.name).pyname)
        elif t is A.Binary:
            node = py.BinOp(left=self.int_expr(e.left), op=py.Add() if e.op == "+" else py.Sub(),
                            right=self.int_expr(e.right))
        else:
            return None
        return self.loc(node, e.span)

    def e_ArrayLit(self, e: A.ArrayLit):
        pre, values = self.sequence(e.elements)
        return pre, py.List(elts=values, ctx=py.Load())

    def e_ObjectLit(self, e: A.ObjectLit):
        pre, values = self.sequence([f.value for f in e.entries])
        return pre, py.Dict(keys=[self.const(f.name) for f in e.entries], values=values)

    def e_RecordLit(self, e: A.RecordLit):
        pre, values = self.sequence([f.value for f in e.fields])
        fields = py.Dict(keys=[self.const(f.name) for f in e.fields], values=values)
        if e.type_name in self._records_declared and self._fn.scope.function is self.analysis.main:
            return pre, self.call("_Record", self.const(e.type_name), fields, self.const(None))
        return pre, self.call("_make_record", self.name("_types"), self.const(e.type_name), fields)

    def e_Assign(self, e: A.Assign):
        return self.assign(e, as_statement=False)

    def e_Ternary(self, e: A.Ternary):
        cpre, test = self.expr(e.cond)
        self._fn.conditional += 1
        try:
            tpre, then = self.expr(e.then)
            opre, other = self.expr(e.otherwise)
        finally:
            self._fn.conditional -= 1
        if not tpre and not opre:
            return cpre, py.IfExp(test=test, body=then, orelse=other)
        t = self.tmp()
        stmt = py.If(test=test, body=tpre + [py.Assign(targets=[self.name(t, True)], value=then)],
                     orelse=opre + [py.Assign(targets=[self.name(t, True)], value=other)])
        return cpre + [stmt], self.name(t)

    def e_Unary(self, e: A.Unary):
        pre, v = self.expr(e.operand)
        if e.op == "-":
            if self.ty(e.operand) == NUM:
                return pre, py.UnaryOp(op=py.USub(), operand=v)
            return pre, self.call("_neg", v)
        if e.op == "!":
            return pre, py.UnaryOp(op=py.Not(), operand=v)
        return pre, v

    def e_Binary(self, e: A.Binary):
        op = e.op
        if op in ("&&", "||", "??"):
            return self.short_circuit(e)
        pre, (left, right) = self.sequence([e.left, e.right])
        lt, rt = self.ty(e.left), self.ty(e.right)
        if lt == NUM and rt == NUM:
            left, right = self.counter_operands(e, left, right, op in _CMP or op in ("==", "!="))
        if op in _ARITH:
            pyop, helper = _ARITH[op]
            if lt == NUM and rt == NUM:
                return pre, py.BinOp(left=left, op=pyop(), right=right)
            if op == "+":
                if lt == STR and rt == STR:
                    return pre, py.BinOp(left=left, op=py.Add(), right=right)
                if lt == STR or rt == STR:
                    return pre, py.BinOp(left=self.to_text(e.left, left), op=py.Add(), right=self.to_text(e.right, right))
            return pre, self.guarded(left, right, lt, rt, lambda l, r: py.BinOp(left=l, op=pyop(), right=r), helper)
        if op in _CMP:
            if lt == NUM and rt == NUM:
                return pre, py.Compare(left=left, ops=[_CMP[op]()], comparators=[right])
            return pre, self.guarded(left, right, lt, rt,
                                     lambda l, r: py.Compare(left=l, ops=[_CMP[op]()], comparators=[r]), _CMP_HELPER[op])
        if op == "/":
            if lt == NUM and rt == NUM and isinstance(right, py.Constant) and right.value != 0:
                return pre, py.BinOp(left=left, op=py.Div(), right=right)
            return pre, self.call("_div", left, right)
        if op == "%":
            counter = self.int_expr(e.left)
            # HypnoScript's % is fmod; Python's % agrees with it for a positive dividend and
            # divisor (and is an operator, not a call)
            positive = isinstance(right, py.Constant) and type(right.value) is float and 0 < right.value < math.inf
            if counter is not None and isinstance(right, py.Constant) and right.value != 0:
                if positive and self.nonneg(e.left):
                    return pre, py.BinOp(left=counter, op=py.Mod(), right=right)
                if not positive:
                    return pre, self.call("_fmod", counter, right)  # a counter is always finite
                first, again = self.once(counter)
                return pre, py.IfExp(test=py.Compare(left=first, ops=[py.Gt()], comparators=[self.const(0)]),
                                     body=py.BinOp(left=again, op=py.Mod(), right=right),
                                     orelse=self.call("_fmod", copy.deepcopy(again), right))
            if lt == NUM and isinstance(right, py.Constant) and right.value not in (0.0, float("inf"), float("-inf")) \
                    and right.value == right.value:
                # fmod raises for an infinite or NaN dividend, where HypnoScript gives NaN
                first, again = self.once(left)

                def general(first: py.expr) -> py.expr:
                    finite = py.Compare(left=py.BinOp(left=first, op=py.Sub(), right=copy.deepcopy(again)),
                                        ops=[py.Eq()], comparators=[self.const(0.0)])
                    return py.IfExp(test=finite, body=self.call("_fmod", copy.deepcopy(again), right),
                                    orelse=self.name("_nan"))

                if not positive:
                    return pre, general(first)
                return pre, py.IfExp(test=py.Compare(left=first, ops=[py.Gt()], comparators=[self.const(0.0)]),
                                     body=py.BinOp(left=again, op=py.Mod(), right=right),
                                     orelse=general(copy.deepcopy(again)))
            return pre, self.call("_mod", left, right)
        if op in ("==", "!="):
            if type(e.right) is A.NullLit or type(e.left) is A.NullLit:
                # only null equals null
                other = left if type(e.right) is A.NullLit else right
                return pre, py.Compare(left=other, ops=[py.Is() if op == "==" else py.IsNot()],
                                       comparators=[self.const(None)])
            if (lt == STR and rt == STR) or (lt == BOOL and rt == BOOL):
                cmp = py.Eq() if op == "==" else py.NotEq()
                return pre, py.Compare(left=left, ops=[cmp], comparators=[right])
            if lt == NUM and rt == NUM:
                test = self.near(left, right)
                return pre, test if op == "==" else py.UnaryOp(op=py.Not(), operand=test)
            return pre, self.call("_eq" if op == "==" else "_ne", left, right)
        raise AssertionError(f"unknown operator {op}")

    def counter_operands(self, e: A.Binary, left: py.expr, right: py.expr, comparison: bool):
        """Use integer counters as Python ints where the result stays right: in comparisons, and in
        arithmetic with a float operand (which makes the result a float). A literal becomes an int
        only beside a counter: int-with-float operations are slower than float-with-float."""
        lc = self.is_counter(e.left) and (type(e.left) is not A.NumberLit or self.is_int_variable(e.right))
        rc = self.is_counter(e.right) and (type(e.right) is not A.NumberLit or self.is_int_variable(e.left))
        if comparison:
            if self.int_able(e.left) and self.int_able(e.right) \
                    and (type(e.left) is not A.NumberLit or type(e.right) is not A.NumberLit):
                return self.int_expr(e.left), self.int_expr(e.right)
            return (self.int_expr(e.left) if lc else left), (self.int_expr(e.right) if rc else right)
        # an int counter with a float gives a float, the same one as from the counter converted
        # first (counters are exact in a double): one operand stays int, the other is a float
        if self.is_int_variable(e.left):
            return self.int_expr(e.left), right
        if self.is_int_variable(e.right):
            return left, self.int_expr(e.right)
        return left, right

    def is_int_variable(self, e: A.Expr) -> bool:
        """A counter expression that is not just a literal: it really holds a Python int."""
        return type(e) is not A.NumberLit and self.is_counter(e)

    def is_counter(self, e: A.Expr) -> bool:
        hit = self._counters.get(id(e))
        if hit is None:
            hit = self._counters[id(e)] = (e, self.analysis.is_counter_expr(e, self._fn.scope))
        return hit[1]

    def guarded(self, left: py.expr, right: py.expr, lt, rt, native, helper: str) -> py.expr:
        """`native(l, r) if the unknown operands are floats else helper(l, r)`, evaluating each
        operand once and both before the test."""
        operands = []
        for value, known in ((left, lt == NUM), (right, rt == NUM)):
            if _is_pure(value):
                operands.append((value, value, known))
            else:
                t = self.tmp()
                operands.append((py.NamedExpr(target=self.name(t, True), value=value), self.name(t), known))
        (lfirst, left, lknown), (rfirst, right, rknown) = operands
        if not lknown and not rknown:
            test: py.expr = py.Compare(left=py.Call(func=self.name("type"), args=[lfirst], keywords=[]),
                                       ops=[py.Is(), py.Is()],
                                       comparators=[py.Call(func=self.name("type"), args=[rfirst], keywords=[]),
                                                    self.name("float")])
        else:
            # one operand is known to be a number; it still has to be evaluated in its turn
            parts = []
            for first, value, known in ((lfirst, left, lknown), (rfirst, right, rknown)):
                if not known:
                    parts.append(py.Compare(left=py.Call(func=self.name("type"), args=[first], keywords=[]),
                                            ops=[py.Is()], comparators=[self.name("float")]))
                elif first is not value:
                    parts.append(py.Compare(left=first, ops=[py.IsNot()], comparators=[self.const(None)]))
            test = parts[0] if len(parts) == 1 else py.BinOp(left=parts[0], op=py.BitAnd(), right=parts[1])
        return py.IfExp(test=test, body=native(left, right), orelse=self.call(helper, left, right))

    def short_circuit(self, e: A.Binary):
        lpre, left = self.expr(e.left)
        facts = set()
        if e.op == "&&":
            assigned = _assigned_names(e.right)
            facts = {b for b in self.facts_from(e.left) if b.name not in assigned}
        self._fn.conditional += 1
        try:
            rpre, right = self.with_facts(facts, lambda: self.expr(e.right)) if facts else self.expr(e.right)
        finally:
            self._fn.conditional -= 1
        if e.op == "??":
            t = self.tmp()
            if not rpre:
                test = py.Compare(left=py.NamedExpr(target=self.name(t, True), value=left), ops=[py.IsNot()],
                                  comparators=[self.const(None)])
                return lpre, py.IfExp(test=test, body=self.name(t), orelse=right)
            stmt = py.If(test=py.Compare(left=self.name(t), ops=[py.Is()], comparators=[self.const(None)]),
                         body=rpre + [py.Assign(targets=[self.name(t, True)], value=right)], orelse=[])
            return lpre + [py.Assign(targets=[self.name(t, True)], value=left), stmt], self.name(t)
        pyop = py.And() if e.op == "&&" else py.Or()
        if not rpre:
            return lpre, py.BoolOp(op=pyop, values=[left, right])
        t = self.tmp()
        test: py.expr = self.name(t)
        if e.op == "||":
            test = py.UnaryOp(op=py.Not(), operand=test)
        stmt = py.If(test=test, body=rpre + [py.Assign(targets=[self.name(t, True)], value=right)], orelse=[])
        return lpre + [py.Assign(targets=[self.name(t, True)], value=left), stmt], self.name(t)

    def e_Call(self, e: A.Call):
        if e.optional:
            # `f?.(args)`: null when f is null (arguments then not evaluated)
            pre, fn = self.expr(e.callee)
            t = self.tmp()
            self._fn.conditional += 1
            try:
                apre, args = self.sequence(e.args)
            finally:
                self._fn.conditional -= 1
            call = py.Call(func=self.name("_call_value"), args=[self.name(t), py.Tuple(elts=args, ctx=py.Load())],
                           keywords=[])
            if apre:
                r = self.tmp()
                stmt = py.If(test=py.Compare(left=self.name(t), ops=[py.Is()], comparators=[self.const(None)]),
                             body=[py.Assign(targets=[self.name(r, True)], value=self.const(None))],
                             orelse=apre + [py.Assign(targets=[self.name(r, True)], value=call)])
                return pre + [py.Assign(targets=[self.name(t, True)], value=fn), stmt], self.name(r)
            test = py.Compare(left=py.NamedExpr(target=self.name(t, True), value=fn), ops=[py.Is()],
                              comparators=[self.const(None)])
            return pre, py.IfExp(test=test, body=self.const(None), orelse=call)
        callee = e.callee
        if type(callee) is A.Identifier:
            name = callee.name
            b = self._fn.scope.lookup(name)
            if name in self.builtins and (b is None or self.builtins[name].in_reference):
                # the reference's builtins shadow user functions; the names we added do not
                return self.builtin_call(name, e)
            if b is None:
                pre, args = self.sequence(e.args)
                effects = [py.Expr(value=a) for a in args if not _is_pure(a)]
                return pre + effects, self.call("_undefined", self.const(name))
            pre, args = self.sequence(e.args)
            if b.session is not None and len(b.values) == 1:
                ctor = constructor_of(b.session)
                if ctor is not None and len(ctor.params) == len(args) and all(p.default is None for p in ctor.params):
                    # the session's own factory (the call has the constructor's arity)
                    make = py.Attribute(value=self.name(b.pyname), attr="make", ctx=py.Load())
                    return pre, py.Call(func=make, args=args, keywords=[])
            return pre, py.Call(func=self.name(b.pyname), args=args, keywords=[])
        # arguments are evaluated before the callee expression, as in the reference
        if type(callee) is A.Member and not callee.optional:
            method = self.known_method(callee)
            if method is not None:
                pre, args = self.sequence(e.args)
                return pre, py.Call(func=self.name(method), args=[self.name(self._fn.scope.lookup(
                    callee.obj.name).pyname)] + args, keywords=[])
            pre, values = self.sequence(e.args + [callee.obj])
            obj = values[-1]
            args = py.Tuple(elts=values[:-1], ctx=py.Load())
            slow = self.call("_call_member", args, obj, self.const(callee.name))
            if not _is_pure(obj):
                return pre, slow
            # a public method of an instance, called directly (the dispatcher handles the rest)
            m = self.tmp("method")
            test = py.BoolOp(op=py.And(), values=[
                self.is_type(obj, "_Instance"),
                py.Compare(left=py.NamedExpr(target=self.name(m, True), value=py.Call(
                    func=py.Attribute(value=py.Attribute(value=py.Attribute(value=obj, attr="session", ctx=py.Load()),
                                                         attr="methods", ctx=py.Load()), attr="get", ctx=py.Load()),
                    args=[self.const(callee.name)], keywords=[])), ops=[py.IsNot()], comparators=[self.const(None)]),
                py.UnaryOp(op=py.Not(), operand=py.Attribute(value=self.name(m), attr="private", ctx=py.Load())),
            ])
            direct = py.Call(func=py.Attribute(value=self.name(m), attr="fn", ctx=py.Load()),
                             args=[obj] + [copy.deepcopy(v) for v in values[:-1]], keywords=[])
            return pre, py.IfExp(test=test, body=direct, orelse=slow)
        pre, values = self.sequence(e.args + [callee])
        return pre, self.call("_call_late", py.Tuple(elts=values[:-1], ctx=py.Load()), values[-1])

    def builtin_call(self, name: str, e: A.Call):
        spec = self.builtins[name]
        self.used_builtins.add(name)
        pre, args = self.sequence(e.args)
        fn = self.name(_pyname_builtin(name))
        if len(args) < spec.min_args:
            effects = [py.Expr(value=a) for a in args if not _is_pure(a)]
            return pre + effects, self.call("_missing_argument", self.const(name), self.const(len(args) + 1))
        if spec.max_args is not None and len(args) > spec.max_args:
            if all(_is_pure(a) for a in args[spec.max_args:]):
                args = args[: spec.max_args]
            else:
                return pre, self.call("_call_dropping", fn, self.const(spec.max_args), *args)
        method = _STRING_METHODS.get(name)
        if method is not None and len(args) == method[1] and all(self.ty(a) == STR for a in e.args):
            # string arguments: the str method the builtin calls, without its checks
            return pre, py.Call(func=py.Attribute(value=args[0], attr=method[0], ctx=py.Load()),
                                args=args[1:] + [self.const(c) for c in method[2:]], keywords=[])
        if name in _INLINE_LENGTH and len(args) == 1 and _is_pure(args[0]):
            # `float(len(x))` inline for the common case, the builtin for everything else
            arg = args[0]
            length = py.Call(func=self.name("float"), args=[py.Call(func=self.name("len"), args=[arg], keywords=[])],
                             keywords=[])
            if type(e.args[0]) is A.Identifier:
                b = self._fn.scope.lookup(e.args[0].name)
                if b is not None and b.is_list:
                    return pre, length
            if name == "Length" and self.ty(e.args[0]) == STR:
                return pre, length
            test = self.is_type(arg, "list")
            if name == "Length":
                test = py.BoolOp(op=py.Or(), values=[test, self.is_type(arg, "str")])
            length = py.Call(func=self.name("float"), args=[py.Call(func=self.name("len"), args=[arg], keywords=[])],
                             keywords=[])
            return pre, py.IfExp(test=test, body=length, orelse=py.Call(func=fn, args=args, keywords=[]))
        return pre, py.Call(func=fn, args=args, keywords=[])

    def e_Member(self, e: A.Member):
        if self.is_this_field(e):
            pre, obj = self.expr(e.obj)
            return pre, py.Subscript(value=py.Attribute(value=obj, attr="fields", ctx=py.Load()),
                                     slice=self.const(e.name), ctx=py.Load())
        if not e.optional and type(e.obj) is A.Identifier:
            b = self._fn.scope.lookup(e.obj.name)
            if b is not None and self.analysis.record_fields(b, e.name) is not None:
                # a variable that only ever holds record literals setting this field
                return [], py.Subscript(value=py.Attribute(value=self.name(b.pyname), attr="fields", ctx=py.Load()),
                                        slice=self.const(e.name), ctx=py.Load())
        if not e.optional and type(e.obj) is A.Identifier and e.obj.name != "this":
            b = self._fn.scope.lookup(e.obj.name)
            s = self.analysis.instance_session(b) if b is not None else None
            if s is not None and any(type(m) is A.SessionField and m.name == e.name and not m.static and not m.private
                                     for m in s.session.members) \
                    and not any(type(m) is A.SessionMethod and m.name == e.name for m in s.session.members):
                # a public field of a variable that always holds instances of one session
                return [], py.Subscript(value=py.Attribute(value=self.name(b.pyname), attr="fields", ctx=py.Load()),
                                        slice=self.const(e.name), ctx=py.Load())
        if not e.optional and self.dict_variable(e.obj) is not None:
            return [], py.Call(func=py.Attribute(value=self.name(self.dict_variable(e.obj)), attr="get",
                                                 ctx=py.Load()), args=[self.const(e.name)], keywords=[])
        pre, obj = self.expr(e.obj)
        slow = self.call("_member_opt" if e.optional else "_member", obj, self.const(e.name))
        if e.optional or not _is_pure(obj):
            return pre, slow
        # a record's field, or an instance's public field, inline; the rest through the helper
        fields = py.Attribute(value=obj, attr="fields", ctx=py.Load())
        public = py.Attribute(value=py.Attribute(value=obj, attr="session", ctx=py.Load()), attr="public_fields",
                              ctx=py.Load())
        test = py.BoolOp(op=py.Or(), values=[
            py.BoolOp(op=py.And(), values=[
                self.is_type(obj, "_Record"),
                py.Compare(left=self.const(e.name), ops=[py.In()], comparators=[fields])]),
            py.BoolOp(op=py.And(), values=[
                self.is_type(obj, "_Instance"),
                py.Compare(left=self.const(e.name), ops=[py.In()], comparators=[public])])])
        return pre, py.IfExp(test=test, body=py.Subscript(value=copy.deepcopy(fields), slice=self.const(e.name),
                                                          ctx=py.Load()), orelse=slow)

    def e_Index(self, e: A.Index):
        pre, (obj, idx) = self.sequence([e.obj, e.index])
        if e.optional:
            return pre, self.call("_index_opt", obj, idx)
        if self.dict_variable(e.obj) is not None and self.ty(e.index) == STR:
            return pre, py.Call(func=py.Attribute(value=obj, attr="get", ctx=py.Load()), args=[idx], keywords=[])
        counter = self.int_expr(e.index)
        st = self._fn
        fast_sites = st.sites is not None and _is_pure(obj)
        if fast_sites and counter is not None and (_is_pure(counter) or not st.conditional):
            # a plain subscript; the statement's handler turns an IndexError into our error (it
            # reads a computed index back from its temporary: the handler repeats the reads in
            # order, so it only reaches this one once it has been evaluated)
            nonneg = self.nonneg(e.index)
            first, counter = self.once(counter)
            return pre, self.site(e, obj, counter, counter, None if nonneg else self.const(0), 0,
                                  first if first is not counter else None)
        if fast_sites and counter is None and self.ty(e.index) == NUM and _is_pure(idx):
            return pre, self.site(e, obj, idx, py.Call(func=self.name("int"), args=[idx], keywords=[]),
                                  self.const(0.0), 0.0)
        if counter is not None and _is_pure(obj):
            # an integer counter indexes the list directly
            if not _is_pure(counter):
                t = self.tmp()
                first, counter = py.NamedExpr(target=self.name(t, True), value=counter), self.name(t)
            else:
                first = counter
            fast = self.list_and(e.obj, obj, py.Compare(
                left=self.const(0), ops=[py.LtE(), py.Lt()],
                comparators=[first, py.Call(func=self.name("len"), args=[obj], keywords=[])]))
            element = py.Subscript(value=obj, slice=counter, ctx=py.Load())
            return pre, py.IfExp(test=fast, body=element, orelse=self.call("_index", obj, counter))
        if self.ty(e.index) == NUM and _is_pure(obj) and _is_pure(idx):
            # the common case inline: a list and a number index within range
            fast = self.list_and(e.obj, obj, py.Compare(
                left=self.const(0.0), ops=[py.LtE(), py.Lt()],
                comparators=[idx, py.Call(func=self.name("len"), args=[obj], keywords=[])]))
            element = py.Subscript(value=obj, slice=py.Call(func=self.name("int"), args=[idx], keywords=[]),
                                   ctx=py.Load())
            return pre, py.IfExp(test=fast, body=element, orelse=self.call("_index", obj, idx))
        return pre, self.call("_index", obj, idx)

    def e_Lambda(self, e: A.Lambda):
        pyname = self.tmp("lambda")
        fn = self.function(e, pyname, e.params, e.body, "anonymous")
        set_name = py.Assign(
            targets=[py.Attribute(value=self.name(pyname), attr="__qualname__", ctx=py.Store())], value=self.const("anonymous")
        )
        return [fn, set_name], self.name(pyname)

    def e_Entrain(self, e: A.Entrain):
        r = self.tmp("result")
        return self.entrain(e, r), self.name(r)

    def entrain(self, e: A.Entrain, result: str | None) -> list[py.stmt]:
        """The statements of a match: each arm leaves its value in `result`, or with None returns
        it (`awaken entrain ...`)."""
        spre, subject = self.expr(e.subject)
        b = self._fn.scope.lookup(e.subject.name) if type(e.subject) is A.Identifier else None
        if b is not None and isinstance(subject, py.Name) and not spre and not b.assigned_inside \
                and e.subject.name not in _assigned_names(e):
            # a variable that nothing in the match can assign is the subject itself
            s, out = subject.id, []
        else:
            s = self.tmp("subject")
            out = spre + [py.Assign(targets=[self.name(s, True)], value=subject)]
        enclosing = self._subject_kind
        self._subject_kind = None
        known = _PY_TYPES.get(self.ty(e.subject))
        if known is not None:
            self._subject_kind = (s, None, known)
        elif sum(type(c.pattern) is not A.BindingPattern for c in e.cases) > 1:
            # several arms test the subject's kind: take it once
            kind = self.tmp("kind")
            out.append(py.Assign(targets=[self.name(kind, True)],
                                 value=py.Call(func=self.name("type"), args=[self.name(s)], keywords=[])))
            self._subject_kind = (s, kind, None)
        self._fn.conditional += 1
        try:
            out.extend(self.match_chain(list(e.cases), e, self.name(s), result))
        finally:
            self._fn.conditional -= 1
        self._subject_kind = enclosing
        return out

    def match_chain(self, cases: list[A.Case], e: A.Entrain, subject: py.expr, result: str | None) -> list[py.stmt]:
        """`if case1: ... elif case2: ... else: otherwise` where each test binds the pattern's
        names with walrus expressions and then checks the guard, so a false guard falls through."""
        if not cases:
            if e.default is not None:
                outer, self._fn.scope = self._fn.scope, self.analysis.scopes[id(e.default)]
                try:
                    body = self.case_body(e.default, result)
                finally:
                    self._fn.scope = outer
                return [self.loc(py.If(test=self.const(True), body=body, orelse=[]), e.default.span)]
            return [self.loc(py.Expr(value=self.call("_no_match")), e.span)]
        case, rest = cases[0], cases[1:]
        # the arm's own scope: its pattern variables and declarations
        outer, self._fn.scope = self._fn.scope, self.analysis.scopes[id(case)]
        self._fn.arm_closures = _has_closure(case)
        try:
            parts = self.pattern(case.pattern, subject)
            gpre: list[py.stmt] = []
            if case.guard is not None:
                gpre, guard = self.expr(case.guard)
                if not gpre:
                    parts.append(guard)
            body = self.case_body(case, result)
        finally:
            self._fn.scope = outer
        parts = [part for part in parts if not (type(part) is py.Constant and part.value is True)]
        test = parts[0] if len(parts) == 1 else (py.BoolOp(op=py.And(), values=parts) if parts else self.const(True))
        if gpre:
            # the guard needs statements: test, bind, run them, then decide with a flag
            flag = self.tmp("matched")
            inner = gpre + [py.If(test=guard, body=[py.Assign(targets=[self.name(flag, True)], value=self.const(True))]
                                  + body, orelse=[])]
            stmts = [py.Assign(targets=[self.name(flag, True)], value=self.const(False)),
                     self.loc(py.If(test=test, body=inner, orelse=[]), case.span),
                     py.If(test=py.UnaryOp(op=py.Not(), operand=self.name(flag)),
                           body=self.match_chain(rest, e, subject, result), orelse=[])]
            return stmts
        return [self.loc(py.If(test=test, body=body, orelse=self.match_chain(rest, e, subject, result)), case.span)]

    def case_body(self, case: A.Case, result: str | None) -> list[py.stmt]:
        """Statements that run an arm and leave its value in `result` (or return it when result
        is None): the expression, or for a block the value of its last statement when that is an
        expression statement, else null."""

        def give(value: py.expr) -> py.stmt:
            return py.Return(value=value) if result is None else py.Assign(targets=[self.name(result, True)],
                                                                           value=value)

        if not case.is_block:
            pre, value = self.expr(case.body)
            return pre + [give(value)]
        stmts = list(case.body)
        last = stmts.pop().expr if stmts and type(stmts[-1]) is A.ExprStmt else None
        out = [] if result is None else [give(self.const(None))]
        out.extend(self.block(stmts))
        if last is not None:
            pre, value = self.expr(last)
            out.extend(pre)
            out.append(self.loc(give(value), last.span))
        elif result is None:
            out.append(give(self.const(None)))
        return out

    def pattern(self, p: A.Pattern, subject: py.expr) -> list[py.expr]:
        """Conditions that all hold when `subject` matches; bindings are walrus expressions among
        them (`(x := subject) is x`, always true), so they happen only once the tests before pass."""
        t = type(p)
        if t is A.BindingPattern:
            return [self.bind(p.name, subject, alias=True)]
        if t is A.TypedPattern:
            pytype = _TYPE_PATTERNS.get(p.type_name.lower())
            tests = [] if pytype is None else [self.is_type(subject, pytype)]
            return tests + [self.bind(p.name, subject, alias=True)]
        if t is A.LiteralPattern:
            _, value = self.expr(p.value)
            if isinstance(value, py.Constant) and type(value.value) is float:
                return [self.is_type(subject, "float"),
                        self.near(subject, value)]
            return [self.call("_eq", subject, value)]
        if t is A.ArrayPattern:
            n = len(p.items)
            length = py.Call(func=self.name("len"), args=[subject], keywords=[])
            exact = not (p.has_rest and p.rest)
            parts = [self.is_type(subject, "list"),
                     py.Compare(left=length, ops=[py.Eq() if exact else py.GtE()], comparators=[self.const(n)])]
            for i, item in enumerate(p.items):
                parts.extend(self.pattern(item, py.Subscript(value=subject, slice=self.const(i), ctx=py.Load())))
            if not exact:
                rest = py.Subscript(value=subject, slice=py.Slice(lower=self.const(n), upper=None, step=None), ctx=py.Load())
                parts.append(self.bind(p.rest, rest))
            return parts
        if t is A.RecordPattern:
            fields = py.Attribute(value=subject, attr="fields", ctx=py.Load())
            parts = [self.is_type(subject, "_Record"),
                     py.Compare(left=py.Attribute(value=subject, attr="type_name", ctx=py.Load()), ops=[py.Eq()],
                                comparators=[self.const(p.type_name)])]
            for f in p.fields:
                parts.append(py.Compare(left=self.const(f.name), ops=[py.In()], comparators=[fields]))
                value = py.Subscript(value=fields, slice=self.const(f.name), ctx=py.Load())
                if f.pattern is None:
                    parts.append(self.bind(f.name, value))
                else:
                    parts.extend(self.pattern(f.pattern, value))
            return parts
        raise AssertionError(f"unknown pattern {t.__name__}")

    def site(self, e: A.Index, obj: py.expr, idx: py.expr, slot: py.expr, lowest: py.expr | None, zero,
             first: py.expr | None = None) -> py.expr:
        """`obj[slot]`, tested only for `idx >= lowest` and for being a list where that is not
        known; the statement's handler deals with an index past the end. `first` is the index's
        first evaluation when that assigns it to `idx` (then it comes first of all)."""
        known = self.known_list(e.obj, obj)
        parts = []
        if lowest is not None:
            parts.append(py.Compare(left=first or copy.deepcopy(idx), ops=[py.GtE()], comparators=[lowest]))
            first = None
        if known is not None:
            parts.append(known)
        if first is not None and parts:
            parts.insert(0, py.Compare(left=first, ops=[py.IsNot()], comparators=[self.const(None)]))
            first = None
        element = py.Subscript(value=obj, slice=first or slot, ctx=py.Load())
        test = parts[0] if len(parts) == 1 else py.BoolOp(op=py.And(), values=parts) if parts else self.const(True)
        st = self._fn
        conditional = st.conditional > 0
        if not parts and not conditional:
            st.sites.append(_Site(obj, idx, e.span, None, None))
            return element
        read = py.IfExp(test=test, body=element, orelse=self.call("_index", obj, idx))

        def full_test() -> py.expr:
            return self.list_and(e.obj, obj, py.Compare(
                left=self.const(zero), ops=[py.LtE(), py.Lt()],
                comparators=[copy.deepcopy(idx), py.Call(func=self.name("len"), args=[obj], keywords=[])]))

        st.sites.append(_Site(obj, idx, e.span, read if conditional else None, full_test))
        return read

    def dict_variable(self, node: A.Expr) -> str | None:
        """The Python name of a variable that only ever holds dictionaries (object literals)."""
        if type(node) is A.Identifier:
            b = self._fn.scope.lookup(node.name)
            if b is not None and b.is_dict:
                return b.pyname
        return None

    def known_list(self, node: A.Expr, obj: py.expr) -> py.expr | None:
        """None when `node` is a variable that only ever holds lists, else `type(obj) is list`."""
        if type(node) is A.Identifier:
            b = self._fn.scope.lookup(node.name)
            if b is not None and b.is_list:
                return None
        return self.is_type(obj, "list")

    def list_and(self, node: A.Expr, obj: py.expr, test: py.expr) -> py.expr:
        """`type(obj) is list and test`, without the type test when `obj` is a variable that only
        ever holds lists."""
        if type(node) is A.Identifier:
            b = self._fn.scope.lookup(node.name)
            if b is not None and b.is_list:
                return test
        return py.BoolOp(op=py.And(), values=[self.is_type(obj, "list"), test])

    def is_type(self, value: py.expr, pytype: str) -> py.expr:
        known = self._subject_kind
        if known is not None and isinstance(value, py.Name) and value.id == known[0]:
            if known[2] is not None:
                return self.const(known[2] == pytype)  # the subject's type is known
            kind: py.expr = self.name(known[1])
        else:
            kind = py.Call(func=self.name("type"), args=[value], keywords=[])
        return py.Compare(left=kind, ops=[py.Is()], comparators=[self.name(pytype)])

    def near(self, left: py.expr, right: py.expr) -> py.expr:
        """`-EPS < left - right < EPS`: the reference's number equality, without a call."""
        if isinstance(right, py.Constant) and right.value == 0:
            difference = left
        elif isinstance(left, py.Constant) and left.value == 0:
            difference = right
        else:
            difference = py.BinOp(left=left, op=py.Sub(), right=right)
        return py.Compare(left=self.const(-EPS), ops=[py.Lt(), py.Lt()], comparators=[difference, self.const(EPS)])

    def once(self, value: py.expr) -> tuple[py.expr, py.expr]:
        """(first use, later uses) of a value evaluated once: itself when pure, else a walrus
        into a temporary and that temporary."""
        if _is_pure(value):
            return value, value
        t = self.tmp()
        return py.NamedExpr(target=self.name(t, True), value=value), self.name(t)

    def bind(self, name: str, value: py.expr, alias: bool = False) -> py.expr:
        b = self._fn.scope.lookup(name)
        if alias and type(value) is py.Name and len(b.values) == 1 and not b.assigned_inside \
                and not self._fn.arm_closures:
            # the arm reads the subject's temporary itself (no closure can outlive the arm)
            b.pyname = value.id
            return self.const(True)
        pyname = b.pyname
        return py.Compare(left=py.NamedExpr(target=self.name(pyname, True), value=value), ops=[py.Is()],
                          comparators=[self.name(pyname)])


def _ascii(name: str) -> str:
    return name if name.isascii() and name.isidentifier() else "x"


def _is_pure(node: py.expr) -> bool:
    """Evaluating it again, or later, gives the same value and has no effect."""
    return isinstance(node, py.Constant) or (isinstance(node, py.Name) and not node.id.startswith("B_"))


def _size(nodes, limit: int) -> int:
    """How many syntax-tree nodes are below `nodes` (counting stops at `limit`)."""
    count = 0
    stack = list(nodes)
    while stack and count < limit:
        node = stack.pop()
        count += 1
        stack.extend(node.children())
    return count


def _numeric_operands(body: list[A.Stmt]) -> set[str]:
    """Names used directly as operands of arithmetic or comparisons (nested suggestions aside)."""
    names: set[str] = set()
    stack = list(body)
    while stack:
        node = stack.pop()
        t = type(node)
        if t is A.FuncDecl or t is A.Lambda or t is A.SessionDecl:
            continue
        if t is A.Binary and node.op in _NUMERIC_OPS:
            for side in (node.left, node.right):
                if type(side) is A.Identifier:
                    names.add(side.name)
        stack.extend(node.children())
    return names


def _may_call(node: A.Node) -> bool:
    """Whether evaluating an expression could run user code or assign (calls, lambdas, entrain
    arms, assignments): then it must not sit between a check and the store it guards."""
    if isinstance(node, (A.Call, A.Assign, A.Lambda, A.Entrain, A.RecordLit)):
        return True
    return any(_may_call(c) for c in node.children())


def _has_closure(node: A.Node) -> bool:
    """Whether a suggestion, lambda, session or record type is declared under `node`."""
    return any(type(n) in (A.FuncDecl, A.Lambda, A.SessionDecl, A.TranceifyDecl) for n in A.walk([node]))


def _assigned_names(node: A.Node) -> set[str]:
    """Every name assigned or declared anywhere under `node`, nested suggestions included."""
    names: set[str] = set()
    for n in A.walk([node]):
        t = type(n)
        if (t is A.Assign or t is A.Oscillate) and type(n.target) is A.Identifier:
            names.add(n.target.name)
        elif t is A.VarDecl or t is A.ForIn or t is A.Anchor:
            names.add(n.name)
    return names


def _has_continue(nodes) -> bool:
    """Whether a `sink` among these nodes belongs to the loop that owns them (nested loops and
    suggestions own theirs)."""
    for node in nodes:
        t = type(node)
        if t is A.Continue:
            return True
        if t in (A.While, A.Loop, A.ForIn, A.FuncDecl, A.Lambda, A.SessionDecl):
            continue
        if _has_continue(node.children()):
            return True
    return False


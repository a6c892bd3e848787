"""Static name resolution, shared by the checker, the linter and the optimizer.

The rules are the execution engine's: every suggestion, method, lambda and field initialiser has
one scope, and the program's top level another; a declaration anywhere in a body (also inside
`if`, loops and `entrance`) belongs to that body's scope, except in an `entrain` arm or a
`tranceify` block, which have scopes of their own; lookups go outwards
through the scopes the code is written in (closures); assigning a name declared nowhere creates a
program-level variable. A binding is visible in its whole scope, whatever the order.
"""

from __future__ import annotations

from hypnoscript.syntax import ast as A


class Scope:
    """The scope of one function body (`main`, `function`, `method`, `static`, `lambda`, `init`),
    of one `entrain` arm (`case`: an arm's pattern variables and declarations are its own), or of
    one `tranceify` block (`block`)."""

    __slots__ = ("kind", "node", "parent", "session", "bindings")

    def __init__(self, kind: str, node: A.Node, parent: Scope | None, session: A.SessionDecl | None = None):
        self.kind = kind
        self.node = node
        self.parent = parent
        self.session = session
        self.bindings: dict[str, Binding] = {}

    def lookup(self, name: str) -> Binding | None:
        scope: Scope | None = self
        while scope is not None:
            b = scope.bindings.get(name)
            if b is not None:
                return b
            scope = scope.parent
        return None

    def method_session(self) -> A.SessionDecl | None:
        """The session whose method (or field initialiser) this scope is, if any."""
        return self.session if self.kind in ("method", "static", "init") else None


class Binding:
    """One variable. `values` lists what is ever stored in it: `("expr", expr, scope)` for an
    assigned or initial value, `("node", decl)` for a suggestion/session/parameter/pattern,
    `("null",)` for a declaration without value, `("unknown",)` for values nothing is known of,
    `("this", session)` / `("record", tranceify)` for the `this` of a method."""

    __slots__ = ("name", "scope", "kind", "decls", "values", "annotations", "reads", "writes",
                 "constant", "mutable_decl")

    def __init__(self, name: str, scope: Scope, kind: str) -> None:
        self.name = name
        self.scope = scope
        # var | param | function | session | record | pattern | loop | catch | import | this | implicit
        self.kind = kind
        self.decls: list[A.Node] = []
        self.values: list[tuple] = []
        self.annotations: list[A.TypeRef] = []
        self.reads: list[A.Identifier] = []
        self.writes: list[A.Node] = []
        self.constant = False
        self.mutable_decl = False

    @property
    def frozen(self) -> bool:
        """Declared only with `freeze`: any assignment fails at run time."""
        return self.constant and not self.mutable_decl

    def only_decl(self):
        """The single suggestion/session declaration this name always holds, or None."""
        if len(self.decls) == 1 and not self.writes and len(self.values) == 1 and self.values[0][0] == "node":
            return self.decls[0]
        return None


class Resolution:
    """The result of resolving a program: scopes, bindings and what each identifier refers to."""

    def __init__(self) -> None:
        self.main: Scope | None = None
        self.scopes: dict[int, Scope] = {}  # id(function-like node, Case, TranceifyBlock or Program) -> Scope
        self.bindings: list[Binding] = []
        self.refs: dict[int, Binding | None] = {}  # id(Identifier read) -> binding (None: unresolved)
        self.targets: dict[int, Binding] = {}  # id(assigned Identifier / Anchor / Oscillate) -> binding
        self.decl_bindings: dict[int, Binding] = {}  # id(declaring node) -> binding
        self.builtin_calls: set[int] = set()  # id(Call) that runs a builtin
        self.scope_of: dict[int, Scope] = {}  # id(Identifier read) -> the scope it is read in
        self.has_imports = False
        self.unresolved_imports = False  # a `mindLink` whose names are not known


def resolve(program: A.Program, builtins=None, import_names=None) -> Resolution:
    """Resolve every name of `program`. `builtins` maps builtin names to their specs: a call
    `Name(...)` runs the builtin unless the program declares `Name` where the call sees it and the
    builtin is not one of the reference's (those always win). `import_names(mind_link)` lists the
    names a module binds (None: unknown; the identifiers they would bind then stay unresolved)."""
    r = _Resolver(builtins or {}, import_names)
    return r.run(program)


class _Resolver:
    def __init__(self, builtins, import_names) -> None:
        self.builtins = builtins
        self.import_names = import_names
        self.res = Resolution()
        self.reads: list[tuple[Scope, A.Identifier]] = []
        self.assigns: list[tuple[Scope, A.Node, str, tuple]] = []
        self.calls: list[tuple[Scope, A.Call]] = []

    def run(self, program: A.Program) -> Resolution:
        main = Scope("main", program, None)
        self.res.main = main
        self.res.scopes[id(program)] = main
        self.stmts(program.body, main)
        # Assignments first: one to a name declared nowhere creates a program-level variable,
        # which later reads (anywhere) then see.
        for scope, node, name, value in self.assigns:
            b = scope.lookup(name)
            if b is None:
                b = self.declare(main, name, "implicit", node, value)
            else:
                b.values.append(value)
            b.writes.append(node)
            self.res.targets[id(node)] = b
        for scope, call in self.calls:
            name = call.callee.name
            if scope.lookup(name) is None or self.builtins[name].in_reference:
                self.res.builtin_calls.add(id(call))
            else:
                self.reads.append((scope, call.callee))
        for scope, ident in self.reads:
            b = scope.lookup(ident.name)
            self.res.refs[id(ident)] = b
            self.res.scope_of[id(ident)] = scope
            if b is not None:
                b.reads.append(ident)
        return self.res

    # ------------------------------------------------------------ declarations

    def declare(self, scope: Scope, name: str, kind: str, node: A.Node, value: tuple,
                constant: bool = False, annotation: A.TypeRef | None = None) -> Binding:
        b = scope.bindings.get(name)
        if b is None:
            b = Binding(name, scope, kind)
            scope.bindings[name] = b
            self.res.bindings.append(b)
        if constant:
            b.constant = True
        else:
            b.mutable_decl = True
        b.decls.append(node)
        b.values.append(value)
        if annotation is not None:
            b.annotations.append(annotation)
        self.res.decl_bindings[id(node)] = b
        return b

    def function(self, node: A.Node, kind: str, parent: Scope, params: list[A.Param], body: list[A.Stmt],
                 session: A.SessionDecl | None = None, record: A.TranceifyDecl | None = None) -> Scope:
        scope = Scope(kind, node, parent, session)
        self.res.scopes[id(node)] = scope
        if kind == "method":
            this = ("this", session) if record is None else ("record", record)
            self.declare(scope, "this", "this", node, this, constant=True)
        for p in params:
            self.declare(scope, p.name, "param", p, ("node", p), annotation=p.type)
            if p.default is not None:
                self.expr(p.default, scope)
        self.stmts(body, scope)
        return scope

    # ------------------------------------------------------------ statements

    def stmts(self, stmts: list[A.Stmt], scope: Scope) -> None:
        for s in stmts:
            self.stmt(s, scope)

    def stmt(self, s: A.Stmt, scope: Scope) -> None:
        t = type(s)
        if t is A.VarDecl:
            if s.init is not None:
                self.expr(s.init, scope)
            value = ("expr", s.init, scope) if s.init is not None else ("null",)
            self.declare(self.res.main if s.shared else scope, s.name, "var", s, value,
                         constant=s.constant, annotation=s.type)
        elif t is A.ExprStmt:
            self.expr(s.expr, scope)
        elif t is A.Output or t is A.Throw:
            self.expr(s.value, scope)
        elif t is A.Anchor:
            self.expr(s.value, scope)
            self.assigns.append((scope, s, s.name, ("expr", s.value, scope)))
        elif t is A.If:
            self.expr(s.cond, scope)
            self.stmts(s.then, scope)
            if s.orelse:
                self.stmts(s.orelse, scope)
        elif t is A.While:
            self.expr(s.cond, scope)
            self.stmts(s.body, scope)
        elif t is A.Loop:
            if s.init is not None:
                self.stmt(s.init, scope)
            if s.cond is not None:
                self.expr(s.cond, scope)
            if s.update is not None:
                self.expr(s.update, scope)
            self.stmts(s.body, scope)
        elif t is A.ForIn:
            self.expr(s.iterable, scope)
            self.declare(scope, s.name, "loop", s, ("node", s))
            self.stmts(s.body, scope)
        elif t is A.Return:
            if s.value is not None:
                self.expr(s.value, scope)
        elif t is A.Oscillate:
            if type(s.target) is A.Identifier:
                self.reads.append((scope, s.target))
                self.assigns.append((scope, s, s.target.name, ("node", s)))
            else:
                self.expr(s.target, scope)
        elif t is A.FuncDecl:
            self.declare(scope, s.name, "function", s, ("node", s))
            self.function(s, "function", scope, s.params, s.body)
        elif t is A.TranceifyDecl:
            for m in s.methods:
                self.function(m, "method", scope, m.params, m.body, record=s)
            if any(m.is_constructor for m in s.methods):
                self.declare(scope, s.name, "record", s, ("node", s))  # `Name(args)` builds one
        elif t is A.SessionDecl:
            self.declare(scope, s.name, "session", s, ("node", s))
            for m in s.members:
                if type(m) is A.SessionMethod:
                    self.function(m, "static" if m.static else "method", scope, m.params, m.body, session=s)
                elif m.init is not None:
                    init = Scope("init", m, scope, s)
                    self.res.scopes[id(m)] = init
                    if not m.static:
                        self.declare(init, "this", "this", m, ("this", s), constant=True)
                    self.expr(m.init, init)
        elif t is A.Entrance or t is A.Finale:
            self.stmts(s.body, scope)
        elif t is A.TranceifyBlock:
            for a in s.args:
                self.expr(a, scope)
            block = Scope("block", s, scope, scope.session)
            self.res.scopes[id(s)] = block
            self.stmts(s.body, block)
        elif t is A.Try:
            self.stmts(s.body, scope)
            if s.catch_body is not None:
                if s.catch_name:
                    self.declare(scope, s.catch_name, "catch", s, ("unknown",))
                self.stmts(s.catch_body, scope)
            if s.finally_body is not None:
                self.stmts(s.finally_body, scope)
        elif t is A.Assert:
            self.expr(s.cond, scope)
            if s.message is not None:
                self.expr(s.message, scope)
        elif t is A.MindLink:
            self.res.has_imports = True
            names = self.import_names(s) if self.import_names is not None else None
            if names is None:
                self.res.unresolved_imports = True
            for name in names or ():
                self.declare(scope, name, "import", s, ("unknown",))

    # ------------------------------------------------------------ expressions

    def expr(self, e: A.Expr | None, scope: Scope) -> None:
        if e is None:
            return
        t = type(e)
        if t is A.Identifier:
            self.reads.append((scope, e))
        elif t is A.Assign:
            self.expr(e.value, scope)
            if type(e.target) is A.Identifier:
                self.assigns.append((scope, e.target, e.target.name, ("expr", e.value, scope)))
            else:
                self.expr(e.target, scope)
        elif t is A.Call:
            callee = e.callee
            if type(callee) is A.Identifier and callee.name in self.builtins and not e.optional:
                self.calls.append((scope, e))
            else:
                self.expr(callee, scope)
            for a in e.args:
                self.expr(a, scope)
        elif t is A.Lambda:
            self.function(e, "lambda", scope, e.params, e.body)
        elif t is A.Entrain:
            self.expr(e.subject, scope)
            for case in e.cases + ([e.default] if e.default else []):
                arm = Scope("case", case, scope, scope.session)
                self.res.scopes[id(case)] = arm
                self.pattern(case.pattern, arm, case is e.default)
                if case.guard is not None:
                    self.expr(case.guard, arm)
                if case.is_block:
                    self.stmts(case.body, arm)
                else:
                    self.expr(case.body, arm)
        elif t is A.RecordLit or t is A.ObjectLit:
            for f in (e.fields if t is A.RecordLit else e.entries):
                self.expr(f.value, scope)
        else:
            for child in e.children():
                self.expr(child, scope)

    def pattern(self, p: A.Pattern, scope: Scope, is_default: bool = False) -> None:
        t = type(p)
        if t is A.BindingPattern:
            if not is_default:
                self.declare(scope, p.name, "pattern", p, ("node", p))
        elif t is A.TypedPattern:
            self.declare(scope, p.name, "pattern", p, ("node", p))
        elif t is A.ArrayPattern:
            for item in p.items:
                self.pattern(item, scope)
            if p.rest:
                self.declare(scope, p.rest, "pattern", p, ("node", p))
        elif t is A.RecordPattern:
            for f in p.fields:
                if f.pattern is None:
                    self.declare(scope, f.name, "pattern", f, ("node", f))
                else:
                    self.pattern(f.pattern, scope)

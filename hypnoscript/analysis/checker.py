"""The static type checker (`hyp check`).

It infers a type for every expression (variables get the join of every value ever stored in them,
unannotated suggestions the join of what they `awaken`) and reports only what is certain: an
operation that fails for every value its operands can have, a value that can never match a
declared type, a name that does not exist. Untyped parameters are `unknown` and fit everything,
so a correct program gets no error.

Codes: HYP2001-HYP2005 are the engine's compile errors (reported here too, with the same codes);
HYP201x names and declarations, HYP202x operators and values, HYP203x calls and returns, HYP204x
sessions, HYP205x records, HYP206x constants and oscillate, HYP207x patterns and comparisons.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from hypnoscript.analysis import flow, tree
from hypnoscript.analysis.scopes import Binding, Resolution, Scope, resolve
from hypnoscript.analysis.signatures import (
    BuiltinSignature,
    RecordInfo,
    SessionInfo,
    Signature,
    builtin_param_kind,
)
from hypnoscript.analysis.types import (
    ANY_ARRAY,
    ANY_FUNCTION,
    BOOLEAN,
    NULL,
    NUMBER,
    OBJECT,
    STRING,
    UNKNOWN,
    ArrayType,
    FunctionType,
    InstanceType,
    ObjectType,
    Prim,
    RecordType,
    SessionType,
    Type,
    Unknown,
    join,
    join_all,
    parse_annotation,
    without_null,
)
from hypnoscript.runtime.constants import CONSTANTS
from hypnoscript.runtime.values import parse_number
from hypnoscript.syntax import ast as A
from hypnoscript.syntax.diagnostics import Diagnostic, Label
from hypnoscript.syntax.source import Source, Span

_MAX_ROUNDS = 25
_PATTERN_TYPES = {"number": NUMBER, "string": STRING, "boolean": BOOLEAN, "array": ANY_ARRAY}


@dataclass
class CheckResult:
    diagnostics: list[Diagnostic]
    types: dict[int, Type] = field(default_factory=dict)  # id(expression node) -> its type
    resolution: Resolution | None = None

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    def type_of(self, node: A.Expr) -> Type:
        return self.types.get(id(node), UNKNOWN)


def check(program: A.Program, source: Source | None = None, *, import_names=None, builtins=None) -> CheckResult:
    """Type-check a parsed program. `import_names(mind_link)` lists the names an imported module
    binds, or None when they are not known; names an unknown module might bind are not reported
    as undefined."""
    from hypnoscript.analysis.deep import run_deep

    if builtins is None:
        from hypnoscript.runtime.builtins.registry import all_builtins

        builtins = all_builtins()
    checker = _Checker(program, source, builtins, import_names)
    return run_deep(checker.run)


@dataclass
class _Context:
    scope: Scope
    sig: Signature | None
    loops: int = 0


class _Checker:
    def __init__(self, program: A.Program, source: Source | None, builtins: dict, import_names) -> None:
        self.program = program
        self.path = source.path if source is not None else None
        self.builtins = {name: BuiltinSignature(spec) for name, spec in builtins.items()}
        self.import_names = import_names
        self.diags: list[Diagnostic] = []
        self.types: dict[int, Type] = {}
        self.report = False
        self.btypes: dict[int, Type | None] = {}
        self.sessions: dict[int, SessionInfo] = {}
        self.sessions_by_name: dict[str, list[SessionInfo]] = {}
        self.records: dict[str, RecordInfo] = {}
        self.sigs: dict[int, Signature] = {}
        self.ctx: _Context | None = None

    # ------------------------------------------------------------ driver

    def run(self) -> CheckResult:
        self.res = resolve(self.program, {n: b.spec for n, b in self.builtins.items()}, self.import_names)
        # Names a module we could not read might bind must not be reported as undefined.
        self.names_unknowable = self.res.unresolved_imports
        self.collect_declarations()
        self.infer()
        self.report = True
        self.ctx = _Context(self.res.main, None)
        self.check_stmts(self.program.body)
        self.check_declarations()
        diags = sorted(self.diags, key=lambda d: (d.span.start if d.span else 0, d.code))
        unique, seen = [], set()
        for d in diags:
            key = (d.code, d.message, d.span.start if d.span else None)
            if key not in seen:
                seen.add(key)
                unique.append(d)
        return CheckResult(unique, self.types, self.res)

    def collect_declarations(self) -> None:
        decls: list[A.TranceifyDecl] = []
        sessions: list[A.SessionDecl] = []
        for node in tree.walk(self.program):
            if type(node) is A.TranceifyDecl:
                decls.append(node)
            elif type(node) is A.SessionDecl:
                sessions.append(node)
        by_name: dict[str, list[A.TranceifyDecl]] = {}
        for d in decls:
            by_name.setdefault(d.name, []).append(d)
        self.records = {name: RecordInfo(ds) for name, ds in by_name.items()}
        for s in sessions:
            info = SessionInfo(s)
            self.sessions[id(s)] = info
            self.sessions_by_name.setdefault(s.name, []).append(info)
        for s in sessions:
            info = self.sessions[id(s)]
            for m in s.members:
                if type(m) is A.SessionMethod:
                    self.sigs[id(m)] = self.signature(m, m.name, m.params, m.return_type, info)
        self.record_ctors: dict[int, Signature] = {}  # id(TranceifyDecl) -> `Name(args)`
        for node in tree.walk(self.program):
            if type(node) is A.TranceifyDecl:
                for m in node.methods:
                    self.sigs[id(m)] = self.signature(m, m.name, m.params, m.return_type, owner=node.name)
                    if m.is_constructor:
                        ctor = self.signature(m, node.name, m.params, None)
                        ctor.declared_ret = ctor.ret = RecordType(node.name)
                        self.record_ctors[id(node)] = ctor
        for node in tree.walk(self.program):
            if type(node) is A.FuncDecl:
                self.sigs[id(node)] = self.signature(node, node.name, node.params, node.return_type)
            elif type(node) is A.Lambda:
                self.sigs[id(node)] = self.signature(node, "anonymous suggestion", node.params, node.return_type)
        # Stores that change values after their creation (records and arrays are mutable):
        # what is read from a field or element is also anything ever stored there.
        self.member_sites: dict[str, list[A.Expr]] = {}
        self.index_sites: list[A.Expr] = []
        self.elements_escape = False
        for node in tree.walk(self.program):
            t = type(node)
            if t is A.Assign:
                if type(node.target) is A.Member:
                    self.member_sites.setdefault(node.target.name, []).append(node.value)
                elif type(node.target) is A.Index:
                    self.index_sites.append(node.value)
            elif t is A.RecordLit:
                for f in node.fields:
                    self.member_sites.setdefault(f.name, []).append(f.value)
            elif t is A.SessionField and node.init is not None:
                self.member_sites.setdefault(node.name, []).append(node.init)
            elif t is A.Call and id(node) in self.res.builtin_calls:
                spec = self.builtins[node.callee.name].spec
                if not spec.pure and any(builtin_param_kind(p.type) == ANY_ARRAY for p in spec.params):
                    self.elements_escape = True  # a builtin that may change an array in place
        self.member_store: dict[str, Type | None] = {}
        self.elem_store: Type | None = UNKNOWN if self.elements_escape else None
        self.returns: dict[int, tuple[list[A.Return], bool]] = {}
        for key, sig in self.sigs.items():
            body = sig.node.body
            rets = [n for n in tree.own_nodes(body) if type(n) is A.Return]
            self.returns[key] = (rets, flow.completes(body))

    def signature(self, node, name, params, return_type, session=None, owner=None) -> Signature:
        types = [self.annotation(p.type) if p.type is not None else UNKNOWN for p in params]
        declared = self.annotation(return_type) if return_type is not None else None
        return Signature(node, name, params, types, declared, session, owner)

    def annotation(self, ref: A.TypeRef) -> Type:
        return parse_annotation(ref.text, self.named_type)

    def named_type(self, name: str) -> Type | None:
        if name in self.records:
            return RecordType(name)
        infos = self.sessions_by_name.get(name)
        if infos is not None and len(infos) == 1:
            return InstanceType(infos[0])
        return None

    # ------------------------------------------------------------ inference

    def infer(self) -> None:
        bindings = self.res.bindings
        inferred_sigs = [s for s in self.sigs.values() if s.declared_ret is None]
        for b in bindings:
            if b.annotations and len(b.annotations) == len(b.decls):
                self.btypes[id(b)] = join_all(self.annotation(a) for a in b.annotations)
        free = [b for b in bindings if id(b) not in self.btypes]
        for b in free:
            self.btypes[id(b)] = None
        for _ in range(_MAX_ROUNDS):
            changed = False
            for b in free:
                t = join_all(self.value_type(v) for v in b.values)
                if t != self.btypes[id(b)]:
                    self.btypes[id(b)] = t
                    changed = True
            for sig in inferred_sigs:
                t = self.inferred_return(sig)
                if t != sig.ret:
                    sig.ret = t
                    changed = True
            for name, exprs in self.member_sites.items():
                t = join_all(self.expr(x) for x in exprs)
                if t != self.member_store.get(name):
                    self.member_store[name] = t
                    changed = True
            if not self.elements_escape:
                t = join_all(self.expr(x) for x in self.index_sites)
                if t != self.elem_store:
                    self.elem_store = t
                    changed = True
            if not changed:
                break
        else:
            for b in free:
                self.btypes[id(b)] = UNKNOWN
            for sig in inferred_sigs:
                sig.ret = UNKNOWN
            self.member_store = {name: UNKNOWN for name in self.member_sites}
            self.elem_store = UNKNOWN
        for b in free:
            if self.btypes[id(b)] is None:
                self.btypes[id(b)] = UNKNOWN
        for sig in inferred_sigs:
            if sig.ret is None:
                sig.ret = NULL

    def inferred_return(self, sig: Signature) -> Type | None:
        rets, falls_off = self.returns[id(sig.node)]
        t = NULL if falls_off else None
        for r in rets:
            t = join(t, self.expr(r.value) if r.value is not None else NULL)
        return t

    def value_type(self, v: tuple) -> Type | None:
        kind = v[0]
        if kind == "expr":
            return self.expr(v[1])
        if kind == "null":
            return NULL
        if kind == "this":
            return InstanceType(self.sessions[id(v[1])])
        if kind == "record":
            return RecordType(v[1].name)
        if kind == "node":
            node = v[1]
            t = type(node)
            if t is A.FuncDecl:
                return FunctionType(self.sigs[id(node)])
            if t is A.SessionDecl:
                return SessionType(self.sessions[id(node)])
            if t is A.TranceifyDecl:
                return FunctionType(self.record_ctors[id(node)])
            if t is A.Param:
                return self.annotation(node.type) if node.type is not None else UNKNOWN
            if t is A.Oscillate:
                return BOOLEAN
            if t is A.TypedPattern:
                return _PATTERN_TYPES.get(node.type_name.lower(), UNKNOWN)
            if t is A.ForIn:
                it = self.expr(node.iterable)
                if it is not None and isinstance(it, ArrayType):
                    return join(it.elem, self.elem_store)
                return STRING if it == STRING else UNKNOWN
        return UNKNOWN

    def binding_type(self, b: Binding) -> Type | None:
        return self.btypes.get(id(b), UNKNOWN)

    # ------------------------------------------------------------ diagnostics

    def error(self, code: str, message: str, span: Span, help: str | None = None, labels=None) -> None:
        if self.report:
            self.diags.append(Diagnostic(code, message, span, "error", labels or [], help, self.path))

    def warning(self, code: str, message: str, span: Span, help: str | None = None) -> None:
        if self.report:
            self.diags.append(Diagnostic(code, message, span, "warning", [], help, self.path))

    @staticmethod
    def did_you_mean(name: str, candidates) -> str | None:
        match = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.75)
        return f"did you mean `{match[0]}`?" if match else None

    def visible_names(self, scope: Scope) -> set[str]:
        names: set[str] = set()
        s: Scope | None = scope
        while s is not None:
            names.update(s.bindings)
            s = s.parent
        return names

    # ------------------------------------------------------------ statements

    def check_stmts(self, stmts: list[A.Stmt]) -> None:
        for s in stmts:
            self.check_stmt(s)

    def check_stmt(self, s: A.Stmt) -> None:
        t = type(s)
        ctx = self.ctx
        if t is A.ExprStmt:
            self.expr(s.expr)
        elif t is A.VarDecl:
            self.check_var_decl(s)
        elif t is A.Output or t is A.Throw:
            self.expr(s.value)
        elif t is A.Anchor:
            value = self.expr(s.value)
            self.check_store(self.res.targets.get(id(s)), s.value, value, s.span)
        elif t is A.If:
            self.expr(s.cond)
            self.check_stmts(s.then)
            if s.orelse:
                self.check_stmts(s.orelse)
        elif t is A.While:
            self.expr(s.cond)
            self.loop_body(s.body)
        elif t is A.Loop:
            if s.init is not None:
                self.check_stmt(s.init)
            if s.cond is not None:
                self.expr(s.cond)
            if s.update is not None:
                self.expr(s.update)
            self.loop_body(s.body)
        elif t is A.ForIn:
            it = self.expr(s.iterable)
            if self.certainly(it, lambda m: m == NUMBER or m == BOOLEAN or m == NULL
                              or isinstance(m, (InstanceType, SessionType, FunctionType))):
                self.error("HYP2024", f"cannot iterate over a {it} value", s.iterable.span,
                           "`for (x in items)` visits the elements of an array, the keys of an object "
                           "or record, or the characters of a string")
            self.loop_body(s.body)
        elif t is A.Break or t is A.Continue:
            if ctx.loops == 0:
                word, code = ("snap", "HYP2001") if t is A.Break else ("sink", "HYP2002")
                what = "leaves" if t is A.Break else "continues"
                self.error(code, f"`{word}` ({'break' if t is A.Break else 'continue'}) outside of a loop", s.span,
                           f"`{word}` {what} the innermost loop of the same suggestion; "
                           "it cannot reach a caller's loop")
        elif t is A.Return:
            self.check_return(s)
        elif t is A.Oscillate:
            self.check_oscillate(s)
        elif t is A.FuncDecl:
            if s.name in self.builtins and self.builtins[s.name].spec.in_reference:
                self.warning("HYP2033", f"suggestion `{s.name}` is hidden by the builtin of the same name", s.span,
                             f"a call `{s.name}(...)` always runs the builtin; rename the suggestion")
            self.check_function(s, self.sigs[id(s)])
        elif t is A.SessionDecl:
            self.check_session(s)
        elif t is A.TranceifyDecl:
            for m in s.methods:
                self.check_function(m, self.sigs[id(m)])
        elif t is A.Entrance or t is A.Finale:
            self.check_stmts(s.body)
        elif t is A.TranceifyBlock:
            for a in s.args:
                self.expr(a)
            self.check_stmts(s.body)
        elif t is A.Try:
            self.check_stmts(s.body)
            if s.catch_body is not None:
                self.check_stmts(s.catch_body)
            if s.finally_body is not None:
                self.check_stmts(s.finally_body)
        elif t is A.Assert:
            self.expr(s.cond)
            if s.message is not None:
                self.expr(s.message)

    def loop_body(self, body: list[A.Stmt]) -> None:
        self.ctx.loops += 1
        self.check_stmts(body)
        self.ctx.loops -= 1

    def check_var_decl(self, s: A.VarDecl) -> None:
        value = self.expr(s.init) if s.init is not None else None
        if s.constant and s.init is None:
            self.warning("HYP2015", f"constant `{s.name}` has no value", s.span,
                       f"a `freeze` constant can never be assigned later; write `freeze {s.name} = value;`")
        if s.type is not None and s.init is not None:
            expected = self.annotation(s.type)
            self.check_fits(expected, s.init, value, "HYP2012", f"`{s.name}` is declared as {expected}")

    def check_fits(self, expected: Type, expr: A.Expr, actual: Type, code: str, what: str) -> bool:
        """Warn when `actual` (the type of `expr`) can never be a value of type `expected`.
        Array and record literals are checked element by element, to point at the culprit."""
        if isinstance(expr, A.ArrayLit) and isinstance(expected, ArrayType) and expr.elements:
            ok = True
            for el in expr.elements:
                et = self.types.get(id(el), UNKNOWN)
                if not fits(expected.elem, et):
                    self.warning(code, f"{what}, but this element is {et}", el.span,
                               f"every element must be {expected.elem}")
                    ok = False
            return ok
        if not fits(expected, actual):
            help = None
            if actual == NULL:
                help = f"declare the type as `{expected}?` to allow null"
            self.warning(code, f"{what}, but the value is {actual}", expr.span, help)
            return False
        return True

    def check_return(self, s: A.Return) -> None:
        value = self.expr(s.value) if s.value is not None else NULL
        sig = self.ctx.sig
        if sig is None:
            if self.ctx.scope.kind == "main":
                self.error("HYP2003", "`awaken` (return) outside of a suggestion", s.span,
                           "`awaken` returns from a suggestion; at the top level there is nothing to return from")
            return
        if sig.declared_ret is not None and not (isinstance(sig.node, A.SessionMethod) and sig.node.is_constructor):
            expr = s.value if s.value is not None else s
            what = f"`{sig.display_name()}` is declared to return {sig.declared_ret}"
            if s.value is None:
                if not fits(sig.declared_ret, NULL):
                    self.warning("HYP2034", f"{what}, but this `awaken` gives no value", s.span,
                               f"write `awaken value;` with a {sig.declared_ret}")
            else:
                self.check_fits(sig.declared_ret, expr, value, "HYP2034", what)

    def check_oscillate(self, s: A.Oscillate) -> None:
        target = s.target
        if type(target) is A.Identifier:
            self.expr(target)
            b = self.res.targets.get(id(s))
            # what the variable holds before this flip (the flips themselves store booleans)
            t = self.types.get(id(target))
            if b is not None and not (b.annotations and len(b.annotations) == len(b.decls)):
                self.report = False
                t = join_all(self.value_type(v) for v in b.values if not (v[0] == "node" and type(v[1]) is A.Oscillate))
                self.report = True
            if b is not None and b.frozen:
                self.error("HYP2014", f"cannot change constant `{target.name}`", target.span,
                           f"`{target.name}` is declared with `freeze`; declare it with `induce` to change it")
            elif self.certainly(t, lambda m: m != BOOLEAN):
                self.error("HYP2062", f"`oscillate` needs a boolean, but `{target.name}` is {t}", target.span,
                           "`oscillate flag;` flips a boolean variable between true and false")
        elif type(target) in (A.Member, A.Index):
            self.expr(target)
        else:
            self.expr(target)
            self.error("HYP2004", "`oscillate` needs a variable", s.span,
                       "write `oscillate flag;` with a boolean variable")

    def check_function(self, node, sig: Signature) -> None:
        outer = self.ctx
        self.ctx = _Context(self.res.scopes[id(node)], sig)
        for p, pt in zip(sig.params, sig.param_types):
            if p.default is not None:
                dt = self.expr(p.default)
                if p.type is not None:
                    self.check_fits(pt, p.default, dt, "HYP2012", f"parameter `{p.name}` is declared as {pt}")
        self.check_stmts(node.body)
        self.ctx = outer

    def check_session(self, s: A.SessionDecl) -> None:
        info = self.sessions[id(s)]
        for node, message in info.problems:
            self.error("HYP2043", message, node.span)
        for m in s.members:
            if type(m) is A.SessionMethod:
                self.check_function(m, self.sigs[id(m)])
            elif m.init is not None:
                outer = self.ctx
                self.ctx = _Context(self.res.scopes[id(m)], None)
                value = self.expr(m.init)
                self.ctx = outer
                if m.type is not None:
                    expected = self.annotation(m.type)
                    self.check_fits(expected, m.init, value, "HYP2044",
                                    f"field `{m.name}` of session `{s.name}` is declared as {expected}")

    def check_declarations(self) -> None:
        """Checks of declarations that need the whole program: record field types."""
        for info in self.records.values():
            for d in info.decls:
                for f in d.fields:
                    text = f.type.text
                    if text[:1].isupper() and text not in self.records and text not in self.sessions_by_name \
                            and not self.res.has_imports and parse_annotation(text, lambda n: None) == UNKNOWN \
                            and text.isidentifier() and text not in ("Array", "List", "Function", "Object", "Any"):
                        self.warning("HYP2055", f"field `{f.name}` of `{d.name}` has the unknown type `{text}`",
                                     f.type.span, self.did_you_mean(text, self.records))

    # ------------------------------------------------------------ stores

    def check_store(self, b: Binding | None, value_expr: A.Expr, value: Type, span: Span) -> None:
        """An assignment of `value_expr` to the variable `b`."""
        if b is None:
            return
        if b.frozen:
            self.error("HYP2014", f"cannot assign to constant `{b.name}`", span,
                       f"`{b.name}` is declared with `freeze`; declare it with `induce` to change it",
                       labels=[Label(b.decls[0].span, "declared here")] if b.decls and b.decls[0].span.start else None)
            return
        if b.annotations and len(b.annotations) == len(b.decls) and b.kind in ("var", "param"):
            expected = self.binding_type(b)
            self.check_fits(expected, value_expr, value, "HYP2013", f"`{b.name}` is declared as {expected}")

    # ------------------------------------------------------------ expressions

    def expr(self, e: A.Expr | None) -> Type | None:
        """The type of `e` (None while inference has no information yet); in the reporting pass
        also checks `e` and records its type."""
        if e is None:
            return None
        t = getattr(self, "e_" + type(e).__name__)(e)
        if self.report:
            if t is None:
                t = UNKNOWN
            self.types[id(e)] = t
        return t

    def e_NumberLit(self, e):
        return NUMBER

    def e_StringLit(self, e):
        return STRING

    def e_BoolLit(self, e):
        return BOOLEAN

    def e_NullLit(self, e):
        return NULL

    def e_Identifier(self, e: A.Identifier):
        b = self.res.refs.get(id(e))
        if b is not None:
            return self.binding_type(b)
        if e.name in CONSTANTS:
            return NUMBER
        if e.name in self.builtins:
            return ANY_FUNCTION
        if self.report:
            self.undefined(e)
        return UNKNOWN

    def undefined(self, e: A.Identifier) -> None:
        scope = self.res.scope_of.get(id(e), self.ctx.scope)
        if e.name == "this":
            static = any(s.kind == "static" for s in _chain(scope))
            if static:
                self.error("HYP2016", "`this` in a static method", e.span,
                           "a `dominant` method belongs to the session, not to an instance; it has no `this`")
            else:
                self.error("HYP2016", "`this` outside of a session method", e.span,
                           "`this` is the instance a method was called on; it exists only inside methods")
            return
        if self.names_unknowable:
            return
        candidates = self.visible_names(scope) | set(self.builtins) | set(CONSTANTS)
        self.error("HYP2010", f"undefined variable `{e.name}`", e.span, self.did_you_mean(e.name, candidates))

    def e_ArrayLit(self, e: A.ArrayLit):
        elem = join_all(self.expr(el) for el in e.elements)
        return ArrayType(elem if elem is not None else UNKNOWN) if e.elements else ANY_ARRAY

    def e_ObjectLit(self, e: A.ObjectLit):
        for f in e.entries:
            self.expr(f.value)
        return OBJECT

    def e_RecordLit(self, e: A.RecordLit):
        values = [(f, self.expr(f.value)) for f in e.fields]
        info = self.records.get(e.type_name)
        if info is None:
            if not self.res.has_imports:  # a module may declare it
                self.error("HYP2050", f"undefined tranceify type `{e.type_name}`", e.span,
                           self.did_you_mean(e.type_name, self.records)
                           or f"declare it first: `tranceify {e.type_name} {{ field: type; }}`")
            return RecordType(e.type_name)
        if info.fields is not None and self.report:
            given = set()
            for f, vt in values:
                given.add(f.name)
                decl = info.fields.get(f.name)
                if decl is None:
                    self.warning("HYP2051", f"`{e.type_name}` has no field `{f.name}`", f.span,
                               self.did_you_mean(f.name, info.fields)
                               or f"its fields are: {', '.join(info.fields) or 'none'}")
                    continue
                expected = self.annotation(decl.type)
                self.check_fits(expected, f.value, vt, "HYP2053",
                                f"field `{f.name}` of `{e.type_name}` is declared as {expected}")
            missing = [n for n, d in info.fields.items() if n not in given and not d.optional]
            if missing:
                names = ", ".join(f"`{n}`" for n in missing)
                noun = "fields" if len(missing) > 1 else "field"
                self.warning("HYP2052", f"`{e.type_name}` literal is missing {noun} "
                           f"{names}", e.span, f"give every field of `{e.type_name}` a value")
        return RecordType(e.type_name)

    def e_RecordUpdate(self, e: A.RecordUpdate):
        base = self.expr(e.base)
        values = [(f, self.expr(f.value)) for f in e.fields]
        if base is None:
            return None
        if self.report and self.certainly(base, lambda m: not isinstance(m, (RecordType, ObjectType))):
            self.error("HYP2025", f"`with` needs a record or an object, but this is {_describe(base, e.base)}",
                       e.base.span, "`value with { field: new }` copies a record (or object) with fields replaced")
        if self.report and isinstance(base, RecordType):
            rec = self.records.get(base.name)
            if rec is not None and rec.fields is not None:
                for f, vt in values:
                    decl = rec.fields.get(f.name)
                    if decl is None:
                        self.warning("HYP2051", f"`{base.name}` has no field `{f.name}`", f.span,
                                     self.did_you_mean(f.name, rec.fields))
                    else:
                        expected = self.annotation(decl.type)
                        self.check_fits(expected, f.value, vt, "HYP2053",
                                        f"field `{f.name}` of `{base.name}` is declared as {expected}")
        result = None
        for m in base.members():
            result = join(result, m if isinstance(m, (RecordType, ObjectType)) else UNKNOWN)
        return result

    def e_Unary(self, e: A.Unary):
        t = self.expr(e.operand)
        if e.op == "-":
            if self.report and self.not_numeric(t, e.operand):
                self.error("HYP2020", f"cannot negate a {t} value", e.span,
                           "unary `-` needs a number (or a boolean or a numeric string)")
            return NUMBER
        if e.op == "!":
            return BOOLEAN
        return t

    def e_Binary(self, e: A.Binary):
        # Left operand chains (`a + b + c + ...`) are walked iteratively.
        chain = [e]
        left_node = e.left
        while type(left_node) is A.Binary:
            chain.append(left_node)
            left_node = left_node.left
        lt = self.expr(left_node)
        for node in reversed(chain):
            rt = self.expr(node.right)
            lt = self.binary(node, lt, rt)
            if self.report and node is not e:
                self.types[id(node)] = lt if lt is not None else UNKNOWN
        return lt

    def binary(self, e: A.Binary, lt: Type | None, rt: Type | None) -> Type | None:
        op = e.op
        shown = e.op_text or op
        if op == "+":
            if self.report and lt is not None and rt is not None and self.add_fails(lt, rt):
                self.error("HYP2020", f"cannot add {lt} and {rt}", e.span,
                           "`+` adds numbers, or joins text when one side is a string; "
                           "use ToString(...) to join other values")
            return add_type(lt, rt)
        if op in ("-", "*", "/", "%", "<", "<=", ">", ">="):
            if self.report:
                for side, t in ((e.left, lt), (e.right, rt)):
                    if self.not_numeric(t, side):
                        self.error("HYP2020",
                                   f"operator `{shown}` needs numbers, but this operand is {_describe(t, side)}",
                                   side.span, _numeric_help(t))
                        break
            return NUMBER if op in ("-", "*", "/", "%") else BOOLEAN
        if op in ("==", "!="):
            if self.report and lt is not None and rt is not None:
                self.check_equality(e, lt, rt)
            return BOOLEAN
        if op == "??":
            if lt is None:
                return rt
            rest = without_null(lt)
            return join(rest, rt) if rest != lt or isinstance(lt, Unknown) else lt
        return join(lt, rt)  # && and || give the deciding operand

    def check_equality(self, e: A.Binary, lt: Type, rt: Type) -> None:
        prims = (NUMBER, STRING, BOOLEAN)
        if lt in prims and rt in prims and lt != rt:
            always = "false" if e.op == "==" else "true"
            self.warning("HYP2071", f"this comparison is always {always}: a {lt} is never equal to a {rt}", e.span,
                         "values of different types are never equal; convert one side first (ToString, ToInt)")

    def add_fails(self, lt: Type, rt: Type) -> bool:
        for a in lt.members():
            for b in rt.members():
                if isinstance(a, Unknown) or isinstance(b, Unknown) or a == STRING or b == STRING:
                    return False
                if _convertible(a) and _convertible(b):
                    return False
        return True

    def not_numeric(self, t: Type | None, node: A.Expr) -> bool:
        """Every value of type `t` (the type of `node`) fails the number conversion."""
        if t is None:
            return False
        if type(node) is A.StringLit:
            return parse_number(node.value) is None
        return all(not _convertible(m) and m != STRING for m in t.members())

    def certainly(self, t: Type | None, pred) -> bool:
        """`pred` holds for every possible value kind of `t` (never for unknown)."""
        if t is None:
            return False
        return all(not isinstance(m, Unknown) and pred(m) for m in t.members())

    def e_Assign(self, e: A.Assign):
        value = self.expr(e.value)
        target = e.target
        tt = type(target)
        if tt is A.Identifier:
            if self.report:
                self.check_store(self.res.targets.get(id(target)), e.value, value, e.span)
                self.types[id(target)] = value if value is not None else UNKNOWN
        elif tt is A.Member:
            obj = self.expr(target.obj)
            if self.report and obj is not None:
                self.check_member_store(target, obj, e.value, value)
        elif tt is A.Index:
            obj = self.expr(target.obj)
            self.expr(target.index)
            if self.report and self.certainly(obj, lambda m: not isinstance(m, (ArrayType, ObjectType, RecordType))):
                self.error("HYP2021", f"cannot assign an element of a {obj} value", target.span,
                           "only arrays, objects and records have elements to assign")
        else:
            self.expr(target)
            self.error("HYP2005", "invalid assignment target", target.span,
                       "assign to a variable, a member (`obj.field = value`) or an element (`list[i] = value`)")
        return value

    def e_Ternary(self, e: A.Ternary):
        self.expr(e.cond)
        return join(self.expr(e.then), self.expr(e.otherwise))

    def e_Lambda(self, e: A.Lambda):
        sig = self.sigs[id(e)]
        if self.report:
            self.check_function(e, sig)
        return FunctionType(sig)

    def e_Index(self, e: A.Index):
        obj = self.expr(e.obj)
        index = self.expr(e.index)
        if obj is None:
            return None
        if self.report:
            base = without_null(obj) if e.optional else obj
            if base is not None and self.certainly(base, lambda m: m in (NUMBER, BOOLEAN, NULL)
                                                   or isinstance(m, (InstanceType, SessionType, FunctionType))):
                self.error("HYP2021", f"cannot index a {base} value", e.obj.span,
                           "only arrays, strings, objects and records can be indexed")
            if index is not None and self.certainly(obj, lambda m: isinstance(m, ArrayType)) \
                    and self.not_numeric(index, e.index):
                self.error("HYP2021", f"an array index must be a number, but this is {_describe(index, e.index)}",
                           e.index.span)
        result = None
        for m in obj.members():
            if isinstance(m, ArrayType):
                result = join(result, join(m.elem, self.elem_store))
            elif m == STRING:
                result = join(result, STRING)
            elif m == NULL:
                result = join(result, NULL)
            else:
                result = join(result, UNKNOWN)
        if e.optional:
            result = join(result, NULL)
        return result

    def e_Member(self, e: A.Member):
        obj = self.expr(e.obj)
        if obj is None:
            return None
        base = without_null(obj) if e.optional else obj
        result = NULL if base is None else None
        for m in (base.members() if base is not None else ()):
            result = join(result, self.member_type(e, m, base))
        if e.optional and base is not obj:
            result = join(result, NULL)
        return result

    def member_type(self, e: A.Member, m: Type, whole: Type) -> Type:
        name = e.name
        if isinstance(m, InstanceType) or isinstance(m, SessionType):
            info: SessionInfo = m.info
            static = isinstance(m, SessionType)
            member = info.member(name, static)
            if member is None:
                if self.report and len(whole.members()) == 1:
                    self.no_member(e, info, static)
                return UNKNOWN
            if self.report and len(whole.members()) == 1:
                self.check_visibility(e, info, member)
            return self.member_value_type(member)
        if isinstance(m, RecordType):
            rec = self.records.get(m.name)
            if rec is None or rec.fields is None:
                return UNKNOWN
            f = rec.fields.get(name)
            if f is None and name in rec.methods:
                return FunctionType(self.sigs[id(rec.methods[name])])
            if f is None:
                if self.report and len(whole.members()) == 1:
                    self.warning("HYP2054", f"record type `{m.name}` has no field `{name}`", e.span,
                               self.did_you_mean(name, rec.fields)
                               or f"its fields are: {', '.join(rec.fields) or 'none'}")
                return UNKNOWN
            return join(self.annotation(f.type), self.member_store.get(name))
        if isinstance(m, (ObjectType, Unknown)):
            return UNKNOWN
        if self.report and self.certainly(whole, lambda x: not isinstance(x, (InstanceType, SessionType,
                                                                              RecordType, ObjectType))) \
                and m is whole.members()[0]:
            self.error("HYP2022", f"a {whole} value has no member `{name}`", e.span, _member_help(whole, name))
        return UNKNOWN

    def member_value_type(self, member) -> Type:
        if type(member) is A.SessionMethod:
            return FunctionType(self.sigs[id(member)])
        if member.type is None:
            return UNKNOWN
        return join(self.annotation(member.type), self.member_store.get(member.name))

    def no_member(self, e: A.Member, info: SessionInfo, static: bool) -> None:
        name = e.name
        if static and info.instance_member(name) is not None:
            self.error("HYP2042", f"`{name}` is an instance member of session `{info.name}`", e.span,
                       f"reach it through an instance (`{info.name}(...).{name}`), not the session itself")
            return
        kind = "static member" if static else "member"
        self.error("HYP2040", f"session `{info.name}` has no {kind} `{name}`", e.span,
                   self.did_you_mean(name, info.all_names()))

    def check_visibility(self, e: A.Member, info: SessionInfo, member) -> None:
        if not member.private:
            return
        kind = "method" if type(member) is A.SessionMethod else "field"
        session, nested = self.access_site()
        if session is info.decl:
            return
        message = f"`{e.name}` is a concealed {kind} of session `{info.name}`"
        help = f"only methods of `{info.name}` can use it; make it `expose` or add a method that does"
        if not nested:
            self.error("HYP2041", message, e.span, help)
        else:
            self.warning("HYP2041", message + " and may not be accessible here", e.span,
                         help + "; this works only when called from one of its methods")

    def access_site(self):
        """Where the current code runs, for visibility: the session whose method (or field
        initialiser) encloses it (None at the top level), and whether nested suggestions or
        lambdas lie in between (those may be called from anywhere, so nothing is certain)."""
        scope = self.ctx.scope
        nested = False
        while scope.kind in ("function", "lambda", "case", "block"):
            nested = nested or scope.kind in ("function", "lambda")
            scope = scope.parent
        return scope.method_session(), nested

    def check_member_store(self, target: A.Member, obj: Type, value_expr: A.Expr, value: Type | None) -> None:
        name = target.name
        members = obj.members()
        if len(members) != 1:
            return
        m = members[0]
        if isinstance(m, InstanceType):
            info: SessionInfo = m.info
            if name in info.fields:
                member = info.fields[name]
                self.check_visibility(target, info, member)
                if member.type is not None and value is not None:
                    expected = self.annotation(member.type)
                    self.check_fits(expected, value_expr, value, "HYP2044",
                                    f"field `{name}` of session `{info.name}` is declared as {expected}")
            elif name in info.methods or name in info.static_methods:
                self.error("HYP2042", f"cannot assign to method `{name}` of session `{info.name}`", target.span)
            elif name in info.static_fields:
                self.error("HYP2042", f"static field `{name}` must be assigned through the session", target.span,
                           f"write `{info.name}.{name} = ...`")
            else:
                self.error("HYP2040", f"session `{info.name}` has no field `{name}`", target.span,
                           self.did_you_mean(name, info.fields) or "fields must be declared in the session")
        elif isinstance(m, SessionType):
            info = m.info
            if name in info.static_fields:
                member = info.static_fields[name]
                self.check_visibility(target, info, member)
                if member.type is not None and value is not None:
                    expected = self.annotation(member.type)
                    self.check_fits(expected, value_expr, value, "HYP2044",
                                    f"field `{name}` of session `{info.name}` is declared as {expected}")
            elif name in info.static_methods:
                self.error("HYP2042", f"cannot assign to static method `{name}` of session `{info.name}`", target.span)
            elif name in info.fields:
                self.error("HYP2042", f"`{name}` is an instance field of session `{info.name}`", target.span,
                           "assign it through an instance, not the session itself")
            else:
                self.error("HYP2040", f"session `{info.name}` has no static field `{name}`", target.span,
                           self.did_you_mean(name, info.static_fields))
        elif isinstance(m, RecordType):
            rec = self.records.get(m.name)
            if rec is not None and rec.fields is not None:
                f = rec.fields.get(name)
                if f is None:
                    self.warning("HYP2054", f"record type `{m.name}` has no field `{name}`", target.span,
                               self.did_you_mean(name, rec.fields))
                elif value is not None:
                    expected = self.annotation(f.type)
                    self.check_fits(expected, value_expr, value, "HYP2053",
                                    f"field `{name}` of `{m.name}` is declared as {expected}")
        elif not isinstance(m, (ObjectType, Unknown)):
            self.error("HYP2022", f"cannot assign member `{name}` of a {m} value", target.span,
                       "only session instances, records and objects have members to assign")

    def e_Entrain(self, e: A.Entrain):
        subject = self.expr(e.subject)
        result = None
        for case in e.cases + ([e.default] if e.default is not None else []):
            if self.report and case is not e.default and subject is not None:
                self.check_pattern(case.pattern, subject)
            if case.guard is not None:
                self.expr(case.guard)
            if case.is_block:
                # a block's value is its last statement's, when that is an expression statement
                last = case.body[-1] if case.body else None
                if self.report:
                    self.check_stmts(case.body)
                    value = self.types.get(id(last.expr), UNKNOWN) if type(last) is A.ExprStmt else NULL
                else:
                    value = self.expr(last.expr) if type(last) is A.ExprStmt else NULL
                result = join(result, value)
            else:
                result = join(result, self.expr(case.body))
        return result

    def check_pattern(self, p: A.Pattern, subject: Type) -> None:
        t = type(p)
        if t is A.LiteralPattern:
            lit = self.expr(p.value)
            if lit is not None and not any(fits(m, lit) for m in subject.members()) \
                    and not isinstance(subject, Unknown):
                self.warning("HYP2070", f"this case never matches: the subject is {subject}, not {lit}", p.span)
        elif t is A.TypedPattern:
            want = _PATTERN_TYPES.get(p.type_name.lower())
            if want is not None and not fits(want, subject):
                self.warning("HYP2070", f"this case never matches: the subject is {subject}, not {p.type_name}", p.span)
        elif t is A.ArrayPattern:
            if self.certainly(subject, lambda m: not isinstance(m, ArrayType)):
                self.warning("HYP2070", f"this case never matches: the subject is {subject}, not an array", p.span)
        elif t is A.RecordPattern:
            info = self.records.get(p.type_name)
            if info is None:
                if not self.res.has_imports:
                    self.warning("HYP2070", f"this case never matches: there is no tranceify type `{p.type_name}`",
                                 p.span, self.did_you_mean(p.type_name, self.records))
            elif info.fields is not None:
                for f in p.fields:
                    if f.name not in info.fields:
                        self.warning("HYP2070", f"this case never matches: `{p.type_name}` has no field `{f.name}`",
                                     f.span, self.did_you_mean(f.name, info.fields))

    # ------------------------------------------------------------ calls

    def e_Call(self, e: A.Call):
        callee = e.callee
        if id(e) in self.res.builtin_calls:
            args = [self.expr(a) for a in e.args]
            sig = self.builtins[callee.name]
            if self.report:
                self.types[id(callee)] = ANY_FUNCTION
                self.check_builtin_call(e, sig, args)
            return sig.ret
        if type(callee) is A.Member and not callee.optional:
            return self.member_call(e, callee)
        ct = self.expr(callee)
        args = [self.expr(a) for a in e.args]
        if ct is None:
            return None
        return self.call_type(e, ct, args)

    def call_type(self, e: A.Call, ct: Type, args: list, what: str | None = None) -> Type | None:
        base = without_null(ct) if e.optional else ct
        if base is None:
            return NULL
        members = base.members()
        if self.report and self.certainly(base, lambda m: not isinstance(m, (FunctionType, SessionType))):
            if base == NULL:
                self.error("HYP2023", "this value is always null and cannot be called", e.callee.span,
                           "use `?.(...)` to call only when it is not null")
            else:
                self.error("HYP2023", f"a {base} value cannot be called", e.callee.span)
        result = None
        for m in members:
            if isinstance(m, FunctionType) and m.sig is not None:
                if self.report and len(members) == 1:
                    self.check_call_args(e, m.sig, args, what)
                result = join(result, m.sig.ret if m.sig.ret is not None else None)
            elif isinstance(m, SessionType):
                if self.report and len(members) == 1:
                    self.check_constructor(e, m.info, args)
                result = join(result, InstanceType(m.info))
            else:
                result = join(result, UNKNOWN)
        if e.optional and base is not ct:
            result = join(result, NULL)
        return result

    def member_call(self, e: A.Call, callee: A.Member) -> Type | None:
        obj = self.expr(callee.obj)
        if obj is None:
            for a in e.args:
                self.expr(a)
            return None
        members = obj.members()
        if len(members) == 1 and isinstance(members[0], InstanceType):
            info: SessionInfo = members[0].info
            method = info.methods.get(callee.name)
            if method is not None:
                args = [self.expr(a) for a in e.args]
                if self.report:
                    self.check_visibility(callee, info, method)
                    self.types[id(callee)] = FunctionType(self.sigs[id(method)])
                sig = self.sigs[id(method)]
                if self.report:
                    self.check_call_args(e, sig, args, f"method `{info.name}.{callee.name}`")
                return sig.ret
        ct = self.member_after_obj(callee, obj)
        args = [self.expr(a) for a in e.args]
        if ct is None:
            return None
        if self.report:
            self.types[id(callee)] = ct
            if len(members) == 1 and isinstance(members[0], (InstanceType, SessionType)):
                member = members[0].info.member(callee.name, isinstance(members[0], SessionType))
                if type(member) is A.SessionField and member.type is not None \
                        and self.certainly(ct, lambda m: not isinstance(m, (FunctionType, SessionType))):
                    self.error("HYP2023", f"`{callee.name}` is a field of session `{members[0].info.name}` "
                               f"and cannot be called", callee.span)
                    return UNKNOWN
        return self.call_type(e, ct, args, f"`{_callee_name(callee)}`")

    def member_after_obj(self, e: A.Member, obj: Type) -> Type | None:
        base = without_null(obj) if e.optional else obj
        result = NULL if base is None else None
        for m in (base.members() if base is not None else ()):
            result = join(result, self.member_type(e, m, base))
        return result

    def check_call_args(self, e: A.Call, sig: Signature, args: list, what: str | None = None) -> None:
        what = what or f"`{sig.display_name()}`"
        n = len(args)
        if n < sig.min_args or n > sig.max_args:
            expected = str(sig.max_args) if sig.min_args == sig.max_args else f"{sig.min_args} to {sig.max_args}"
            plural = "" if expected == "1" else "s"
            self.error("HYP2030", f"{what} expects {expected} argument{plural}, but {n} "
                       f"{'was' if n == 1 else 'were'} given", e.span,
                       f"its parameters are ({', '.join(p.name for p in sig.params)})",
                       labels=[Label(sig.node.span, "declared here")] if sig.node.span.start else None)
            return
        for arg, at, p, pt in zip(e.args, args, sig.params, sig.param_types):
            if p.type is not None and at is not None:
                self.check_fits(pt, arg, at, "HYP2035", f"parameter `{p.name}` of {what} is declared as {pt}")

    def check_constructor(self, e: A.Call, info: SessionInfo, args: list) -> None:
        if info.ctor is None:
            if args:
                self.error("HYP2030", f"session `{info.name}` has no constructor, but {len(args)} "
                           f"argument{'s were' if len(args) != 1 else ' was'} given", e.span,
                           f"declare `suggestion constructor(...)` in `{info.name}` or call `{info.name}()`")
            return
        self.check_call_args(e, self.sigs[id(info.ctor)], args, f"the constructor of `{info.name}`")

    def check_builtin_call(self, e: A.Call, sig: BuiltinSignature, args: list) -> None:
        n = len(args)
        if n < sig.min_args:
            missing = sig.params[n]
            self.error("HYP2030", f"builtin `{sig.name}` needs at least {sig.min_args} argument"
                       f"{'s' if sig.min_args != 1 else ''}, but {n} {'was' if n == 1 else 'were'} given", e.span,
                       f"missing `{missing.name}`: {sig.spec.signature}")
            return
        if sig.max_args is not None and n > sig.max_args:
            self.warning("HYP2031", f"builtin `{sig.name}` takes at most {sig.max_args} argument"
                         f"{'s' if sig.max_args != 1 else ''}; the extra ones are ignored", e.args[sig.max_args].span,
                         sig.spec.signature)
        for i, (arg, at) in enumerate(zip(e.args, args)):
            if i >= len(sig.params):
                p = sig.params[-1] if sig.params and sig.params[-1].variadic else None
            else:
                p = sig.params[i]
            if p is None or at is None:
                continue
            if not builtin_accepts(builtin_param_kind(p.type), at, arg, p.optional):
                self.error("HYP2032", f"argument `{p.name}` of `{sig.name}` must be {p.type}, but this is "
                           f"{_describe(at, arg)}", arg.span, sig.spec.signature)


# ---------------------------------------------------------------- type relations


def fits(expected: Type, actual: Type | None) -> bool:
    """Whether some value of type `actual` can be a value of type `expected` (annotations)."""
    if actual is None:
        return True
    return any(_member_fits(e, a) for e in expected.members() for a in actual.members())


def _member_fits(e: Type, a: Type) -> bool:
    if isinstance(e, Unknown) or isinstance(a, Unknown):
        return True
    if isinstance(e, Prim) or isinstance(a, Prim):
        return e == a
    if isinstance(e, ArrayType):
        return isinstance(a, ArrayType) and fits(e.elem, a.elem)
    if isinstance(e, (RecordType, ObjectType)):
        if isinstance(a, RecordType) and isinstance(e, RecordType):
            return a.name == e.name
        return isinstance(a, (RecordType, ObjectType))
    if isinstance(e, InstanceType):
        return isinstance(a, InstanceType) and a.info.name == e.info.name
    if isinstance(e, FunctionType):
        return isinstance(a, (FunctionType, SessionType))
    if isinstance(e, SessionType):
        return isinstance(a, SessionType)
    return False


def builtin_accepts(kind: Type, actual: Type, node: A.Expr, optional: bool) -> bool:
    """Whether a builtin parameter of the given kind can accept some value of `actual` (the
    runtime converts: a number parameter takes booleans and numeric strings)."""
    for a in actual.members():
        if isinstance(a, Unknown) or isinstance(kind, Unknown):
            return True
        if a == NULL and optional:
            return True
        if kind == NUMBER:
            if a in (NUMBER, BOOLEAN):
                return True
            if a == STRING and not (type(node) is A.StringLit and parse_number(node.value) is None):
                return True
        elif isinstance(kind, ArrayType):
            if isinstance(a, ArrayType):
                return True
        elif isinstance(kind, ObjectType):
            if isinstance(a, (ObjectType, RecordType)):
                return True
        elif isinstance(kind, FunctionType):
            if isinstance(a, (FunctionType, SessionType)):
                return True
        elif isinstance(kind, Prim):
            if a == kind:
                return True
        else:
            return True
    return False


def add_type(lt: Type | None, rt: Type | None) -> Type | None:
    if lt is None or rt is None:
        return STRING if STRING in (lt, rt) else None
    result = None
    for a in lt.members():
        for b in rt.members():
            if a == STRING or b == STRING:
                result = join(result, STRING)
            elif isinstance(a, Unknown) or isinstance(b, Unknown):
                result = join(result, join(NUMBER, STRING))
            else:
                result = join(result, NUMBER)
    return result


def _convertible(t: Type) -> bool:
    """Converts to a number without fail (strings only sometimes)."""
    return isinstance(t, Unknown) or t in (NUMBER, BOOLEAN)


def _describe(t: Type | None, node: A.Expr) -> str:
    if type(node) is A.StringLit:
        return f'the text "{node.value}"' if len(node.value) <= 20 else "a non-numeric string"
    if t == NULL:
        return "null"
    return f"a {t} value" if isinstance(t, (Prim, ArrayType, ObjectType)) else f"{t}"


def _numeric_help(t: Type | None) -> str | None:
    if t is not None and any(isinstance(m, ArrayType) for m in t.members()):
        return "for arrays use ArraySum, ArrayLength or ArrayGet"
    if t == NULL:
        return "the value is null; give the variable a number first"
    return "convert the value first, e.g. with ToInt(...) or ToDouble(...)"


def _member_help(t: Type, name: str) -> str | None:
    if any(isinstance(m, ArrayType) for m in t.members()):
        if name in ("length", "size", "count"):
            return "arrays have no members; use ArrayLength(array)"
        return "arrays have no members; use the Array builtins (ArrayGet, ArrayLength, ...)"
    if STRING in t.members():
        if name in ("length", "size"):
            return "strings have no members; use Length(text)"
        return "strings have no members; use the string builtins (Length, ToUpper, Substring, ...)"
    if t == NULL:
        return "the value is always null here; use `?.` to access it only when it is not null"
    return None


def _callee_name(e: A.Expr) -> str:
    if type(e) is A.Identifier:
        return e.name
    if type(e) is A.Member:
        return f"{_callee_name(e.obj)}.{e.name}"
    return "value"


def _chain(scope: Scope):
    while scope is not None:
        yield scope
        scope = scope.parent

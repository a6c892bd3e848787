"""Static name resolution and type inference for the code generator.

HypnoScript variables become Python variables: a program's top level is one Python function
(`__hyp_main__`), every suggestion, method, lambda and field initialiser a nested function. A
declaration anywhere in a function body (also inside `if`, loops and `entrance`) binds in that
function, one in an `entrain` arm or a `tranceify` block in that arm or block (under a Python
name of its own); assigning a name declared nowhere creates a program-level variable. Python's
own closures then give static scoping.

Inference assigns each binding the join of the types of every value ever assigned to it, so the
generator can use native float/str operators where that is provably right.
"""

from __future__ import annotations

import math

from hypnoscript.engine.names import case_name, mangle
from hypnoscript.runtime.constants import CONSTANTS
from hypnoscript.syntax import ast as A

NUM, STR, BOOL = "num", "str", "bool"
BOTTOM = "bottom"  # no information yet (fixpoint start)
UNKNOWN = object()  # an assigned value whose type is never known (parameters, bindings, ...)


_ESCAPE = object()  # a use of a variable other than indexing it or taking its length
_CALLEE = object()  # a use as the callee of a call
_ITERATED = object()  # a use as what a `for (x in ...)` loop runs over
# builtins that call a function with each element of an array and leave the array as it is
# builtins whose result is always a new list: of the callback's results, or of the array's elements
MAPPING = frozenset(("Map", "ArrayMap", "MapArray"))
FILTERING = frozenset(("Filter", "ArrayFilter", "FilterArray"))
ELEMENT_CALLBACKS = frozenset(("Map", "ArrayMap", "MapArray", "Filter", "ArrayFilter", "FilterArray", "Find",
                               "FindIndex", "Every", "Some"))


class _CallbackArray:
    """A use of a list variable as the array of an ELEMENT_CALLBACKS call (not an escape when the
    call reaches the builtin)."""

    __slots__ = ("call",)

    def __init__(self, call: A.Call) -> None:
        self.call = call
_LENGTH_BUILTINS = ("Length", "ArrayLength")
# builtins that, given a string, always return a string (others may return null)
STRING_TO_STRING = frozenset(("ToUpper", "ToLower", "Trim", "TrimStart", "TrimEnd"))
COUNTER_STEP = 1024  # the largest literal a counter may be moved by in one assignment


def small_int(v: float, limit: float = 2**31) -> bool:
    # (not -0: as an int it would print as 0)
    return v == v and v.is_integer() and abs(v) <= limit and (v != 0 or math.copysign(1.0, v) > 0)


def join(a, b):
    if a == BOTTOM:
        return b
    if b == BOTTOM or a == b:
        return a
    return None


class Binding:
    __slots__ = ("name", "pyname", "scope", "constant", "mutable_decl", "values", "ty", "counter", "escapes",
                 "stores", "elem", "nonneg", "param", "value_used", "decl", "session", "assigned_inside", "is_list")

    def __init__(self, name: str, scope: FnScope) -> None:
        self.name = name
        self.pyname = mangle(name)
        self.scope = scope
        self.constant = False
        self.mutable_decl = False  # declared at least once without `freeze`
        self.values: list = []  # (expr, scope) pairs or UNKNOWN
        self.ty = BOTTOM
        self.counter = False  # held as a Python int (see Analysis._find_counters)
        self.nonneg = False  # a counter that is never negative
        self.param = False
        self.value_used = False  # read other than as the callee of a call
        self.decl: _Suggestion | None = None  # for the name of a declared suggestion
        self.session: A.SessionDecl | None = None  # for the name of a declared session
        self.assigned_inside = False  # assigned by a suggestion nested in its own function
        # only ever assigned array literals or new lists from Map/Filter: always a list once
        # assigned (set by Analysis._find_lists)
        self.is_list = False
        self.escapes = False  # read other than as `x[i]`, `x[i] = v` or `Length(x)`
        self.stores: list = []  # (value, scope) of every `x[i] = value`
        self.elem = BOTTOM  # element type, for lists that never escape

    @property
    def is_dict(self) -> bool:
        """Only ever assigned object literals: always a dictionary once assigned."""
        return bool(self.values) and all(v is not UNKNOWN and type(v[0]) is A.ObjectLit for v in self.values)



class _Suggestion:
    """A declared suggestion: its node, scope, `awaken`s and whether it can end without one."""

    __slots__ = ("node", "scope", "returns", "falls_off", "ret")

    def __init__(self, node: A.FuncDecl | A.SessionMethod, scope: FnScope) -> None:
        self.node = node
        self.scope = scope
        self.returns: list = []  # (value, scope) of each `awaken value`; None for a bare `awaken`
        self.falls_off = _can_complete(node.body)
        self.ret = BOTTOM  # the type of what it returns (solved in Analysis._infer)


def constructor_of(session: A.SessionDecl) -> A.SessionMethod | None:
    """The method `S(args)` runs on the new instance."""
    return next((m for m in session.members if type(m) is A.SessionMethod and m.name == "constructor"
                 and not m.static), None)


def instance_method(session: A.SessionDecl, name: str) -> A.SessionMethod | None:
    """The method `instance.name(...)` calls (not a static one, not the constructor)."""
    return next((m for m in session.members if type(m) is A.SessionMethod and m.name == name
                 and not m.static and m.name != "constructor"), None)


def _narrow(bindings: list, flag: str, holds) -> None:
    """Set `flag` on every binding, then clear it on those with a value for which `holds(value,
    scope)` is false, until nothing changes (a value may depend on other bindings' flags)."""
    for b in bindings:
        setattr(b, flag, True)
    changed = True
    while changed:
        changed = False
        for b in bindings:
            if getattr(b, flag) and not all(holds(v[0], v[1]) for v in b.values):
                setattr(b, flag, False)
                changed = True


def _has_call(e: A.Expr) -> bool:
    return any(type(n) is A.Call or type(n) is A.Entrain for n in A.walk([e]))


def _identifiers(e: A.Expr) -> list[str]:
    """The variable names an index or counter expression reads."""
    names = []
    stack = [e]
    while stack:
        n = stack.pop()
        if type(n) is A.Identifier:
            names.append(n.name)
        elif type(n) is A.Call and len(n.args) == 1 and type(n.args[0]) is A.Identifier:
            continue  # Length(list): the list is not a counter
        else:
            stack.extend(n.children())
    return names


def _can_complete(stmts: list[A.Stmt]) -> bool:
    """Whether running `stmts` can reach their end (conservative: True when unsure)."""
    if not stmts:
        return True
    last = stmts[-1]
    t = type(last)
    if t is A.Return or t is A.Throw:
        return False
    if t is A.If:
        return last.orelse is None or _can_complete(last.then) or _can_complete(last.orelse)
    if t is A.TranceifyBlock:
        return _can_complete(last.body)
    return True


class FnScope:
    """One generated Python function, or (kind `case`) an `entrain` arm inside one, or (kind
    `block`) a `tranceify` block: the arm's pattern variables and declarations live only in the
    arm, as in the reference, and a block's declarations only in the block, so they get Python
    names of their own within the function."""

    def __init__(self, kind: str, parent: FnScope | None, session: A.SessionDecl | None = None) -> None:
        self.kind = kind  # main | function | method | static | lambda | init | case | block
        self.parent = parent
        self.session = session
        self.bindings: dict[str, Binding] = {}
        self.nonlocals: set[str] = set()

    @property
    def function(self) -> FnScope:
        """The scope of the Python function this scope's code runs in."""
        scope = self
        while scope.kind == "case" or scope.kind == "block":
            scope = scope.parent
        return scope

    def lookup(self, name: str) -> Binding | None:
        scope: FnScope | None = self
        while scope is not None:
            b = scope.bindings.get(name)
            if b is not None:
                return b
            scope = scope.parent
        return None

    def main(self) -> FnScope:
        scope = self
        while scope.parent is not None:
            scope = scope.parent
        return scope


class Analysis:
    """Walks a program once: scopes per function node, bindings, and their inferred types."""

    def __init__(self, program: A.Program, builtin_returns: dict[str, str] | None = None,
                 import_names=None, overridable: set[str] | None = None, builtin_names=frozenset(),
                 open_world: bool = False) -> None:
        # builtin names a user declaration takes over (the ones the reference does not have)
        self.overridable = overridable or set()
        self.scopes: dict[int, FnScope] = {}
        # mindLink path -> the names that module exports (asks the module loader)
        self.import_names = import_names
        self.imports: dict[int, list[str]] = {}
        self.main = FnScope("main", None)
        self.bindings: list[Binding] = []
        self._pending: list[tuple[FnScope, str, object]] = []
        self._own_names = 0  # variables of arms and blocks named so far
        self._final_types: dict[int, tuple] | None = None
        self._uses: list[tuple[FnScope, str, object]] = []  # (scope, name, stored value or None)
        self.builtin_returns = builtin_returns or {}
        self.builtin_names = builtin_names
        self.open_world = open_world  # top-level suggestions can be called from code not seen here
        self.has_private = False
        self._suggestions: dict[int, _Suggestion] = {}  # by id of the suggestion's scope
        self._calls: list[tuple[FnScope, A.Call]] = []
        # every `x.name = value` anywhere, by name, and the index of every `x[i] = value` that is
        # not a list variable's (a record field can be set either way)
        self._member_stores: dict[str, list] = {}
        self._index_stores: list = []
        self._field_types: dict[tuple[Binding, str], object] = {}  # see field_type
        self._member_reads: list[tuple[FnScope, A.Member]] = []  # `variable.name`
        self._member_calls: list[tuple[FnScope, A.Call]] = []  # `x.name(...)`
        self._member_value_names: set[str] = set()  # names of members read other than to call them
        self._session_fields: dict[tuple[int, str], object] = {}  # (id of session, field) -> type
        self._session_decls: dict[int, A.SessionDecl] = {}
        self._instances: dict[int, Binding | None] = {}  # see instance_session
        self._index_exprs: list = []  # (index, scope) of every `variable[index]`, read or stored
        # (variable, the other operand of its `+` or None for output, scope): made into text
        self._text_uses: list = []
        self._element_callbacks: list[tuple[FnScope, A.Call]] = []  # see ELEMENT_CALLBACKS
        self._comparisons: list[tuple[A.Binary, FnScope]] = []  # `a < b` and the like
        self.scopes[id(program)] = self.main
        self._stmts(program.body, self.main)
        self._resolve_assignments()
        self._resolve_uses()
        self._find_lists()
        self._resolve_calls()
        for scope, e in self._member_reads:
            session = self.member_session(e, scope)
            if session is not None:
                if any(type(m) is A.SessionField and not m.static and m.name == e.name for m in session.members):
                    self._session_decls[id(session)] = session
                    self._session_fields[(id(session), e.name)] = BOTTOM
                continue
            b = scope.lookup(e.obj.name)
            if b is not None and self.record_fields(b, e.name) is not None:
                self._field_types[(b, e.name)] = BOTTOM
        self._infer()

    # ------------------------------------------------------------ declarations

    def declare(self, scope: FnScope, name: str, value, constant: bool = False) -> Binding:
        b = scope.bindings.get(name)
        if b is None:
            b = Binding(name, scope)
            if scope.kind == "case" or scope.kind == "block":
                self._own_names += 1
                b.pyname = case_name(self._own_names, name)
            scope.bindings[name] = b
            self.bindings.append(b)
        if constant:
            b.constant = True
        else:
            b.mutable_decl = True
        b.values.append(value)
        return b

    def _assign(self, scope: FnScope, name: str, value) -> None:
        self._pending.append((scope, name, value))

    def _resolve_assignments(self) -> None:
        for scope, name, value in self._pending:
            b = scope.lookup(name)
            if b is None:
                b = self.declare(self.main, name, value)
            else:
                b.values.append(value)
            if b.scope.function is not scope.function:
                scope.function.nonlocals.add(name)
                b.assigned_inside = True

    def _resolve_uses(self) -> None:
        for scope, name, stored in self._uses:
            b = scope.lookup(name)
            if b is None:
                continue
            if type(stored) is _CallbackArray:
                if not self.calls_builtin(stored.call.callee.name, scope):
                    b.escapes = b.value_used = True
            elif stored is _ITERATED:
                b.value_used = True
            elif stored is _ESCAPE or stored is _CALLEE:
                b.escapes = True
                b.value_used = b.value_used or stored is _ESCAPE
            elif stored is not None:
                b.stores.append(stored)

    @staticmethod
    def record_fields(b: Binding, name: str) -> list | None:
        """When every value `b` is ever given is a record literal that sets field `name`: the
        (value, scope) of that field in each literal (the field then always exists: record fields
        are never removed)."""
        found = []
        for v in b.values:
            if v is UNKNOWN or type(v[0]) is not A.RecordLit:
                return None
            field = next((f for f in reversed(v[0].fields) if f.name == name), None)
            if field is None:
                return None
            found.append((field.value, v[1]))
        return found or None

    def field_type(self, b: Binding, name: str):
        """The type of field `name` of the records `b` holds: the join of what the literals set
        and of every assignment to a member of that name anywhere (records are shared values),
        unknown when some `x[key] = value` could name a field."""
        ty = BOTTOM
        for index, scope in self._index_stores:
            if self.type_of(index, scope) not in (NUM, BOTTOM):
                return None
        for value, scope in self.record_fields(b, name) + self._member_stores.get(name, []):
            ty = join(ty, self.type_of(value, scope))
            if ty is None:
                return None
        return ty

    def instance_session(self, b: Binding, assumed: dict | None = None) -> Binding | None:
        """The session binding `S` when `b` always holds an instance of that one session: every
        value it is given is `S(...)`, or a method call whose every `awaken` is `S(...)` (or
        `this` in S). A variable assigned a method result of its own instance (`acc =
        acc.add(step)`) is solved by assuming its answer while checking it."""
        key = id(b)
        if assumed is not None and key in assumed:
            return assumed[key]
        if assumed is None and key in self._instances:
            return self._instances[key]
        candidate = None
        for v in b.values:
            candidate = self._constructed(v)
            if candidate is None and v is not UNKNOWN and type(v[0]) is A.Identifier:
                other = v[1].lookup(v[0].name)
                if other is not None and other is not b:
                    candidate = self.instance_session(other, {**(assumed or {}), key: None})
            if candidate is not None:
                break
        result = None
        if candidate is not None:
            inner = {**(assumed or {}), key: candidate}
            if all(self._yields_instance(v, candidate, inner) for v in b.values):
                result = candidate
        if assumed is None:
            self._instances[key] = result
        return result

    def member_session(self, e: A.Member, scope: FnScope) -> A.SessionDecl | None:
        """For `x.name` where `x` is `this` in a method, or a variable always holding instances of
        one session: that session."""
        if e.obj.name == "this":
            fs = scope.function
            return fs.session if fs.kind == "method" else None
        b = scope.lookup(e.obj.name)
        s = self.instance_session(b) if b is not None else None
        return s.session if s is not None else None

    def _constructed(self, v) -> Binding | None:
        """The session binding S when the value `v` is `S(...)`."""
        if v is UNKNOWN or type(v[0]) is not A.Call or v[0].optional or type(v[0].callee) is not A.Identifier:
            return None
        name, scope = v[0].callee.name, v[1]
        s = scope.lookup(name)
        if s is None or s.session is None or len(s.values) != 1 or self.calls_builtin(name, scope):
            return None
        return s

    def _yields_instance(self, v, session: Binding, assumed: dict) -> bool:
        if self._constructed(v) is session:
            return True
        if v is UNKNOWN:
            return False
        e, scope = v
        if type(e) is A.Identifier:
            other = scope.lookup(e.name)
            return other is not None and self.instance_session(other, assumed) is session
        if type(e) is not A.Call or e.optional or type(e.callee) is not A.Member or e.callee.optional \
                or type(e.callee.obj) is not A.Identifier:
            return False
        receiver = scope.lookup(e.callee.obj.name)
        owner = self.instance_session(receiver, assumed) if receiver is not None else None
        if owner is None:
            return False
        m = instance_method(owner.session, e.callee.name)
        fn = self._suggestions.get(id(self.scopes[id(m)])) if m is not None else None
        if fn is None or fn.falls_off or not fn.returns:
            return False
        for r in fn.returns:
            if r is None:
                return False
            this = type(r[0]) is A.Identifier and r[0].name == "this" and r[1].function is fn.scope
            if not (self._constructed(r) is session or (this and owner is session)):
                return False
        return True

    def calls_builtin(self, name: str, scope: FnScope) -> bool:
        """Whether `name(...)` calls a builtin: the reference's builtins come before declarations
        of the same name, the ones added here after them."""
        return name in self.builtin_names and (name not in self.overridable or scope.lookup(name) is None)

    def _resolve_calls(self) -> None:
        """A suggestion whose name is only ever called (never passed around, reassigned or
        exported) receives exactly its call sites' arguments: those become its parameters'
        values, so parameter types are inferred like any variable's."""
        sites: dict[int, list] = {}
        for scope, call in self._calls:
            name = call.callee.name
            if self.calls_builtin(name, scope):
                continue
            b = scope.lookup(name)
            if b is not None and (b.decl is not None or b.session is not None):
                sites.setdefault(id(b), []).append((scope, call))
        for b in self.bindings:
            fn = b.decl
            if b.session is not None:
                # `S(args)` runs the session's constructor with args
                ctor = constructor_of(b.session)
                fn = self._suggestions[id(self.scopes[id(ctor)])] if ctor is not None else None
            if fn is None or b.value_used or len(b.values) != 1 or (self.open_world and b.scope is self.main):
                continue
            self._bind_arguments(fn, sites.get(id(b), ()))
        # a lambda given to an element callback builtin receives the array's elements
        for scope, call in self._element_callbacks:
            array = scope.lookup(call.args[0].name)
            if self.calls_builtin(call.callee.name, scope) and array is not None and array.is_list \
                    and not array.escapes:
                param = self.scopes[id(call.args[1])].bindings[call.args[1].params[0].name]
                if param.values and param.values[0] is UNKNOWN:
                    param.values[0] = (A.Index(A.Identifier(call.args[0].name), A.NumberLit(0.0)), scope)
        if self.open_world:
            self._instances.clear()
            return  # instances of its sessions can be made and used elsewhere
        by_name: dict[str, list] = {}
        for scope, call in self._member_calls:
            by_name.setdefault(call.callee.name, []).append((scope, call))
        for fn in self._suggestions.values():
            m = fn.node
            if type(m) is not A.SessionMethod or m.name == "constructor" or m.name in self._member_value_names:
                continue
            calls = by_name.get(m.name, [])
            # every `x.name(...)` in the program must be a call of this very method
            if all(self.method_of(call.callee, scope) is m for scope, call in calls):
                self._bind_arguments(fn, calls)
        self._instances.clear()  # parameters have their values now: ask again

    def _find_lists(self) -> None:
        for b in self.bindings:
            b.is_list = bool(b.values) and all(v is not UNKNOWN and (type(v[0]) is A.ArrayLit or
                                                                     self._new_list(v[0], v[1]) is not None)
                                               for v in b.values)

    def _new_list(self, e: A.Expr, scope: FnScope) -> str | None:
        """For `Map(...)` or `Filter(...)` reaching the builtin: its name."""
        if type(e) is A.Call and not e.optional and type(e.callee) is A.Identifier \
                and (e.callee.name in MAPPING or e.callee.name in FILTERING) and len(e.args) == 2 \
                and self.calls_builtin(e.callee.name, scope):
            return e.callee.name
        return None

    def _elements(self, e: A.Expr, scope: FnScope):
        """The element type of a list value: an array literal, or a Map/Filter result."""
        if type(e) is A.ArrayLit:
            ty = BOTTOM
            for item in e.elements:
                ty = join(ty, self.type_of(item, scope))
            return ty
        kind = self._new_list(e, scope)
        if kind in MAPPING:
            fn = e.args[1]
            return self._suggestions[id(self.scopes[id(fn)])].ret if type(fn) is A.Lambda else None
        source = e.args[0]
        b = scope.lookup(source.name) if type(source) is A.Identifier else None
        return b.elem if b is not None and b.is_list and not b.escapes else None

    def _bind_arguments(self, fn: _Suggestion, calls) -> None:
        params = [fn.scope.bindings[p.name] for p in fn.node.params]
        if len({p.name for p in fn.node.params}) != len(params) \
                or any(not pb.values or pb.values[0] is not UNKNOWN for pb in params):
            return
        for i, (p, pb) in enumerate(zip(fn.node.params, params)):
            pb.values.pop(0)  # the UNKNOWN every parameter starts with
            for scope, call in calls:
                if i < len(call.args):
                    pb.values.append((call.args[i], scope))
                elif p.default is not None:
                    pb.values.append((p.default, fn.scope))

    def method_of(self, callee: A.Member, scope: FnScope) -> A.SessionMethod | None:
        """The method `x.name(...)` calls, when `x` is `this` in a method or a variable that
        always holds an instance of one session (and that session has such a method)."""
        if callee.optional or type(callee.obj) is not A.Identifier:
            return None
        if callee.obj.name == "this":
            fs = scope.function
            session = fs.session if fs.kind == "method" else None
        else:
            b = scope.lookup(callee.obj.name)
            sb = self.instance_session(b) if b is not None else None
            session = sb.session if sb is not None else None
        return instance_method(session, callee.name) if session is not None else None

    def session_field_type(self, session_id: int, name: str):
        """The type of an instance field: its initialiser (null without one) joined with every
        assignment to a member of that name anywhere; unknown when an initialiser calls
        something (a method could then read a field that is not set yet)."""
        session = self._session_decls[session_id]
        field = next(m for m in session.members if type(m) is A.SessionField and m.name == name)
        if any(type(m) is A.SessionField and m.init is not None and _has_call(m.init) for m in session.members):
            return None
        if field.init is None:
            return None
        for index, scope in self._index_stores:
            if self.type_of(index, scope) not in (NUM, BOTTOM):
                return None
        ty = self.type_of(field.init, self.scopes[id(field)])
        for value, scope in self._member_stores.get(name, []):
            ty = join(ty, self.type_of(value, scope))
            if ty is None:
                return None
        return ty

    # ------------------------------------------------------------ walking

    def _fn(self, node: A.Node, kind: str, parent: FnScope, params: list[A.Param],
            body: list[A.Stmt], session: A.SessionDecl | None = None, this: bool = False,
            fn_scope: FnScope | None = None) -> FnScope:
        scope = fn_scope or FnScope(kind, parent, session)
        self.scopes[id(node)] = scope
        if this:
            self.declare(scope, "this", UNKNOWN, constant=True)
        for p in params:
            self.declare(scope, p.name, UNKNOWN).param = True
            if p.default is not None:
                self._expr(p.default, scope)
        self._stmts(body, scope)
        return scope

    def _stmts(self, stmts: list[A.Stmt], scope: FnScope) -> None:
        for s in stmts:
            self._stmt(s, scope)

    def _stmt(self, s: A.Stmt, scope: FnScope) -> None:
        t = type(s)
        if t is A.VarDecl:
            if s.init is not None:
                self._expr(s.init, scope)
            value = (s.init, scope) if s.init is not None else UNKNOWN
            target = self.main if s.shared else scope
            self.declare(target, s.name, value, constant=s.constant)
            if target is not scope.function and target is not scope:
                scope.function.nonlocals.add(s.name)
        elif t is A.ExprStmt:
            self._expr(s.expr, scope)
        elif t is A.Output or t is A.Throw:
            if t is A.Output and type(s.value) is A.Identifier:
                self._text_uses.append((s.value, None, scope))
            self._expr(s.value, scope)
        elif t is A.Anchor:
            self._expr(s.value, scope)
            self._assign(scope, s.name, (s.value, scope))
        elif t is A.If:
            self._expr(s.cond, scope)
            self._stmts(s.then, scope)
            if s.orelse:
                self._stmts(s.orelse, scope)
        elif t is A.While:
            self._expr(s.cond, scope)
            self._stmts(s.body, scope)
        elif t is A.Loop:
            if s.init is not None:
                self._stmt(s.init, scope)
            if s.cond is not None:
                self._expr(s.cond, scope)
            if s.update is not None:
                self._expr(s.update, scope)
            self._stmts(s.body, scope)
        elif t is A.ForIn:
            value = UNKNOWN
            if type(s.iterable) is A.Identifier:
                # iterating a list is not an escape; the loop variable gets its elements' type
                # (or a dictionary's keys, strings)
                self._uses.append((scope, s.iterable.name, _ITERATED))
                value = (A.Index(A.Identifier(s.iterable.name), A.NumberLit(0.0)), scope)
            else:
                self._expr(s.iterable, scope)
            self.declare(scope, s.name, value)
            self._stmts(s.body, scope)
        elif t is A.Return:
            fn = self._suggestions.get(id(scope.function))
            if s.value is not None:
                self._expr(s.value, scope)
            if fn is not None:
                fn.returns.append((s.value, scope) if s.value is not None else None)
        elif t is A.Oscillate:
            self._expr(s.target, scope)
            if type(s.target) is A.Identifier:
                self._assign(scope, s.target.name, (A.BoolLit(True), scope))
            elif type(s.target) is A.Member:
                self._member_stores.setdefault(s.target.name, []).append((A.BoolLit(True), scope))
            elif type(s.target) is A.Index:
                self._index_stores.append((s.target.index, scope))
        elif t is A.FuncDecl:
            b = self.declare(scope, s.name, UNKNOWN)
            fn_scope = FnScope("function", scope)
            b.decl = self._suggestions[id(fn_scope)] = _Suggestion(s, fn_scope)
            self._fn(s, "function", scope, s.params, s.body, fn_scope=fn_scope)
        elif t is A.TranceifyDecl:
            for m in s.methods:
                self._fn(m, "method", scope, m.params, m.body, this=True)
            if any(m.name == "constructor" for m in s.methods):
                self.declare(scope, s.name, UNKNOWN)  # `Name(args)` builds a record
        elif t is A.SessionDecl:
            self.declare(scope, s.name, UNKNOWN).session = s
            for m in s.members:
                if m.private:
                    self.has_private = True
                if type(m) is A.SessionMethod:
                    kind = "static" if m.static else "method"
                    fn_scope = FnScope(kind, scope, s)
                    if not m.static:
                        self._suggestions[id(fn_scope)] = _Suggestion(m, fn_scope)
                    self._fn(m, kind, scope, m.params, m.body, session=s, this=not m.static, fn_scope=fn_scope)
                elif m.init is not None:
                    init_scope = FnScope("init", scope, s)
                    self.scopes[id(m)] = init_scope
                    if not m.static:
                        self.declare(init_scope, "this", UNKNOWN, constant=True)
                    self._expr(m.init, init_scope)
        elif t is A.Entrance or t is A.Finale:
            self._stmts(s.body, scope)
        elif t is A.TranceifyBlock:
            for a in s.args:
                self._expr(a, scope)
            block = FnScope("block", scope)
            self.scopes[id(s)] = block
            self._stmts(s.body, block)
        elif t is A.Try:
            self._stmts(s.body, scope)
            if s.catch_body is not None:
                if s.catch_name:
                    self.declare(scope, s.catch_name, UNKNOWN)
                self._stmts(s.catch_body, scope)
            if s.finally_body is not None:
                self._stmts(s.finally_body, scope)
        elif t is A.Assert:
            self._expr(s.cond, scope)
            if s.message is not None:
                self._expr(s.message, scope)
        elif t is A.MindLink:
            names = self.import_names(s) if self.import_names is not None else []
            self.imports[id(s)] = names
            for name in names:
                self.declare(scope, name, UNKNOWN)
        # TranceifyDecl, Break, Continue, Suspend: nothing to resolve

    def _expr(self, e: A.Expr | None, scope: FnScope) -> None:
        if e is None:
            return
        t = type(e)
        if t is A.Identifier:
            self._uses.append((scope, e.name, _ESCAPE))
        elif t is A.Index and type(e.obj) is A.Identifier and not e.optional:
            self._uses.append((scope, e.obj.name, None))
            self._index_exprs.append((e.index, scope))
            self._expr(e.index, scope)
        elif t is A.Call and type(e.callee) is A.Identifier and e.callee.name in _LENGTH_BUILTINS \
                and len(e.args) == 1 and type(e.args[0]) is A.Identifier and not e.optional:
            self._uses.append((scope, e.args[0].name, None))
        elif t is A.Call and type(e.callee) is A.Member and not e.optional and not e.callee.optional:
            self._member_calls.append((scope, e))
            self._expr(e.callee.obj, scope)
            for arg in e.args:
                self._expr(arg, scope)
        elif t is A.Call and type(e.callee) is A.Identifier and e.callee.name in ELEMENT_CALLBACKS \
                and not e.optional and len(e.args) == 2 and type(e.args[0]) is A.Identifier \
                and type(e.args[1]) is A.Lambda and e.args[1].params:
            # `Map(list, suggestion(x) { ... })`: the lambda's parameter is an element of list
            self._uses.append((scope, e.callee.name, _CALLEE))
            self._uses.append((scope, e.args[0].name, _CallbackArray(e)))
            self._element_callbacks.append((scope, e))
            self._expr(e.args[1], scope)
        elif t is A.Call and type(e.callee) is A.Identifier:
            self._uses.append((scope, e.callee.name, _ESCAPE if e.optional else _CALLEE))
            if not e.optional:
                self._calls.append((scope, e))
            for arg in e.args:
                self._expr(arg, scope)
        elif t is A.Assign:
            self._expr(e.value, scope)
            target = e.target
            if type(target) is A.Identifier:
                self._assign(scope, target.name, (e.value, scope))
            elif type(target) is A.Index and type(target.obj) is A.Identifier and not target.optional:
                self._uses.append((scope, target.obj.name, (e.value, scope)))
                self._index_stores.append((target.index, scope))
                self._index_exprs.append((target.index, scope))
                self._expr(target.index, scope)
            else:
                if type(target) is A.Member:
                    self._member_stores.setdefault(target.name, []).append((e.value, scope))
                elif type(target) is A.Index:
                    self._index_stores.append((target.index, scope))
                self._expr(target, scope)
        elif t is A.Member and type(e.obj) is A.Identifier and not e.optional:
            self._member_value_names.add(e.name)
            self._member_reads.append((scope, e))
            self._uses.append((scope, e.obj.name, _ESCAPE))
        elif t is A.Lambda:
            fn_scope = FnScope("lambda", scope)
            self._suggestions[id(fn_scope)] = _Suggestion(e, fn_scope)
            self._fn(e, "lambda", scope, e.params, e.body, fn_scope=fn_scope)
        elif t is A.Entrain:
            self._expr(e.subject, scope)
            for case in e.cases + ([e.default] if e.default else []):
                arm = FnScope("case", scope)
                self.scopes[id(case)] = arm
                self._pattern(case.pattern, arm)
                if case.guard is not None:
                    self._expr(case.guard, arm)
                if case.is_block:
                    self._stmts(case.body, arm)
                else:
                    self._expr(case.body, arm)
        else:
            if t is A.Member:
                self._member_value_names.add(e.name)
            elif t is A.Binary and e.op == "+":
                for var, other in ((e.left, e.right), (e.right, e.left)):
                    if type(var) is A.Identifier:
                        self._text_uses.append((var, other, scope))
            elif t is A.Binary and e.op in ("<", "<=", ">", ">=", "==", "!="):
                self._comparisons.append((e, scope))
            for child in e.children():
                if isinstance(child, A.Expr):
                    self._expr(child, scope)
                elif isinstance(child, A.RecordField):
                    self._expr(child.value, scope)

    def _pattern(self, p: A.Pattern, scope: FnScope) -> None:
        t = type(p)
        if t is A.TypedPattern:
            # `n: number` binds only numbers, `s: string` only strings
            # (NaN stands for "some number", so the binding never counts as an integer counter)
            literal = {"number": A.NumberLit(math.nan), "string": A.StringLit(""), "boolean": A.BoolLit(True)}.get(
                p.type_name.lower())
            self.declare(scope, p.name, (literal, scope) if literal is not None else UNKNOWN)
        elif t is A.BindingPattern:
            self.declare(scope, p.name, UNKNOWN)
        elif t is A.ArrayPattern:
            for item in p.items:
                self._pattern(item, scope)
            if p.rest:
                self.declare(scope, p.rest, UNKNOWN)
        elif t is A.RecordPattern:
            for f in p.fields:
                if f.pattern is None:
                    self.declare(scope, f.name, UNKNOWN)
                else:
                    self._pattern(f.pattern, scope)

    # ------------------------------------------------------------ inference

    def _infer(self) -> None:
        changed = True
        while changed:
            changed = False
            for b in self.bindings:
                ty = BOTTOM
                for v in b.values:
                    ty = join(ty, None if v is UNKNOWN else self.type_of(v[0], v[1]))
                    if ty is None:
                        break
                if ty != b.ty:
                    b.ty = ty
                    changed = True
                if b.is_list and not b.escapes:
                    elem = BOTTOM
                    for v in b.values:
                        elem = join(elem, self._elements(v[0], v[1]))
                    for value, scope in b.stores:
                        elem = join(elem, self.type_of(value, scope))
                else:
                    elem = None
                if elem != b.elem:
                    b.elem = elem
                    changed = True
            for fn in self._suggestions.values():
                ret = None if fn.falls_off else BOTTOM
                for r in fn.returns:
                    if ret is None:
                        break
                    ret = join(ret, None if r is None else self.type_of(r[0], r[1]))
                if ret != fn.ret:
                    fn.ret = ret
                    changed = True
            for key in list(self._session_fields):
                ty = self.session_field_type(*key)
                if ty != self._session_fields[key]:
                    self._session_fields[key] = ty
                    changed = True
            for key in list(self._field_types):
                ty = self.field_type(*key)
                if ty != self._field_types[key]:
                    self._field_types[key] = ty
                    changed = True
        for b in self.bindings:
            if b.ty == BOTTOM:
                b.ty = None
            if b.elem == BOTTOM:
                b.elem = None
        for fn in self._suggestions.values():
            if fn.ret == BOTTOM:
                fn.ret = None
        for table in (self._field_types, self._session_fields):
            for key, ty in table.items():
                if ty == BOTTOM:
                    table[key] = None
        self._final_types = {}  # types are final: memoise them from here on
        self._find_counters()

    def _find_counters(self) -> None:
        """Integer counters: number variables only ever set to small integer literals or to another
        counter plus or minus a small literal. They can never leave the exact-integer range of a
        double (that would take 2^43 assignments), so the generator keeps them as Python ints and
        indexes lists with them directly; anywhere else they are read as floats."""
        # (not parameters: their arguments arrive as floats)
        candidates = [b for b in self.bindings
                      if b.ty == NUM and b.values and not b.param and all(v is not UNKNOWN for v in b.values)]
        _narrow(candidates, "counter", self.is_counter_expr)
        counters = self._keep_index_counters([b for b in candidates if b.counter])
        _narrow(counters, "nonneg", self.is_nonneg_expr)

    def _keep_index_counters(self, counters: list[Binding]) -> list[Binding]:
        """Python ints pay off where they index lists; elsewhere every read would convert them to
        floats. Keep the counters that appear in an index and those their values are computed
        from; the others are plain number variables."""
        kept: set[Binding] = set()
        stack = []
        for index, scope in self._index_exprs:
            stack += [(name, scope) for name in _identifiers(index)]
        # also those turned into text (an int prints without a float's conversion)
        for var, other, scope in self._text_uses:
            if other is None or self.type_of(other, scope) == STR:
                stack.append((var.name, scope))
        # and those compared with kept ones (int with int compares fastest)
        comparisons = [(scope, [scope.lookup(n) for n in _identifiers(e.left)],
                        [scope.lookup(n) for n in _identifiers(e.right)]) for e, scope in self._comparisons]
        while stack:
            while stack:
                name, scope = stack.pop()
                b = scope.lookup(name)
                if b is None or not b.counter or b in kept:
                    continue
                kept.add(b)
                for v in b.values:
                    stack += [(name, v[1]) for name in _identifiers(v[0])]
            for _scope, left, right in comparisons:
                for side, other in ((left, right), (right, left)):
                    if any(b in kept for b in side):
                        stack += [(b.name, b.scope) for b in other
                                  if b is not None and b.counter and b not in kept]
        for b in counters:
            if b not in kept:
                b.counter = False
        return [b for b in counters if b.counter]

    def is_length_of_list(self, e: A.Expr, scope: FnScope) -> bool:
        """`Length(x)` / `ArrayLength(x)` of a variable that only ever holds lists: a Python int."""
        if type(e) is not A.Call or e.optional or type(e.callee) is not A.Identifier \
                or e.callee.name not in _LENGTH_BUILTINS or len(e.args) != 1 or type(e.args[0]) is not A.Identifier:
            return False
        b = scope.lookup(e.args[0].name)
        return b is not None and b.is_list and scope.lookup(e.callee.name) is None

    def is_nonneg_expr(self, e: A.Expr, scope: FnScope) -> bool:
        """A counter expression that can never be negative: non-negative literals, lengths, and
        non-negative counters plus non-negative literals."""
        while True:
            t = type(e)
            if t is A.NumberLit:
                return e.value >= 0
            if t is A.Identifier:
                b = scope.lookup(e.name)
                return b is not None and b.nonneg
            if t is A.Binary and e.op == "+":
                if type(e.right) is A.NumberLit and e.right.value >= 0:
                    e = e.left
                    continue
                if type(e.left) is A.NumberLit and e.left.value >= 0:
                    e = e.right
                    continue
            return self.is_length_of_list(e, scope)

    def is_counter_expr(self, e: A.Expr, scope: FnScope) -> bool:
        t = type(e)
        if t is A.NumberLit:
            return small_int(e.value, 2**31)
        if t is A.Identifier:
            b = scope.lookup(e.name)
            return b is not None and b.counter
        if t is A.Call:
            return self.is_length_of_list(e, scope)
        if t is A.Binary and e.op in ("+", "-"):
            # (iterative down the left spine: long `i + 1 + 1 ...` chains must not recurse)
            while type(e) is A.Binary and e.op in ("+", "-") and type(e.right) is A.NumberLit \
                    and small_int(e.right.value, COUNTER_STEP):
                e = e.left
            if type(e) is not A.Binary:
                return self.is_counter_expr(e, scope)
            if e.op == "+" and type(e.left) is A.NumberLit and small_int(e.left.value, COUNTER_STEP):
                return self.is_counter_expr(e.right, scope)
        return False

    def type_of(self, e: A.Expr, scope: FnScope):
        """NUM, STR, BOOL, BOTTOM (during inference) or None (unknown). Once inference is done,
        results are memoised (long operator chains ask again at every level)."""
        memo = self._final_types
        if memo is not None:
            hit = memo.get(id(e))
            if hit is None:
                hit = memo[id(e)] = (e, self._type_of(e, scope))
            return hit[1]
        return self._type_of(e, scope)

    def _type_of(self, e: A.Expr, scope: FnScope):
        t = type(e)
        if t is A.NumberLit:
            return NUM
        if t is A.StringLit:
            return STR
        if t is A.BoolLit:
            return BOOL
        if t is A.Identifier:
            b = scope.lookup(e.name)
            if b is None:
                return NUM if e.name in CONSTANTS else None
            return b.ty
        if t is A.Binary:
            op = e.op
            if op in ("-", "*", "/", "%"):
                return NUM
            if op in ("<", "<=", ">", ">=", "==", "!="):
                return BOOL
            lt = self.type_of(e.left, scope)
            rt = self.type_of(e.right, scope)
            if op == "+":
                if lt == STR or rt == STR:
                    return STR
                if lt == BOTTOM or rt == BOTTOM:
                    return BOTTOM
                if lt == NUM and rt == NUM:
                    return NUM
                return None
            if op in ("&&", "||"):
                return join(lt, rt)
            if op == "??":
                return lt if lt in (NUM, STR, BOOL, BOTTOM) else None
            return None
        if t is A.Unary:
            if e.op == "-":
                return NUM
            if e.op == "!":
                return BOOL
            return self.type_of(e.operand, scope)
        if t is A.Assign:
            return self.type_of(e.value, scope)
        if t is A.Ternary:
            return join(self.type_of(e.then, scope), self.type_of(e.otherwise, scope))
        if t is A.Index and type(e.obj) is A.Identifier and not e.optional:
            b = scope.lookup(e.obj.name)
            return b.elem if b is not None and b.is_list and not b.escapes else None
        if t is A.Member and not e.optional and type(e.obj) is A.Identifier:
            session = self.member_session(e, scope)
            if session is not None:
                return self._session_fields.get((id(session), e.name))
        if t is A.Member and not e.optional and type(e.obj) is A.Identifier:
            b = scope.lookup(e.obj.name)
            if b is None or self.record_fields(b, e.name) is None:
                return None
            # solved with the bindings in _infer (a field's value may read the field itself)
            return self._field_types.get((b, e.name))
        if t is A.Entrain:
            # the join of the arms' values (no arm matching is an error, not a value)
            ty = BOTTOM
            for case in e.cases + ([e.default] if e.default else []):
                if case.is_block:
                    last = case.body[-1] if case.body else None
                    if type(last) is not A.ExprStmt:
                        return None
                    value = last.expr
                else:
                    value = case.body
                ty = join(ty, self.type_of(value, self.scopes[id(case)]))
                if ty is None:
                    return None
            return ty
        if t is A.Call and type(e.callee) is A.Identifier and not e.optional:
            name = e.callee.name
            if self.calls_builtin(name, scope):
                if name in STRING_TO_STRING and len(e.args) == 1 and self.type_of(e.args[0], scope) == STR:
                    return STR
                return {"number": NUM, "string": STR, "boolean": BOOL}.get(self.builtin_returns.get(name, ""))
            b = scope.lookup(name)
            return b.decl.ret if b is not None and b.decl is not None and len(b.values) == 1 else None
        if t is A.Call and type(e.callee) is A.Member and not e.optional:
            m = self.method_of(e.callee, scope)
            return None if m is None else self._suggestions[id(self.scopes[id(m)])].ret
        return None

"""`hyp optimize`: syntax tree -> equivalent, simpler syntax tree.

Passes (repeated until nothing changes):

* constant folding: operators and pure builtin calls on constants are computed with the runtime's
  own operations (see `folding`); whatever would raise stays as it is, to fail at run time;
* constant propagation: reads of a `freeze` constant with a constant value become that value;
* inlining: a call of a small pure suggestion (body `awaken expr;`, using only its parameters)
  becomes the expression, with the arguments (literals or variables that are surely set) in place
  of the parameters;
* dead code elimination: branches and loops whose condition is constant, and statements after
  `awaken`, `snap`, `sink` or `throw`.

Observable behaviour never changes. Names resolve statically (a binding exists in its whole
scope), so code that declares a name is never dropped, and a value is only propagated or inlined
where the declaration has certainly run: the declaration is a statement of its suggestion's (or
the program's) own body, and the use comes after it in the text, outside `finale` blocks.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypnoscript.analysis import flow, tree
from hypnoscript.analysis.folding import NOT_CONSTANT, Folder, literal_value
from hypnoscript.analysis.scopes import Binding, Resolution, resolve
from hypnoscript.runtime.constants import CONSTANTS
from hypnoscript.syntax import ast as A
from hypnoscript.syntax.nodeclass import fields

_MAX_ROUNDS = 8
# Expression forms an inlined body may use: no effects, no new bindings.
_PURE_FORMS = (A.NumberLit, A.StringLit, A.BoolLit, A.NullLit, A.Identifier, A.Binary, A.Unary, A.Ternary,
               A.Member, A.Index, A.ArrayLit, A.ObjectLit, A.RecordLit, A.RecordField, A.Call)


@dataclass
class OptimizeStats:
    folded: int = 0  # expressions replaced by their constant value
    propagated: int = 0  # reads of constants replaced by the value
    inlined: int = 0  # calls replaced by the suggestion's expression
    removed: int = 0  # statements removed as dead code
    branches: int = 0  # if/loop statements decided by a constant condition

    def total(self) -> int:
        return self.folded + self.propagated + self.inlined + self.removed + self.branches

    def lines(self) -> list[str]:
        return [
            f"constant folding:      {self.folded} expression{'s' if self.folded != 1 else ''}",
            f"constant propagation:  {self.propagated} use{'s' if self.propagated != 1 else ''} of constants",
            f"inlining:              {self.inlined} call{'s' if self.inlined != 1 else ''}",
            f"dead code elimination: {self.branches} constant condition{'s' if self.branches != 1 else ''}, "
            f"{self.removed} statement{'s' if self.removed != 1 else ''} removed",
        ]

    def to_dict(self) -> dict:
        return {"folded": self.folded, "propagated": self.propagated, "inlined": self.inlined,
                "removed": self.removed, "branches": self.branches}


def optimize(program: A.Program, builtins=None, import_names=None, *, inline: bool = True
             ) -> tuple[A.Program, OptimizeStats]:
    """An optimized copy of `program` (the input is not changed) and what was done.

    `import_names(mind_link)` lists the names a `mindLink`ed module binds; when a module's names
    are not known, nothing that depends on what a name refers to is done (constants are not
    propagated and suggestions not inlined). `inline=False` keeps every call (the engine does:
    an error inside an inlined suggestion would lose that suggestion's place in the call stack)."""
    from hypnoscript.analysis.deep import run_deep

    if builtins is None:
        from hypnoscript.runtime.builtins.registry import all_builtins

        builtins = all_builtins()
    return run_deep(_optimize, program, builtins, import_names, inline)


def _optimize(program: A.Program, builtins, import_names, inline: bool) -> tuple[A.Program, OptimizeStats]:
    program = tree.clone(program)
    stats = OptimizeStats()
    for _ in range(_MAX_ROUNDS):
        before = stats.total()
        _Round(program, builtins, stats, import_names, inline).run()
        if stats.total() == before:
            break
    return program, stats


class _Round:
    """One pass over the whole program with one name resolution."""

    def __init__(self, program: A.Program, builtins, stats: OptimizeStats, import_names, inline: bool = True) -> None:
        self.program = program
        self.inlining = inline
        self.builtins = builtins
        self.stats = stats
        self.res: Resolution = resolve(program, builtins, import_names)
        self.names_known = not self.res.unresolved_imports
        self.settled = _settled_positions(program, self.res)
        self.constants: dict[int, object] = {}  # id(binding) -> value
        self.inlinable: dict[int, A.FuncDecl] = {}  # id(binding) -> declaration
        self.folder = Folder(self.constant_of, builtins, lambda call: id(call) in self.res.builtin_calls)
        if self.names_known:
            self.find_constants()
            self.find_inlinable()

    def run(self) -> None:
        self.program.body = self.stmts(self.program.body)

    # ------------------------------------------------------------ facts

    def available(self, b: Binding, use: A.Node) -> bool:
        """The declaration of `b` has certainly run when `use` runs."""
        decl = b.decls[0]
        where = self.settled.get(id(decl))
        return where is not None and use.span.start >= decl.span.end and not _inside(use, where)

    def find_constants(self) -> None:
        changed = True
        while changed:
            changed = False
            for b in self.res.bindings:
                if id(b) in self.constants or not b.frozen or len(b.decls) != 1 or b.writes:
                    continue
                decl = b.decls[0]
                if type(decl) is not A.VarDecl or decl.shared or decl.init is None or id(decl) not in self.settled:
                    continue
                value = self.folder.value(decl.init)
                if value is not NOT_CONSTANT:
                    self.constants[id(b)] = value
                    changed = True

    def constant_of(self, ident: A.Identifier):
        if not self.names_known or id(ident) not in self.res.refs:
            return NOT_CONSTANT
        b = self.res.refs[id(ident)]
        if b is None:
            # a name declared nowhere that is a built-in constant (PI, E, ...)
            return CONSTANTS.get(ident.name, NOT_CONSTANT)
        if id(b) not in self.constants or not self.available(b, ident):
            return NOT_CONSTANT
        return self.constants[id(b)]

    def find_inlinable(self) -> None:
        for b in self.res.bindings:
            decl = b.only_decl()
            if type(decl) is not A.FuncDecl or id(decl) not in self.settled:
                continue
            if len(decl.body) != 1 or type(decl.body[0]) is not A.Return or decl.body[0].value is None:
                continue
            if any(p.default is not None for p in decl.params):
                continue
            params = {id(self.res.decl_bindings[id(p)]) for p in decl.params}
            if self.pure_body(decl.body[0].value, params):
                self.inlinable[id(b)] = decl

    def pure_body(self, e: A.Expr, params: set[int]) -> bool:
        for node in [e, *tree.walk(e)]:
            if not isinstance(node, _PURE_FORMS):
                return False
            t = type(node)
            if t is A.Identifier:
                b = self.res.refs.get(id(node))
                if b is None or id(b) not in params:
                    return False
            elif t is A.Call:
                if id(node) not in self.res.builtin_calls or not self.builtins[node.callee.name].pure:
                    return False
        return True

    def surely_set(self, arg: A.Expr) -> bool:
        """Evaluating `arg` has no effect and cannot fail: a literal, or a variable that is
        certainly assigned (a parameter, or a variable whose declaration has run)."""
        if _is_literal_form(arg):
            return True
        if type(arg) is not A.Identifier:
            return False
        b = self.res.refs.get(id(arg))
        if b is None:
            return False
        if b.kind in ("param", "this"):
            return True
        return b.kind == "var" and len(b.decls) == 1 and self.available(b, arg)

    # ------------------------------------------------------------ statements

    def stmts(self, stmts: list[A.Stmt], value_block: bool = False) -> list[A.Stmt]:
        """Optimize a statement list. In an entrain case block (`value_block`) the last statement
        gives the case its value, so it is never replaced by other statements."""
        out: list[A.Stmt] = []
        for i, s in enumerate(stmts):
            last = value_block and i == len(stmts) - 1
            out.extend(self.stmt(s, keep_shape=last))
            if out and flow.exits(out[-1]) and i < len(stmts) - 1:
                rest = stmts[i + 1:]
                if not self.declares(rest):
                    self.stats.removed += len(rest)
                    return out
        return out

    def stmt(self, s: A.Stmt, keep_shape: bool) -> list[A.Stmt]:
        t = type(s)
        if t is A.If:
            s.cond = self.expr(s.cond)
            s.then = self.stmts(s.then)
            if s.orelse is not None:
                s.orelse = self.stmts(s.orelse)
            value = literal_value(s.cond)
            if value is not NOT_CONSTANT and not keep_shape:
                taken, dropped = (s.then, s.orelse or []) if value else (s.orelse or [], s.then)
                if not self.declares(dropped):
                    self.stats.branches += 1
                    self.stats.removed += len(dropped)
                    return taken
            return [s]
        if t is A.While:
            s.cond = self.expr(s.cond)
            s.body = self.stmts(s.body)
            value = literal_value(s.cond)
            if value is not NOT_CONSTANT and not value and not keep_shape and not self.declares(s.body):
                self.stats.branches += 1
                self.stats.removed += len(s.body)
                return []
            return [s]
        if t is A.Loop:
            if s.init is not None:
                s.init = self.stmt(s.init, keep_shape=True)[0]
            if s.cond is not None:
                s.cond = self.expr(s.cond)
            if s.update is not None:
                s.update = self.expr(s.update)
            s.body = self.stmts(s.body)
            value = literal_value(s.cond) if s.cond is not None else NOT_CONSTANT
            if value is not NOT_CONSTANT and not value and not keep_shape and not self.declares(s.body):
                self.stats.branches += 1
                self.stats.removed += len(s.body)
                return [s.init] if s.init is not None else []
            return [s]
        if t is A.ExprStmt:
            s.expr = self.expr(s.expr)
        elif t is A.VarDecl:
            if s.init is not None:
                s.init = self.expr(s.init)
        elif t in (A.Output, A.Throw):
            s.value = self.expr(s.value)
        elif t is A.Anchor:
            s.value = self.expr(s.value)
        elif t is A.Return:
            if s.value is not None:
                s.value = self.expr(s.value)
        elif t is A.Oscillate:
            if type(s.target) is not A.Identifier:
                self.children(s.target)
        elif t is A.ForIn:
            s.iterable = self.expr(s.iterable)
            s.body = self.stmts(s.body)
        elif t is A.FuncDecl:
            self.function(s)
        elif t is A.TranceifyDecl:
            for m in s.methods:
                self.function(m)
        elif t is A.SessionDecl:
            for m in s.members:
                if type(m) is A.SessionMethod:
                    self.function(m)
                elif m.init is not None:
                    m.init = self.expr(m.init)
        elif t in (A.Entrance, A.Finale):
            s.body = self.stmts(s.body)
        elif t is A.TranceifyBlock:
            s.args = [self.expr(a) for a in s.args]
            s.body = self.stmts(s.body)
            if not s.body and not keep_shape and all(_is_literal_form(a) for a in s.args):
                self.stats.removed += 1
                return []
        elif t is A.Try:
            s.body = self.stmts(s.body)
            if s.catch_body is not None:
                s.catch_body = self.stmts(s.catch_body)
            if s.finally_body is not None:
                s.finally_body = self.stmts(s.finally_body)
        elif t is A.Assert:
            s.cond = self.expr(s.cond)
            if s.message is not None:
                s.message = self.expr(s.message)
        return [s]

    def function(self, node) -> None:
        for p in node.params:
            if p.default is not None:
                p.default = self.expr(p.default)
        node.body = self.stmts(node.body)

    def declares(self, stmts: list[A.Stmt]) -> bool:
        """Whether dropping `stmts` could change what a name refers to somewhere: they declare
        a name, or assign one that is declared nowhere (which creates it)."""
        for s in stmts:
            for node in [s, *tree.walk(s, tree.FUNCTION_NODES)]:
                if id(node) in self.res.decl_bindings or type(node) is A.MindLink:
                    return True
                if type(node) in (A.Identifier, A.Anchor, A.Oscillate):
                    b = self.res.targets.get(id(node))
                    if b is not None and b.kind == "implicit":
                        return True
        return False

    # ------------------------------------------------------------ expressions

    def expr(self, e: A.Expr) -> A.Expr:
        t = type(e)
        if t is A.Identifier:
            value = self.constant_of(e)
            if value is NOT_CONSTANT:
                return e
            self.stats.propagated += 1
            return make_literal(value, e)
        if t is A.Assign:
            e.value = self.expr(e.value)
            if type(e.target) is not A.Identifier:
                self.children(e.target)
            return e
        if t is A.Lambda:
            self.function(e)
            return e
        if t is A.Entrain:
            e.subject = self.expr(e.subject)
            for case in e.cases + ([e.default] if e.default is not None else []):
                if case.guard is not None:
                    case.guard = self.expr(case.guard)
                if case.is_block:
                    case.body = self.stmts(case.body, value_block=True)
                else:
                    case.body = self.expr(case.body)
            return e
        if t is A.Binary:
            self.binary_operands(e)
        else:
            self.children(e)
        if t is A.Call and self.inlining:
            inlined = self.inline(e)
            if inlined is not None:
                return self.expr(inlined)
        if not _is_literal_form(e):
            value = self.folder.value(e)
            if value is not NOT_CONSTANT:
                folded = make_literal(value, e)
                if folded != e:
                    self.stats.folded += 1
                    return folded
        return e

    def binary_operands(self, e: A.Binary) -> None:
        # Left operand chains are handled iteratively (they nest without limit).
        chain = [e]
        left = e.left
        while type(left) is A.Binary:
            chain.append(left)
            left = left.left
        chain[-1].left = self.expr(left)
        for node in reversed(chain):
            node.right = self.expr(node.right)

    def children(self, node: A.Node) -> None:
        """Optimize every expression directly below `node` (in place)."""
        for f in fields(node):
            if f.name == "span":
                continue
            value = getattr(node, f.name)
            if isinstance(value, A.Expr):
                setattr(node, f.name, self.expr(value))
            elif isinstance(value, A.RecordField):
                value.value = self.expr(value.value)
            elif isinstance(value, list):
                for i, item in enumerate(value):
                    if isinstance(item, A.Expr):
                        value[i] = self.expr(item)
                    elif isinstance(item, A.RecordField):
                        item.value = self.expr(item.value)

    def inline(self, call: A.Call) -> A.Expr | None:
        callee = call.callee
        if type(callee) is not A.Identifier or call.optional or id(call) in self.res.builtin_calls:
            return None
        b = self.res.refs.get(id(callee))
        if b is None or id(b) not in self.inlinable or not self.available(b, call):
            return None
        decl = self.inlinable[id(b)]
        if len(call.args) != len(decl.params) or not all(self.surely_set(a) for a in call.args):
            return None
        params = {id(self.res.decl_bindings[id(p)]): a for p, a in zip(decl.params, call.args)}
        body = tree.clone(decl.body[0].value)
        result = _substitute(body, decl.body[0].value, params, self.res)
        self.stats.inlined += 1
        return _respan(result, call.span)


def make_literal(value, like: A.Expr) -> A.Expr:
    """A literal expression for a constant (negative, infinite and NaN numbers are written with
    operators, which the engine evaluates to the same value)."""
    span = like.span
    t = type(value)
    if value is None:
        return A.NullLit(span=span)
    if t is bool:
        return A.BoolLit(value, span=span)
    if t is str:
        return A.StringLit(value, span=span)
    if value != value:
        return A.Binary("/", A.NumberLit(0.0, span=span), A.NumberLit(0.0, span=span), span=span)
    if value in (float("inf"), float("-inf")):
        one = A.NumberLit(1.0, span=span)
        numerator = one if value > 0 else A.Unary("-", one, span=span)
        return A.Binary("/", numerator, A.NumberLit(0.0, span=span), span=span)
    if value < 0 or (value == 0 and str(value).startswith("-")):
        return A.Unary("-", A.NumberLit(-value, span=span), span=span)
    return A.NumberLit(value, span=span)


def _is_literal_form(e: A.Expr) -> bool:
    """A literal, or what `make_literal` writes for a number without a literal of its own."""
    t = type(e)
    if literal_value(e) is not NOT_CONSTANT:
        return True
    if t is A.Unary:
        return e.op == "-" and type(e.operand) is A.NumberLit
    if t is A.Binary:
        return e.op == "/" and _is_literal_form(e.left) and type(e.right) is A.NumberLit and e.right.value == 0
    return False


def _substitute(copied: A.Expr, original: A.Expr, params: dict[int, A.Expr], res: Resolution) -> A.Expr:
    """`copied` (a copy of `original`) with every parameter read replaced by a copy of its
    argument. Nodes of both trees correspond one to one, in walk order."""
    pairs = list(zip([copied, *tree.walk(copied)], [original, *tree.walk(original)]))
    replace: dict[int, A.Expr] = {}
    for new, old in pairs:
        if type(old) is A.Identifier:
            b = res.refs.get(id(old))
            if b is not None and id(b) in params:
                replace[id(new)] = tree.clone(params[id(b)])
    if id(copied) in replace:
        return replace[id(copied)]
    for new, _ in pairs:
        for f in fields(new):
            value = getattr(new, f.name)
            if isinstance(value, A.Expr) and id(value) in replace:
                setattr(new, f.name, replace[id(value)])
            elif isinstance(value, list):
                for i, item in enumerate(value):
                    if id(item) in replace:
                        value[i] = replace[id(item)]
    return copied


def _respan(e: A.Expr, span) -> A.Expr:
    """Give an inlined expression the call's position, so errors point at the call."""
    for node in [e, *tree.walk(e)]:
        node.span = span
    return e


def _settled_positions(program: A.Program, res: Resolution) -> dict[int, A.Node]:
    """Declarations that are statements of their scope's own body (the program's, also inside
    `entrance`, or a suggestion's), mapped to the finale blocks of that body: code after such a
    declaration (outside those finales, which also run after failures) runs after it."""
    out: dict[int, A.Node] = {}
    for scope_node in [program, *(s.node for s in res.scopes.values() if s.node is not program)]:
        body = getattr(scope_node, "body", None)
        if not isinstance(body, list):
            continue
        finales = [s for s in body if type(s) is A.Finale]
        statements = []
        for s in body:
            statements.extend(s.body if type(s) is A.Entrance else [s])
        for s in statements:
            if type(s) in (A.VarDecl, A.FuncDecl):
                out[id(s)] = finales
    return out


def _inside(node: A.Node, blocks) -> bool:
    return any(b.span.start <= node.span.start < b.span.end for b in blocks)

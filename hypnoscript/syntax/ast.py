"""The HypnoScript syntax tree.

Every node is a slotted class (built by nodeclass.py, a light `dataclasses`) carrying the span of
the source text it came from. Spans do not take part in equality, so two trees of the same program
laid out differently compare equal.
Bodies of blocks are plain lists of statements.
"""

from __future__ import annotations

from hypnoscript.syntax.nodeclass import dataclass, field, fields

from hypnoscript.syntax.source import NO_SPAN, Span


def _span() -> Span:
    return field(default=NO_SPAN, compare=False, repr=False, kw_only=True)


@dataclass(slots=True)
class Node:
    span: Span = _span()

    def children(self):
        """Direct child nodes, in source order."""
        for f in fields(self):
            if f.name == "span":
                continue
            value = getattr(self, f.name)
            if isinstance(value, Node):
                yield value
            elif isinstance(value, list):
                for item in value:
                    if isinstance(item, Node):
                        yield item


# ---------------------------------------------------------------- types


@dataclass(slots=True)
class TypeRef(Node):
    """A type annotation as written: `number`, `string[]`, `Point`, `number?`, `Array<T>`."""

    text: str


# ---------------------------------------------------------------- expressions


@dataclass(slots=True)
class Expr(Node):
    pass


@dataclass(slots=True)
class NumberLit(Expr):
    value: float
    raw: str = ""


@dataclass(slots=True)
class StringLit(Expr):
    value: str


@dataclass(slots=True)
class BoolLit(Expr):
    value: bool


@dataclass(slots=True)
class NullLit(Expr):
    """`null` (a documented-language literal; see docs/compatibility.md)."""


@dataclass(slots=True)
class Identifier(Expr):
    name: str


@dataclass(slots=True)
class ArrayLit(Expr):
    elements: list[Expr]


@dataclass(slots=True)
class RecordField(Node):
    name: str
    value: Expr


@dataclass(slots=True)
class RecordLit(Expr):
    """`Point { x: 1, y: 2 }`: a record of a `tranceify` type."""

    type_name: str
    fields: list[RecordField]


@dataclass(slots=True)
class RecordUpdate(Expr):
    """`value with { field: v, ... }`: a copy of a record (or object) with some fields replaced."""

    base: Expr
    fields: list[RecordField]


@dataclass(slots=True)
class ObjectLit(Expr):
    """`{ name: "x", "key": 1 }`: an anonymous object (dictionary) literal."""

    entries: list[RecordField]


@dataclass(slots=True)
class Binary(Expr):
    """A binary operator. `op` is canonical (`+ - * / % == != < <= > >= && || ??`);
    `op_text` is the spelling used in the source (e.g. `lookAtTheWatch`)."""

    op: str
    left: Expr
    right: Expr
    op_text: str = ""


@dataclass(slots=True)
class Unary(Expr):
    """`-x`, `!x`, `await x` / `surrenderTo x` (op is `-`, `!` or `await`)."""

    op: str
    operand: Expr


@dataclass(slots=True)
class Assign(Expr):
    """`target = value`; target is an Identifier, Member or Index."""

    target: Expr
    value: Expr


@dataclass(slots=True)
class Call(Expr):
    """`callee(args)`, or `callee?.(args)` / `callee dreamReach(args)` when optional (a null
    callee then gives null instead of an error)."""

    callee: Expr
    args: list[Expr]
    optional: bool = False


@dataclass(slots=True)
class Member(Expr):
    """`obj.name`, or `obj?.name` / `obj dreamReach name` when optional."""

    obj: Expr
    name: str
    optional: bool = False


@dataclass(slots=True)
class Index(Expr):
    """`obj[index]`, or `obj?.[index]` / `obj dreamReach [index]` when optional."""

    obj: Expr
    index: Expr
    optional: bool = False


@dataclass(slots=True)
class Ternary(Expr):
    cond: Expr
    then: Expr
    otherwise: Expr


@dataclass(slots=True)
class Param(Node):
    name: str
    type: TypeRef | None = None
    default: Expr | None = None


@dataclass(slots=True)
class Lambda(Expr):
    """`suggestion(a, b) { ... }` used as a value."""

    params: list[Param]
    return_type: TypeRef | None
    body: list[Stmt]


# ---------------------------------------------------------------- patterns


@dataclass(slots=True)
class Pattern(Node):
    pass


@dataclass(slots=True)
class LiteralPattern(Pattern):
    """A number, string or boolean literal (or `null`)."""

    value: Expr


@dataclass(slots=True)
class BindingPattern(Pattern):
    """A bare name: matches anything and binds it."""

    name: str


@dataclass(slots=True)
class TypedPattern(Pattern):
    """`name: type`."""

    name: str
    type_name: str


@dataclass(slots=True)
class ArrayPattern(Pattern):
    """`[p1, p2, ...rest]`. `has_rest` is true when `...` appears; `rest` names it (or is None)."""

    items: list[Pattern]
    has_rest: bool = False
    rest: str | None = None


@dataclass(slots=True)
class FieldPattern(Node):
    name: str
    pattern: Pattern | None = None


@dataclass(slots=True)
class RecordPattern(Pattern):
    """`Point { x: 0, y }`."""

    type_name: str
    fields: list[FieldPattern]


@dataclass(slots=True)
class Case(Node):
    """One `when` arm. `body` is an expression, or a list of statements when `is_block`."""

    pattern: Pattern
    guard: Expr | None
    body: Expr | list[Stmt]
    is_block: bool = False


@dataclass(slots=True)
class Entrain(Expr):
    """`entrain subject { when ... => ...  otherwise => ... }`.

    `default` is the `otherwise` arm (a Case whose pattern is a BindingPattern named `_`)."""

    subject: Expr
    cases: list[Case]
    default: Case | None = None


# ---------------------------------------------------------------- statements


@dataclass(slots=True)
class Stmt(Node):
    pass


@dataclass(slots=True)
class ExprStmt(Stmt):
    expr: Expr


@dataclass(slots=True)
class VarDecl(Stmt):
    """`induce`/`implant`/`embed`/`freeze` (kind), optionally prefixed by `sharedTrance`."""

    kind: str
    name: str
    type: TypeRef | None = None
    init: Expr | None = None
    shared: bool = False

    @property
    def constant(self) -> bool:
        return self.kind == "freeze"


@dataclass(slots=True)
class Anchor(Stmt):
    """`anchor name = value;`: an assignment (creates the variable when missing)."""

    name: str
    value: Expr


@dataclass(slots=True)
class Output(Stmt):
    """`observe`, `whisper`, `command` or `murmur` (kind)."""

    kind: str
    value: Expr


@dataclass(slots=True)
class If(Stmt):
    """`if (cond) [deepFocus] {...} else ...`; an `else if` is an If alone in `orelse`."""

    cond: Expr
    then: list[Stmt]
    orelse: list[Stmt] | None = None


@dataclass(slots=True)
class While(Stmt):
    """`while (cond) {...}`; `label` names the loop for `snap label;` (`name: while ...`)."""

    cond: Expr
    body: list[Stmt]
    label: str | None = None


@dataclass(slots=True)
class Loop(Stmt):
    """`loop {...}`, `loop (init; cond; update) {...}`, `pendulum (...)`, `for (...)`.

    `init` is a VarDecl or an ExprStmt; every part may be None. `label` as for While."""

    keyword: str
    init: Stmt | None
    cond: Expr | None
    update: Expr | None
    body: list[Stmt]
    label: str | None = None


@dataclass(slots=True)
class ForIn(Stmt):
    """`for (induce x in items) {...}` (also `of`): iterates array elements, or keys of an object."""

    name: str
    iterable: Expr
    body: list[Stmt]
    label: str | None = None


@dataclass(slots=True)
class Break(Stmt):
    """`snap;`, or `snap label;` to leave the loop named `label`."""

    label: str | None = None


@dataclass(slots=True)
class Continue(Stmt):
    """`sink;`, or `sink label;` to continue the loop named `label`."""

    label: str | None = None


@dataclass(slots=True)
class Return(Stmt):
    value: Expr | None = None


@dataclass(slots=True)
class Suspend(Stmt):
    pass


@dataclass(slots=True)
class Oscillate(Stmt):
    target: Expr


@dataclass(slots=True)
class FuncDecl(Stmt):
    """`suggestion name(...) {...}` (kind `suggestion`) or `trigger name = suggestion(...) {...}`."""

    name: str
    params: list[Param]
    return_type: TypeRef | None
    body: list[Stmt]
    kind: str = "suggestion"


@dataclass(slots=True)
class SessionField(Node):
    name: str
    type: TypeRef | None = None
    init: Expr | None = None
    static: bool = False
    private: bool = False


@dataclass(slots=True)
class SessionMethod(Node):
    """A method; `name` is `constructor` for the constructor. `keyword` is the spelling used
    (`suggestion`, `imperativeSuggestion`, `dominantSuggestion`)."""

    name: str
    params: list[Param]
    return_type: TypeRef | None
    body: list[Stmt]
    static: bool = False
    private: bool = False
    keyword: str = "suggestion"

    @property
    def is_constructor(self) -> bool:
        return self.name == "constructor"


@dataclass(slots=True)
class SessionDecl(Stmt):
    name: str
    members: list[SessionField | SessionMethod]


@dataclass(slots=True)
class TranceifyField(Node):
    """`name: type;`, or `name?: type;` when `optional`."""

    name: str
    type: TypeRef
    optional: bool = False


@dataclass(slots=True)
class TranceifyDecl(Stmt):
    """`tranceify Name { field: type; ... }` (also spelt `record`); documented records may also
    declare methods, a `constructor` among them, which see the record as `this`."""

    name: str
    fields: list[TranceifyField]
    methods: list[SessionMethod] = field(default_factory=list)


@dataclass(slots=True)
class TranceifyBlock(Stmt):
    """A block with a scope of its own: `tranceify Name { ... }` (named; the parser reads it as a
    record declaration when a field, a method or `}` follows the `{`) or `tranceify(args) { ... }`
    (the arguments are evaluated, left to right, for their effects). Declarations inside are
    not visible after the block."""

    name: str | None
    args: list[Expr]
    body: list[Stmt]


@dataclass(slots=True)
class Entrance(Stmt):
    body: list[Stmt]


@dataclass(slots=True)
class Finale(Stmt):
    body: list[Stmt]


@dataclass(slots=True)
class Try(Stmt):
    """`try {...} catch (name) {...} finally {...}`; catch and finally are each optional."""

    body: list[Stmt]
    catch_name: str | None = None
    catch_body: list[Stmt] | None = None
    finally_body: list[Stmt] | None = None


@dataclass(slots=True)
class Throw(Stmt):
    value: Expr


@dataclass(slots=True)
class Assert(Stmt):
    """`assert cond;`, `assert cond "message";`, `assert cond : message;`, `assert(cond, message);`."""

    cond: Expr
    message: Expr | None = None


@dataclass(slots=True)
class MindLink(Stmt):
    """`mindLink "path.hyp";`: import another module."""

    path: str


@dataclass(slots=True)
class Program(Node):
    body: list[Stmt]


def walk(nodes):
    """Every node in `nodes` and below them (in no particular order)."""
    stack = list(nodes)
    while stack:
        node = stack.pop()
        yield node
        stack.extend(node.children())

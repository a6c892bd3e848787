"""What the checker knows about suggestions, builtins, sessions and records."""

from __future__ import annotations

from hypnoscript.analysis.types import (
    ANY_ARRAY,
    ANY_FUNCTION,
    NULL,
    OBJECT,
    UNKNOWN,
    ArrayType,
    Type,
    parse_annotation,
)
from hypnoscript.syntax import ast as A


class Signature:
    """A declared suggestion, method, constructor or lambda."""

    def __init__(self, node: A.Node, name: str, params: list[A.Param], param_types: list[Type],
                 declared_ret: Type | None, session: SessionInfo | None = None, owner: str | None = None) -> None:
        self.node = node
        self.name = name
        self.params = params
        self.param_types = param_types
        self.declared_ret = declared_ret
        self.ret: Type | None = declared_ret  # inferred when not declared
        self.session = session
        self.owner = session.name if session is not None else owner  # the session or record of a method
        first_default = next((i for i, p in enumerate(params) if p.default is not None), None)
        self.min_args = len(params) if first_default is None else first_default
        self.max_args = len(params)
        if session is not None and isinstance(node, A.SessionMethod) and node.is_constructor:
            self.min_args = len(params)  # a session constructor is always called with all its parameters

    def display_name(self) -> str:
        return f"{self.owner}.{self.name}" if self.owner is not None else self.name

    def __str__(self) -> str:
        params = ", ".join(str(t) for t in self.param_types)
        ret = self.ret if self.ret is not None else UNKNOWN
        return f"suggestion({params}) -> {ret}"


class BuiltinSignature:
    def __init__(self, spec) -> None:
        self.name = spec.name
        self.spec = spec
        self.params = spec.params
        self.min_args = spec.min_args
        self.max_args = spec.max_args
        self.ret = builtin_return_type(spec.returns)


def builtin_return_type(text: str) -> Type:
    if text in ("any", "object", "value"):
        return UNKNOWN
    if text == "null":
        return NULL
    return parse_annotation(text, lambda name: None)


def builtin_param_kind(text: str) -> Type:
    """The values a builtin parameter type admits, as the checker tests them at a call."""
    if text == "object":
        return OBJECT
    if text == "array":
        return ANY_ARRAY
    if text == "function":
        return ANY_FUNCTION
    t = parse_annotation(text, lambda name: None)
    return ArrayType(UNKNOWN) if isinstance(t, ArrayType) else t


class SessionInfo:
    """The members of one session declaration, and what is wrong with them."""

    def __init__(self, decl: A.SessionDecl) -> None:
        self.decl = decl
        self.name = decl.name
        self.fields: dict[str, A.SessionField] = {}
        self.static_fields: dict[str, A.SessionField] = {}
        self.methods: dict[str, A.SessionMethod] = {}
        self.static_methods: dict[str, A.SessionMethod] = {}
        self.ctor: A.SessionMethod | None = None
        self.problems: list[tuple[A.Node, str]] = []
        for m in decl.members:
            if type(m) is A.SessionField:
                if m.name in self.fields or m.name in self.static_fields:
                    self.problems.append((m, f"duplicate field `{m.name}` in session `{self.name}`"))
                    continue
                (self.static_fields if m.static else self.fields)[m.name] = m
            elif m.is_constructor:
                if m.static:
                    self.problems.append((m, f"the constructor of session `{self.name}` cannot be static"))
                elif self.ctor is not None:
                    self.problems.append((m, f"session `{self.name}` declares more than one constructor"))
                else:
                    self.ctor = m
            else:
                table = self.static_methods if m.static else self.methods
                if m.name in table:
                    kind = "static method" if m.static else "method"
                    self.problems.append((m, f"duplicate {kind} `{m.name}` in session `{self.name}`"))
                    continue
                table[m.name] = m

    def member(self, name: str, static_side: bool):
        """The member `obj.name` reaches: on an instance, methods, then fields, then static members
        (the runtime's order); on the session itself only static members."""
        if not static_side:
            for table in (self.methods, self.fields):
                if name in table:
                    return table[name]
        for table in (self.static_fields, self.static_methods):
            if name in table:
                return table[name]
        return None

    def instance_member(self, name: str):
        return self.fields.get(name) or self.methods.get(name)

    def all_names(self) -> list[str]:
        return [*self.fields, *self.methods, *self.static_fields, *self.static_methods]


class RecordInfo:
    """A `tranceify` type; `fields` is None when declarations of the same name disagree."""

    def __init__(self, decls: list[A.TranceifyDecl]) -> None:
        self.name = decls[0].name
        self.decls = decls
        shapes = {(tuple((f.name, f.type.text, f.optional) for f in d.fields), tuple(m.name for m in d.methods))
                  for d in decls}
        self.fields: dict[str, A.TranceifyField] | None = (
            {f.name: f for f in decls[0].fields} if len(shapes) == 1 else None
        )
        self.methods: dict[str, A.SessionMethod] = {m.name: m for m in decls[0].methods} if len(shapes) == 1 else {}

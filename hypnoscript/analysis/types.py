"""Static types of the checker.

HypnoScript is dynamically typed, so a static type is a *description of the values an expression
may have*: `UNKNOWN` (anything; what untyped parameters get), a primitive, an array of an element
type, a record of a `tranceify` type, a session or one of its instances, a suggestion, or a union
of those. Checks ask "can this ever work?" rather than "is this always right?": a report needs
every member of a union to fail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


class Type:
    __slots__ = ()

    def members(self) -> tuple[Type, ...]:
        return (self,)


@dataclass(frozen=True, slots=True)
class Unknown(Type):
    def __str__(self) -> str:
        return "unknown"


@dataclass(frozen=True, slots=True)
class Prim(Type):
    name: str  # number | string | boolean | null

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class ArrayType(Type):
    elem: Type

    def __str__(self) -> str:
        inner = str(self.elem)
        if isinstance(self.elem, Union):
            inner = f"({inner})"
        return "array" if isinstance(self.elem, Unknown) else f"{inner}[]"


@dataclass(frozen=True, slots=True)
class ObjectType(Type):
    """An anonymous object (dictionary) literal `{ key: value }`."""

    def __str__(self) -> str:
        return "object"


@dataclass(frozen=True, slots=True)
class RecordType(Type):
    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True, eq=False)
class SessionType(Type):
    """The session itself (what `S` evaluates to); `info` describes its members."""

    info: object

    def __eq__(self, other) -> bool:
        return isinstance(other, SessionType) and other.info is self.info

    def __hash__(self) -> int:
        return hash(("session", id(self.info)))

    def __str__(self) -> str:
        return f"session {self.info.name}"


@dataclass(frozen=True, slots=True, eq=False)
class InstanceType(Type):
    info: object

    def __eq__(self, other) -> bool:
        return isinstance(other, InstanceType) and other.info is self.info

    def __hash__(self) -> int:
        return hash(("instance", id(self.info)))

    def __str__(self) -> str:
        return self.info.name


@dataclass(frozen=True, slots=True, eq=False)
class FunctionType(Type):
    """A suggestion value. `sig` (a Signature) is known for declared suggestions, else None."""

    sig: object = None

    def __eq__(self, other) -> bool:
        return isinstance(other, FunctionType) and other.sig is self.sig

    def __hash__(self) -> int:
        return hash(("function", id(self.sig)))

    def __str__(self) -> str:
        return "suggestion" if self.sig is None else str(self.sig)


@dataclass(frozen=True, slots=True)
class Union(Type):
    options: frozenset

    def members(self) -> tuple[Type, ...]:
        return tuple(sorted(self.options, key=_order))

    def __str__(self) -> str:
        opts = self.members()
        if NULL in self.options and len(opts) == 2:
            other = opts[0] if opts[1] == NULL else opts[1]
            return f"{other}?"
        return " | ".join(str(o) for o in opts)


def _order(t: Type) -> tuple[int, str]:
    return (_RANK.get(type(t), 9), str(t))


_RANK = {Prim: 0, ArrayType: 1, RecordType: 2, InstanceType: 3, ObjectType: 4, FunctionType: 5, SessionType: 6}

UNKNOWN = Unknown()
NUMBER = Prim("number")
STRING = Prim("string")
BOOLEAN = Prim("boolean")
NULL = Prim("null")
ANY_ARRAY = ArrayType(UNKNOWN)
OBJECT = ObjectType()
ANY_FUNCTION = FunctionType()

# Unions wider than this, and types nested deeper, are widened to UNKNOWN: inference must end.
_MAX_OPTIONS = 8
_MAX_DEPTH = 4


def join(a: Type | None, b: Type | None) -> Type | None:
    """The type of a value that is either an `a` or a `b` (None means "no value yet")."""
    if a is None:
        return b
    if b is None or a == b:
        return a
    if isinstance(a, Unknown) or isinstance(b, Unknown):
        return UNKNOWN
    options = set(a.members()) | set(b.members())
    arrays = [o for o in options if isinstance(o, ArrayType)]
    if len(arrays) > 1:
        # one array type whose element is the join of all element types
        elem = None
        for arr in arrays:
            elem = join(elem, arr.elem)
            options.discard(arr)
        options.add(ArrayType(elem if elem is not None else UNKNOWN))
    if len(options) > _MAX_OPTIONS:
        return UNKNOWN
    result = next(iter(options)) if len(options) == 1 else Union(frozenset(options))
    return UNKNOWN if depth(result) > _MAX_DEPTH else result


def join_all(types) -> Type | None:
    out = None
    for t in types:
        out = join(out, t)
    return out


def depth(t: Type) -> int:
    if isinstance(t, ArrayType):
        return 1 + depth(t.elem)
    if isinstance(t, Union):
        return max(depth(o) for o in t.options)
    return 0


def optional(t: Type) -> Type:
    return join(t, NULL)


def without_null(t: Type) -> Type | None:
    """`t` minus null (None when `t` is exactly null)."""
    if isinstance(t, Union):
        rest = [o for o in t.options if o != NULL]
        return join_all(rest)
    return None if t == NULL else t


# ---------------------------------------------------------------- annotations

_NUMBER_NAMES = {"number", "int", "integer", "float", "double"}
_STRING_NAMES = {"string"}
_BOOLEAN_NAMES = {"boolean", "bool"}
_NULL_NAMES = {"null", "void"}
_ARRAY_NAMES = {"array", "Array", "list", "List"}
_GENERIC = re.compile(r"\A(\w+)<(.*)>\Z")


def parse_annotation(text: str, named) -> Type:
    """The type an annotation (`number`, `string[]`, `Point?`, `lucid number`, `A | B`,
    `Array<T>`) describes. `named(name)` resolves a record or session name to a type (or None).
    Anything not understood is UNKNOWN, never an error."""
    text = text.strip()
    if not text:
        return UNKNOWN
    if text.startswith("lucid "):
        return optional(parse_annotation(text[6:], named))
    parts = _split_top(text, "|")
    if len(parts) > 1:
        return join_all(parse_annotation(p, named) for p in parts) or UNKNOWN
    if text.startswith("("):
        return ANY_FUNCTION if "->" in text or "=>" in text else UNKNOWN
    if text.endswith("?"):
        return optional(parse_annotation(text[:-1], named))
    if text.endswith("[]"):
        return ArrayType(parse_annotation(text[:-2], named))
    m = _GENERIC.match(text)
    if m is not None:
        if m.group(1) in _ARRAY_NAMES:
            return ArrayType(parse_annotation(m.group(2), named))
        return UNKNOWN
    lower = text.lower()
    if lower in _NUMBER_NAMES:
        return NUMBER
    if lower in _STRING_NAMES:
        return STRING
    if lower in _BOOLEAN_NAMES:
        return BOOLEAN
    if lower in _NULL_NAMES:
        return NULL
    if text in _ARRAY_NAMES:
        return ANY_ARRAY
    if text in ("function", "suggestion", "Function"):
        return ANY_FUNCTION
    found = named(text)
    return found if found is not None else UNKNOWN


def _split_top(text: str, sep: str) -> list[str]:
    parts, depth_, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "(<[":
            depth_ += 1
        elif ch in ")>]":
            depth_ -= 1
        elif ch == sep and depth_ == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts

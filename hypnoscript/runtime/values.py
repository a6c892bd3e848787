"""HypnoScript values and the conversions every part of the runtime shares.

Representation (chosen so generated code can use Python's own operators where types are known):

| HypnoScript | Python |
|---|---|
| number | `float` (always; builtins convert `int` results) |
| string | `str` |
| boolean | `bool` |
| null | `None` |
| array | `list` (a reference value: aliases see element assignment) |
| object / dictionary | `dict` with `str` keys |
| record (`tranceify`) | `Record` |
| function | a Python callable; user functions carry their HypnoScript name in `__qualname__` |
| session, session instance | objects with a `__hyp_display__` method (see `runtime/sessions.py`) |
"""

from __future__ import annotations

import math

from hypnoscript.runtime.errors import HypTypeError

EPSILON = 2.220446049250313e-16
_INF = math.inf


class Record:
    """A value of a `tranceify` type: a type name and its fields (in literal order)."""

    __slots__ = ("type_name", "fields", "methods")

    def __init__(self, type_name: str, fields: dict, methods: dict | None = None) -> None:
        self.type_name = type_name
        self.fields = fields
        self.methods = methods  # name -> function(this, ...), for records declared with methods

    def __hyp_display__(self) -> str:
        return f"<record {self.type_name}>"

    def __repr__(self) -> str:
        return f"Record({self.type_name!r}, {self.fields!r})"


def format_number(x: float) -> str:
    """Rust's `Display` for f64: shortest round-trip digits, positional, no trailing `.0`."""
    if type(x) is not float:
        x = float(x)
    if x != x:
        return "NaN"
    if x == _INF:
        return "inf"
    if x == -_INF:
        return "-inf"
    if x == 0:
        return "-0" if math.copysign(1.0, x) < 0 else "0"
    if x.is_integer() and -1e16 < x < 1e16:
        return str(int(x))
    r = repr(float(x))
    if "e" not in r:
        return r[:-2] if r.endswith(".0") else r
    from decimal import Decimal

    s = format(Decimal(r), "f")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return s


def display(v: object) -> str:
    """The text `observe`, `+` with a string, and `ToString` produce for a value."""
    t = type(v)
    if t is str:
        return v  # type: ignore[return-value]
    if t is float:
        return format_number(v)  # type: ignore[arg-type]
    if t is bool:
        return "true" if v else "false"
    if v is None:
        return "null"
    if t is list:
        return "[" + ", ".join([display(e) for e in v]) + "]"  # type: ignore[union-attr]
    if t is int:
        return format_number(float(v))  # type: ignore[arg-type]
    if t is dict:
        return "{" + ", ".join(f"{k}: {display(e)}" for k, e in v.items()) + "}"  # type: ignore[union-attr]
    hook = getattr(v, "__hyp_display__", None)
    if hook is not None:
        return hook()
    if callable(v):
        return f"<function {function_name(v)}>"
    return str(v)


_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def show_value(value: object, _seen: frozenset = frozenset()) -> str:
    """A value as it would be written in a program where possible: strings quoted, arrays and
    records with their elements; everything else as `observe` prints it (the REPL's echo, and the
    expected and actual values of a failed assertion builtin)."""
    t = type(value)
    if t is str:
        return '"' + "".join(_ESCAPES.get(c, c) for c in value) + '"'
    if t in (list, dict, Record):
        if id(value) in _seen:
            return "..."  # an array or object that contains itself
        seen = _seen | {id(value)}
        if t is list:
            return "[" + ", ".join(show_value(v, seen) for v in value) + "]"
        if t is dict:
            return "{" + ", ".join(f"{k}: {show_value(v, seen)}" for k, v in value.items()) + "}"
        fields = ", ".join(f"{k}: {show_value(v, seen)}" for k, v in value.fields.items())
        return f"{value.type_name} {{ {fields} }}" if fields else f"{value.type_name} {{}}"
    return display(value)


def function_name(fn: object) -> str:
    inner = getattr(fn, "__func__", fn)
    return getattr(inner, "__qualname__", None) or getattr(inner, "__name__", "anonymous")


_rust_float = None  # compiled on first use: `re` is not needed to start most programs


def parse_number(s: str) -> float | None:
    """Rust's strict f64 grammar: no surrounding whitespace, no `_`; None when it does not parse."""
    global _rust_float
    if _rust_float is None:
        import re

        _rust_float = re.compile(r"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf|infinity|nan)\Z", re.IGNORECASE)
    if _rust_float.match(s) is None:
        return None
    return float(s)


def to_number(v: object) -> float:
    """Numeric conversion used by arithmetic, comparisons, indexing and numeric builtin arguments."""
    t = type(v)
    if t is float:
        return v  # type: ignore[return-value]
    if t is bool:
        return 1.0 if v else 0.0
    if t is int:
        return float(v)  # type: ignore[arg-type]
    if t is str:
        n = parse_number(v)  # type: ignore[arg-type]
        if n is None:
            raise HypTypeError(f"Cannot convert '{v}' to number")
        return n
    raise HypTypeError(f"Cannot convert {type_name(v)} to number")


def truthy(v: object) -> bool:
    """Python's own truth test matches HypnoScript's for every representation (NaN is true)."""
    return bool(v)


def type_name(v: object) -> str:
    """The kind of a value as `TypeOf` and error messages name it."""
    t = type(v)
    if t is float or t is int:
        return "number"
    if t is str:
        return "string"
    if t is bool:
        return "boolean"
    if v is None:
        return "null"
    if t is list:
        return "array"
    if t is dict:
        return "object"
    if t is Record:
        return "record"
    kind = getattr(v, "__hyp_kind__", None)
    if kind is not None:
        return kind
    if callable(v):
        return "function"
    return "unknown"


def value_eq(a: object, b: object) -> bool:
    """`==`: numbers within EPSILON, same strings/booleans, null/null (the reference's rules);
    and, decided here, arrays, objects and records compared by value; sessions,
    instances and functions by identity."""
    ta, tb = type(a), type(b)
    if ta is float and tb is float:
        return abs(a - b) < EPSILON  # type: ignore[operator]
    if ta is not tb:
        if ta in (float, int) and tb in (float, int):
            return abs(a - b) < EPSILON  # type: ignore[operator]
        return False
    if ta is str or ta is bool:
        return a == b
    if a is None:
        return True
    if ta is list:
        return len(a) == len(b) and all(value_eq(x, y) for x, y in zip(a, b))  # type: ignore[arg-type]
    if ta is dict:
        return a.keys() == b.keys() and all(value_eq(a[k], b[k]) for k in a)  # type: ignore[union-attr,index]
    if ta is Record:
        return a.type_name == b.type_name and value_eq(a.fields, b.fields)  # type: ignore[union-attr]
    return a is b


def debug_repr(v: object) -> str:
    """Rust's `{:?}` of a value, used by a few reference error messages."""
    t = type(v)
    if t is float or t is int:
        return f"Number({_debug_float(float(v))})"  # type: ignore[arg-type]
    if t is str:
        return 'String("' + v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '")'  # type: ignore[union-attr]
    if t is bool:
        return f"Boolean({'true' if v else 'false'})"
    if v is None:
        return "Null"
    if t is list:
        return "Array([" + ", ".join(debug_repr(e) for e in v) + "])"  # type: ignore[union-attr]
    return display(v)


def _debug_float(x: float) -> str:
    if x != x:
        return "NaN"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    ax = abs(x)
    if ax != 0 and (ax >= 1e16 or ax < 1e-4):
        mantissa, _, exp = repr(x).partition("e")
        if not exp:
            mantissa, _, exp = f"{x:e}".partition("e")
        return f"{mantissa}e{int(exp)}"
    s = format_number(x)
    return s if "." in s or "inf" in s else s + ".0"

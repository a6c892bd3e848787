"""Operations the generated code calls where Python's own operators would be wrong.

The compiler emits native operators when it has proved the operand types (numbers are always
`float`), and a call to one of these functions otherwise. Each implements the HypnoScript
semantics exactly (LANGUAGE.md sections 6 and 9).
"""

from __future__ import annotations

import math

from hypnoscript.runtime.errors import HypAssertionError, HypError, HypIndexError, HypNameError, HypThrow, HypTypeError
from hypnoscript.runtime.sessions import (
    BoundMethod,
    Instance,
    Session,
    call_instance_method,
    get_instance_member,
    get_static_member,
    set_instance_field,
    set_static_field,
)
from hypnoscript.runtime.values import (
    EPSILON,
    Record,
    display,
    format_number,
    to_number,
    type_name,
    value_eq,
)

_fmod = math.fmod
_copysign = math.copysign
_float = float
_str = str


def add(a, b):
    ta, tb = type(a), type(b)
    if ta is _float and tb is _float:
        return a + b
    if ta is _str:
        if tb is _str:
            return a + b
        return a + display(b)
    if tb is _str:
        return display(a) + b
    return to_number(a) + to_number(b)


def sub(a, b):
    return to_number(a) - to_number(b)


def mul(a, b):
    return to_number(a) * to_number(b)


def div(a, b):
    a = to_number(a)
    b = to_number(b)
    try:
        return a / b
    except ZeroDivisionError:
        if a != a or a == 0:
            return math.nan
        return math.inf if (a > 0) == (_copysign(1.0, b) > 0) else -math.inf


def mod(a, b):
    a = to_number(a)
    b = to_number(b)
    if b == 0 or a != a or b != b or a in (math.inf, -math.inf):
        return math.nan
    return _fmod(a, b)


def neg(a):
    return -to_number(a)


def lt(a, b):
    return to_number(a) < to_number(b)


def le(a, b):
    return to_number(a) <= to_number(b)


def gt(a, b):
    return to_number(a) > to_number(b)


def ge(a, b):
    return to_number(a) >= to_number(b)


def eq(a, b):
    if type(a) is _float and type(b) is _float:
        return abs(a - b) < EPSILON
    return value_eq(a, b)


def ne(a, b):
    return not eq(a, b)


def _to_index(i) -> int:
    n = to_number(i)
    if n != n or n <= 0:
        return 0
    if n >= 1.8446744073709552e19:
        return 18446744073709551615
    return int(n)


def index(obj, i):
    t = type(obj)
    if t is list:
        if type(i) is _float and 0 <= i < len(obj):
            return obj[int(i)]
        k = _to_index(i)
        if k >= len(obj):
            raise HypIndexError(f"Index {k} out of bounds")
        return obj[k]
    if t is dict:
        return obj.get(i if type(i) is _str else display(i))
    if t is _str:
        k = _to_index(i)
        if k >= len(obj):
            raise HypIndexError(f"Index {k} out of bounds")
        return obj[k]
    if t is Record:
        key = i if type(i) is _str else display(i)
        if key not in obj.fields:
            raise HypNameError(f"Record of type '{obj.type_name}' has no field '{key}'")
        return obj.fields[key]
    raise HypTypeError("Cannot index non-array")


def index_opt(obj, i):
    """`obj?.[i]`: null for a null object or an index out of range."""
    if obj is None:
        return None
    t = type(obj)
    if t is list or t is _str:
        k = _to_index(i)
        return obj[k] if k < len(obj) else None
    if t is dict:
        return obj.get(i if type(i) is _str else display(i))
    return index(obj, i)


def loop_end(bound, inclusive: bool) -> int:
    """The `range` end of a counting loop whose integer counter runs while `i < bound` (or
    `i <= bound`): the first integer the comparison rejects. An infinite bound runs practically
    forever, NaN and minus infinity not at all, as the comparisons would."""
    if type(bound) is int:
        return bound + 1 if inclusive else bound
    if bound - bound != 0.0:  # NaN or an infinity
        return 2**63 if bound == math.inf else -(2**63)
    return math.floor(bound) + 1 if inclusive else math.ceil(bound)


def set_index(obj, i, value):
    t = type(obj)
    if t is list:
        if type(i) is _float and 0 <= i < len(obj):
            obj[int(i)] = value
            return value
        k = _to_index(i)
        n = len(obj)
        if k < n:
            obj[k] = value
        elif k == n:
            obj.append(value)
        else:
            raise HypIndexError(f"Index {k} out of bounds (the array has {n} elements)")
        return value
    if t is dict:
        obj[i if type(i) is _str else display(i)] = value
        return value
    if t is Record:
        obj.fields[i if type(i) is _str else display(i)] = value
        return value
    raise HypTypeError(f"Cannot assign an element of a {type_name(obj)} value")


def member(obj, name: str):
    t = type(obj)
    if t is Instance:
        return get_instance_member(obj, name)
    if t is Record:
        fields = obj.fields
        if name in fields:
            return fields[name]
        if obj.methods and name in obj.methods:
            return BoundMethod(obj, obj.methods[name])
        raise HypNameError(f"Record of type '{obj.type_name}' has no field '{name}'")
    if t is dict:
        return obj.get(name)
    if t is Session:
        return get_static_member(obj, name)
    raise HypTypeError(f"Cannot access member '{name}' on value '{display(obj)}'")


def member_opt(obj, name: str):
    if obj is None:
        return None
    return member(obj, name)


def set_member(obj, name: str, value):
    t = type(obj)
    if t is Instance:
        return set_instance_field(obj, name, value)
    if t is Session:
        return set_static_field(obj, name, value)
    if t is Record:
        obj.fields[name] = value
        return value
    if t is dict:
        obj[name] = value
        return value
    raise HypTypeError(f"Cannot assign member '{name}' on value '{display(obj)}'")


def call_member(args: tuple, obj, name: str):
    """`obj.name(args)`; the arguments come first because they are evaluated before the callee."""
    if type(obj) is Instance:
        m = obj.session.methods.get(name)
        if m is not None and not m.private:
            return m.fn(obj, *args)
        return call_instance_method(obj, name, args)
    return call_value(member(obj, name), args)


def call_late(args: tuple, fn):
    """`callee(args)` for a computed callee, evaluated after its arguments."""
    return call_value(fn, args)


def call_value(fn, args):
    if fn is None:
        raise HypError("Cannot call null value")
    if not callable(fn) or type(fn) is Record:
        raise HypError("Value is not callable")
    return fn(*args)


class RecordType:
    """A declared `tranceify` type: its field names and, for documented records, its methods."""

    __slots__ = ("name", "fields", "methods")

    def __init__(self, name: str, fields: tuple, methods: dict | None = None) -> None:
        self.name = name
        self.fields = fields
        self.methods = methods or None


def make_record(types: dict, type_name_: str, fields: dict) -> Record:
    declared = types.get(type_name_)
    if declared is None:
        raise HypNameError(f"Undefined tranceify type '{type_name_}'")
    return Record(type_name_, fields, declared.methods)


def record_constructor(types: dict, type_name_: str):
    """`Name(args)` for a record type declared with a constructor: every field null, then the
    constructor runs with the new record as `this`."""

    def construct(*args):
        declared = types[type_name_]
        record = Record(type_name_, dict.fromkeys(declared.fields), declared.methods)
        declared.methods["constructor"](record, *args)
        return record

    construct.__qualname__ = type_name_
    return construct


def record_with(base, updates: dict):
    """`base with { field: value }`: a copy with the given fields replaced."""
    if type(base) is Record:
        return Record(base.type_name, {**base.fields, **updates}, base.methods)
    if type(base) is dict:
        return {**base, **updates}
    raise HypTypeError(f"'with' needs a record or an object, got {type_name(base)}")


def oscillate(value, name: str) -> bool:
    if type(value) is not bool:
        raise HypTypeError(f"Oscillate target '{name}' must be boolean, got {type_name(value)}")
    return not value


class LoopJump(Exception):
    """A labelled `snap`/`sink` travelling to an outer loop of the same suggestion."""

    def __init__(self, target: str) -> None:
        super().__init__(target)
        self.target = target


def no_match():
    raise HypError("No pattern matched and no default case provided")


def assertion_failed(message) -> None:
    if message is None:
        raise HypAssertionError("Assertion failed")
    raise HypAssertionError(f"Assertion failed: {display(message)}")


def caught_value(exc: BaseException):
    """What `catch (e)` receives: the thrown value, or the message of a runtime error."""
    if isinstance(exc, HypThrow):
        return exc.value
    if isinstance(exc, HypError):
        return exc.message
    from hypnoscript.runtime.translate import translate_exception

    return translate_exception(exc).message


def undefined(name: str):
    raise HypNameError(f"Variable '{name}' not found")


def missing_argument(builtin: str, position: int):
    raise HypError(f"Builtin '{builtin}' expected argument at position {position}")


def call_dropping(fn, n: int, *args):
    """Call a builtin with its first `n` arguments; extra ones were evaluated and are ignored."""
    return fn(*args[:n])


def iterate(value):
    """The values a `for (x in value)` loop visits: array elements, object keys, string chars."""
    t = type(value)
    if t is list:
        return list(value)
    if t is dict:
        return list(value.keys())
    if t is _str:
        return list(value)
    if t is Record:
        return list(value.fields.keys())
    raise HypTypeError(f"Cannot iterate over a {type_name(value)} value")


__all__ = [
    "add", "sub", "mul", "div", "mod", "neg", "lt", "le", "gt", "ge", "eq", "ne", "format_number",
    "index", "index_opt", "set_index", "member", "member_opt", "set_member", "call_member", "call_late",
    "call_value", "RecordType", "record_constructor", "record_with", "make_record", "oscillate",
    "no_match", "assertion_failed", "caught_value", "undefined", "missing_argument", "call_dropping",
    "iterate", "LoopJump",
]

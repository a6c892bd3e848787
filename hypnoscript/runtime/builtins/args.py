"""Argument conversion shared by all builtins, with the reference's error texts.

Every helper takes the value, the builtin's name and the 1-based argument position, and raises a
`HypTypeError`/`HypArgumentError` naming both when the value does not fit.
"""

from __future__ import annotations

import math

from hypnoscript.runtime.errors import HypArgumentError, HypTypeError
from hypnoscript.runtime.values import Record, debug_repr, parse_number

I64_MIN = -(1 << 63)
I64_MAX = (1 << 63) - 1
U64_MAX = (1 << 64) - 1


def round_half_away(x: float) -> float:
    """Round to the nearest integer, ties away from zero; exact for every double, keeps -0."""
    if x != x or math.isinf(x):
        return x
    t = float(math.trunc(x))
    if abs(x - t) >= 0.5:
        t += math.copysign(1.0, x)
    return math.copysign(t, x)


def saturate_i64(x: float) -> int:
    """Rust's `f64 as i64`: truncate, saturate at the i64 limits, NaN -> 0."""
    if x != x:
        return 0
    if x >= 9.223372036854775807e18:
        return I64_MAX
    if x <= -9.223372036854775808e18:
        return I64_MIN
    return int(x)


def wrap_i64(n: int) -> int:
    """Two's-complement wrap-around of an integer to 64 bits."""
    return ((n + (1 << 63)) & U64_MAX) - (1 << 63)


def as_number(v: object, name: str, pos: int) -> float:
    t = type(v)
    if t is float:
        return v  # type: ignore[return-value]
    if t is bool:
        return 1.0 if v else 0.0
    if t is int:
        return float(v)  # type: ignore[arg-type]
    if t is str:
        n = parse_number(v)  # type: ignore[arg-type]
        if n is not None:
            return n
    raise HypTypeError(f"Builtin '{name}' expected numeric argument at position {pos}")


def as_integer(v: object, name: str, pos: int) -> int:
    """A number rounded half away from zero, then saturated to i64 (NaN -> 0)."""
    return saturate_i64(round_half_away(as_number(v, name, pos)))


def as_count(v: object, name: str, pos: int) -> int:
    """A non-negative count or index: negative values are an error, the rest is rounded half away
    from zero and saturated to u64 (NaN -> 0)."""
    x = as_number(v, name, pos)
    if x < 0:
        raise HypTypeError(f"Builtin '{name}' expected non-negative number at position {pos}")
    if x != x:
        return 0
    x = round_half_away(x)
    return U64_MAX if x >= 1.8446744073709552e19 else int(x)


def as_string(v: object, name: str, pos: int) -> str:
    if type(v) is str:
        return v  # type: ignore[return-value]
    raise HypTypeError(f"Builtin '{name}' expected string argument at position {pos}, got {debug_repr(v)}")


def as_char(v: object, name: str, pos: int) -> str:
    s = as_string(v, name, pos)
    if not s:
        raise HypTypeError(f"Builtin '{name}' expected non-empty string to derive character at position {pos}")
    return s[0]


def as_array(v: object, name: str, pos: int) -> list:
    if type(v) is list:
        return v  # type: ignore[return-value]
    raise HypTypeError(f"Builtin '{name}' expected array argument at position {pos}, got {debug_repr(v)}")


def as_numeric_array(v: object, name: str, pos: int) -> list[float]:
    out = []
    for i, e in enumerate(as_array(v, name, pos), 1):
        t = type(e)
        if t is float:
            out.append(e)
            continue
        try:
            out.append(as_number(e, name, pos))
        except HypTypeError:
            raise HypTypeError(f"Builtin '{name}' expected numeric array element at position {i}") from None
    return out


def as_string_array(v: object, name: str, pos: int) -> list[str]:
    items = as_array(v, name, pos)
    for i, e in enumerate(items, 1):
        if type(e) is not str:
            raise HypTypeError(f"Builtin '{name}' expected string array element at position {i}, got {debug_repr(e)}")
    return items


def as_function(v: object, name: str, pos: int):
    if callable(v) and type(v) not in (list, dict, Record):
        return v
    raise HypTypeError(f"Builtin '{name}' expected function argument at position {pos}, got {debug_repr(v)}")


def as_element_function(v: object, name: str, pos: int):
    """A callback over elements: a function, or the text of an expression of the element `x`."""
    if type(v) is str:
        from hypnoscript.runtime.expressions import element_function

        return element_function(v, name)
    return as_function(v, name, pos)


def as_object(v: object, name: str, pos: int) -> dict:
    if type(v) is dict:
        return v  # type: ignore[return-value]
    if type(v) is Record:
        return v.fields  # type: ignore[union-attr]
    raise HypTypeError(f"Builtin '{name}' expected object argument at position {pos}, got {debug_repr(v)}")


def as_bool(v: object, name: str, pos: int) -> bool:
    if type(v) is bool:
        return v  # type: ignore[return-value]
    raise HypTypeError(f"Builtin '{name}' expected boolean argument at position {pos}, got {debug_repr(v)}")


def optional(v: object, default: object) -> object:
    """The default for an optional parameter left out (or passed as null)."""
    return default if v is None else v


def check_size(n: int, name: str, limit: int = 1 << 28) -> None:
    """Refuse results that could not be built in memory (the reference would abort)."""
    if n > limit:
        raise HypArgumentError(f"Builtin '{name}' would produce a result that is too large ({n} items)")

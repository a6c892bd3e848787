"""Core builtins: conversions, type tests, JSON values, output, sleeping and error helpers."""

from __future__ import annotations

from hypnoscript.runtime.builtins.args import as_number, as_string, saturate_i64
from hypnoscript.runtime.builtins.registry import builtin
from hypnoscript.runtime.builtins.support import json_dumps, parse_json, sleep_ms, write_line
from hypnoscript.runtime.errors import HypError, HypThrow
from hypnoscript.runtime.values import Record, display, parse_number, type_name, value_eq


@builtin("core", "ToInt(x: number) -> number", "Truncate toward zero (saturating; NaN gives 0)")
def _to_int(x):
    return float(saturate_i64(as_number(x, "ToInt", 1)))


@builtin("core", "ToDouble(s: string) -> number", "Parse a number with the strict grammar of number literals")
def _to_double(s):
    s = as_string(s, "ToDouble", 1)
    if s == "":
        raise HypError("cannot parse float from empty string")
    n = parse_number(s)
    if n is None:
        raise HypError("invalid float literal")
    return n


@builtin("core", "ToNumber(value: any) -> number", "Convert a number, boolean or numeric string to a number")
def _to_number(v):
    return as_number(v, "ToNumber", 1)


@builtin("core", "ToString(value?: any) -> string", 'The display form of a value ("null" without an argument)')
def _to_string(v=None):
    return display(v)


@builtin("core", "ToBoolean(s: string) -> boolean", "True when the lower-cased text is true, 1 or yes")
def _to_boolean(s):
    return as_string(s, "ToBoolean", 1).lower() in ("true", "1", "yes")


@builtin(
    "core",
    "TypeOf(value: any) -> string",
    "The kind of a value: number, string, boolean, null, array, object, record, function, ...",
)
def _type_of(v):
    return type_name(v)


@builtin(
    "core",
    "DeepEquals(a: any, b: any) -> boolean",
    "Structural equality as == decides it: arrays, objects and records by their elements and fields (in any "
    "order), numbers within machine epsilon, sessions and functions by identity",
)
def _deep_equals(a, b):
    return value_eq(a, b)


@builtin("core", "IsNull(value: any) -> boolean", "True for null")
def _is_null(v):
    return v is None


@builtin("core", "IsDefined(value: any) -> boolean", "True for anything but null")
def _is_defined(v):
    return v is not None


@builtin("core", "IsNumber(value: any) -> boolean", "True for numbers")
def _is_number(v):
    return type(v) is float or type(v) is int


@builtin("core", "IsString(value: any) -> boolean", "True for strings")
def _is_string(v):
    return type(v) is str


@builtin("core", "IsBoolean(value: any) -> boolean", "True for booleans")
def _is_boolean(v):
    return type(v) is bool


@builtin("core", "IsArray(value: any) -> boolean", "True for arrays")
def _is_array(v):
    return type(v) is list


@builtin("core", "IsObject(value: any) -> boolean", "True for objects (dictionaries) and records")
def _is_object(v):
    return type(v) is dict or type(v) is Record


@builtin("core", "IsFunction(value: any) -> boolean", "True for functions")
def _is_function(v):
    return type_name(v) == "function"


@builtin(
    "core",
    "ParseJSON(text: string) -> any",
    "Parse JSON into numbers, strings, booleans, null, arrays and objects",
    aliases=("JsonParse",),
)
def _parse_json(text):
    text = as_string(text, "ParseJSON", 1)
    try:
        return parse_json(text, _reject_constant)
    except (ValueError, RecursionError) as exc:
        raise HypError(f"JSON error: {exc}") from None


def _reject_constant(name: str):
    raise ValueError(f"invalid JSON value {name}")


@builtin(
    "core",
    "StringifyJSON(value: any, indent?: number) -> string",
    "Compact JSON text of a value (pretty with an indent)",
    aliases=("JsonStringify", "ToJson"),
)
def _stringify_json(v, indent=None):
    if indent is None:
        return json_dumps(v, "StringifyJSON")
    n = as_number(indent, "StringifyJSON", 2)
    return json_dumps(v, "StringifyJSON", indent=int(max(0.0, min(n, 16.0))) if n == n else 0)


@builtin("core", "Observe(value: any) -> null", "Print the display form of a value and a newline", pure=False)
def _observe(v):
    write_line(display(v))


@builtin("core", "Drift(ms: number) -> null", "Pause for ms milliseconds", capability="clock", aliases=("Sleep",))
def _drift(ms):
    sleep_ms(as_number(ms, "Drift", 1))


@builtin(
    "core",
    "Try(action: any, fallback: any) -> any",
    "Call action (when it is a function) and return fallback if it fails or gives null",
    pure=False,
)
def _try(action, fallback):
    if callable(action) and type_name(action) == "function":
        try:
            action = action()
        except HypError:
            return fallback
    return fallback if action is None else action


@builtin("core", "Throw(message: any) -> null", "Raise an error carrying the value", pure=False)
def _throw(message):
    raise HypThrow(message)

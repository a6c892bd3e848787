"""Helpers shared by several builtin categories: output, sleeping, OS errors, Unicode whitespace,
Rust-compatible summation and hashable keys for structural equality."""

from __future__ import annotations

import math
import time
import unicodedata

from hypnoscript.runtime.context import current
from hypnoscript.runtime.errors import HypIOError
from hypnoscript.runtime.values import Record

# Unicode White_Space (what Rust's `char::is_whitespace` and `str::trim` use). Python's
# `str.isspace` also accepts U+001C..U+001F, so it cannot be used directly.
WHITESPACE = frozenset(
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)
WHITESPACE_CHARS = "".join(sorted(WHITESPACE))


def split_whitespace(s: str) -> list[str]:
    """Rust's `str::split_whitespace`: words separated by runs of Unicode white space."""
    words: list[str] = []
    start = -1
    for i, c in enumerate(s):
        if c in WHITESPACE:
            if start >= 0:
                words.append(s[start:i])
                start = -1
        elif start < 0:
            start = i
    if start >= 0:
        words.append(s[start:])
    return words


def write_line(text: str) -> None:
    current().write(text + "\n")


def sleep_ms(ms: float) -> None:
    """Sleep for `ms` milliseconds (negative and NaN sleep 0) after checking the clock capability."""
    current().capabilities.check("clock")
    if ms > 0:
        time.sleep(min(ms, 1e12) / 1000.0)


def rust_sum(values) -> float:
    """`Iterator::<f64>::sum`: starts at -0.0, so an empty sum is -0."""
    total = -0.0
    for v in values:
        total += v
    return total


def nan_safe_min(values, start: float = math.inf) -> float:
    """`f64::min` folded over the values: NaN operands are ignored."""
    acc = start
    for v in values:
        if v < acc:
            acc = v
    return acc


def nan_safe_max(values, start: float = -math.inf) -> float:
    acc = start
    for v in values:
        if v > acc:
            acc = v
    return acc


def os_error(exc: OSError) -> HypIOError:
    """An OS failure with Rust's `io::Error` text: `<description> (os error N)`."""
    if exc.errno is not None and exc.strerror:
        return HypIOError(f"{exc.strerror} (os error {exc.errno})")
    return HypIOError(str(exc))


def value_key(v: object):
    """A hashable key such that structurally equal values (LANGUAGE.md §6.5) share a key.

    Numbers compare exactly here (the epsilon rule is not transitive, so it cannot be hashed);
    1 and 1.0 are the same key, 0 and -0 too."""
    t = type(v)
    if t is float or t is int:
        return ("n", float(v) + 0.0)
    if t is str:
        return ("s", v)
    if t is bool:
        return ("b", v)
    if v is None:
        return ("z",)
    if t is list:
        return ("a", tuple(value_key(e) for e in v))  # type: ignore[union-attr]
    if t is dict:
        return ("o", tuple((k, value_key(e)) for k, e in sorted(v.items(), key=lambda kv: kv[0])))  # type: ignore[union-attr]
    if t is Record:
        return ("r", v.type_name, value_key(v.fields))  # type: ignore[union-attr]
    return ("i", id(v))


def check_path(path: str) -> None:
    current().capabilities.check("files", path)


def is_alphabetic(c: str) -> bool:
    """Rust's `char::is_alphabetic` (Unicode Alphabetic), approximated from the general category
    plus the cased letters Python reports."""
    if c.isalpha() or c.islower() or c.isupper():
        return True
    return unicodedata.category(c) == "Nl"


def is_numeric(c: str) -> bool:
    """Rust's `char::is_numeric`: general category Nd, Nl or No."""
    return unicodedata.category(c) in ("Nd", "Nl", "No")


def is_alphanumeric(c: str) -> bool:
    return is_alphabetic(c) or is_numeric(c)


def from_json(obj: object) -> object:
    """A parsed JSON document as HypnoScript values (numbers become floats)."""
    t = type(obj)
    if t is int:
        return float(obj)  # type: ignore[arg-type]
    if t is list:
        return [from_json(e) for e in obj]  # type: ignore[union-attr]
    if t is dict:
        return {k: from_json(e) for k, e in obj.items()}  # type: ignore[union-attr]
    return obj


def _json_int(text: str) -> float:
    return float(int(text))  # through int: its digit limit, and "-0" is the integer zero


_DECODERS: dict = {}  # parse_constant -> its decoder


def parse_json(text: str | bytes, parse_constant=None) -> object:
    """JSON text as HypnoScript values (numbers become floats) in one pass, without a second walk
    over the parsed document; raises ValueError (and RecursionError) like `json.loads`."""
    decoder = _DECODERS.get(parse_constant)
    if decoder is None:
        import json

        decoder = _DECODERS[parse_constant] = json.JSONDecoder(parse_int=_json_int, parse_constant=parse_constant)
    if not isinstance(text, str):
        from json import detect_encoding

        text = text.decode(detect_encoding(text), "surrogatepass")
    if text.startswith("\ufeff"):
        raise ValueError("Unexpected UTF-8 BOM (decode using utf-8-sig)")
    # the scanner alone, when the document fills the text: decode() runs the whitespace
    # pattern twice; anything else goes through decode() for its exact errors
    try:
        value, end = decoder.scan_once(text, 0)
    except (StopIteration, ValueError):
        return decoder.decode(text)
    if end == len(text):
        return value
    return decoder.decode(text)


_AS_IS = frozenset((str, bool, type(None)))
_EXACT = 9007199254740992.0  # 2**53: integral floats below it are exact integers


def to_json(v: object, name: str) -> object:
    """A HypnoScript value as a JSON-serialisable Python object; integral numbers become ints so
    they print without a fraction, NaN and infinities become null."""
    t = type(v)
    if t is float:
        # integral numbers print without a fraction; -0 stays a float so it survives a round trip
        # (is_integer is false for NaN and the infinities, and v - v is NaN for them)
        if v.is_integer():  # type: ignore[union-attr]
            exact = -_EXACT < v < _EXACT and (v or math.copysign(1.0, v) > 0)  # type: ignore[operator]
            return int(v) if exact else v  # type: ignore[arg-type]
        return v if v - v == 0.0 else None  # type: ignore[operator]
    if t is str or t is bool or v is None:
        return v
    if t is int:
        return v
    # texts, booleans and null inside containers are taken as they are, without a call each
    if t is list:
        return [e if type(e) in _AS_IS else to_json(e, name) for e in v]  # type: ignore[union-attr]
    if t is dict:
        return {k if type(k) is str else str(k): e if type(e) in _AS_IS else to_json(e, name)
                for k, e in v.items()}  # type: ignore[union-attr]
    if t is Record:
        return {k: e if type(e) in _AS_IS else to_json(e, name) for k, e in v.fields.items()}  # type: ignore[union-attr]
    from hypnoscript.runtime.errors import HypTypeError
    from hypnoscript.runtime.values import type_name

    raise HypTypeError(f"Builtin '{name}' cannot convert a {type_name(v)} to JSON")


def json_dumps(v: object, name: str, *, indent: int | None = None, sort_keys: bool = False) -> str:
    import json

    from hypnoscript.runtime.errors import HypTypeError

    try:
        data = to_json(v, name)
    except RecursionError:
        raise HypTypeError(f"Builtin '{name}' cannot convert a value that contains itself to JSON") from None
    separators = (",", ": ") if indent is not None else (",", ":")
    return json.dumps(data, ensure_ascii=False, indent=indent, separators=separators, sort_keys=sort_keys)


_PROGRAM_STATE = None


def program_state(key: str, factory):
    """State that builtins keep for the running program (anchors, profiles, event handlers, ...):
    one `factory()` result per runtime context and key, dropped with the context."""
    global _PROGRAM_STATE
    if _PROGRAM_STATE is None:
        import weakref

        _PROGRAM_STATE = weakref.WeakKeyDictionary()
    ctx = current()
    states = _PROGRAM_STATE.get(ctx)
    if states is None:
        states = _PROGRAM_STATE[ctx] = {}
    state = states.get(key)
    if state is None:
        state = states[key] = factory()
    return state

"""Validation builtins. Patterns follow Rust `regex` semantics, translated to Python `re`:
`$` only matches at the very end, `\\z` is accepted, look-around and back-references are
rejected (an invalid pattern simply does not match)."""

from __future__ import annotations

import re
from functools import lru_cache

from hypnoscript.runtime.builtins.args import as_number, as_string
from hypnoscript.runtime.builtins.registry import builtin
from hypnoscript.runtime.builtins.support import is_alphabetic, is_alphanumeric, is_numeric

_EMAIL = re.compile(r"[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\.[a-zA-Z]{2,}\Z")
_URL = re.compile(r"https?://[^\s/$.?#].[^\s]*\Z")
_PHONE = re.compile(r"\+?[1-9]\d{1,14}\Z")


def _translate(pattern: str) -> str | None:
    """Rewrite a Rust regex for Python's `re`, or None for constructs Rust rejects."""
    out: list[str] = []
    i, n = 0, len(pattern)
    in_class = False
    multiline = False
    while i < n:
        c = pattern[i]
        if c == "\\" and i + 1 < n:
            nxt = pattern[i + 1]
            if nxt.isdigit() and nxt != "0" and not in_class:
                return None  # back-references
            if nxt == "z":
                out.append(r"\Z")
            elif nxt == "Z" or nxt == "<" or nxt == ">":
                return None
            else:
                out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            if c == "]":
                in_class = False
            elif c == "[" and pattern[i + 1 : i + 2] == ":":
                end = pattern.find(":]", i + 2)
                if end < 0:
                    return None
                cls = _POSIX.get(pattern[i + 2 : end])
                if cls is None:
                    return None
                out.append(cls)
                i = end + 2
                continue
            out.append(c)
            i += 1
            continue
        if c == "[":
            in_class = True
            out.append(c)
            if pattern[i + 1 : i + 2] == "^":
                out.append("^")
                i += 1
            if pattern[i + 1 : i + 2] == "]":
                out.append(r"\]")
                i += 1
            i += 1
            continue
        if c == "(" and pattern[i + 1 : i + 2] == "?":
            rest = pattern[i + 2 :]
            if rest[:1] in ("=", "!") or rest[:2] in ("<=", "<!"):
                return None  # look-around
            if rest[:1] == "<":
                out.append("(?P<")
                i += 3
                continue
            flags = re.match(r"([a-zA-Z-]*)[):]", rest)
            if flags and "m" in flags.group(1).split("-")[0]:
                multiline = True
        if c == "$" and not multiline:
            out.append(r"\Z")
            i += 1
            continue
        out.append(c)
        i += 1
    return "".join(out)


_POSIX = {
    "alpha": "a-zA-Z",
    "digit": "0-9",
    "alnum": "a-zA-Z0-9",
    "upper": "A-Z",
    "lower": "a-z",
    "space": r"\t\n\v\f\r ",
    "punct": r"!-/:-@\[-`{-~",
    "xdigit": "0-9A-Fa-f",
    "word": r"\w",
    "blank": r" \t",
    "cntrl": r"\x00-\x1f\x7f",
}


@lru_cache(maxsize=256)
def compile_rust_regex(pattern: str) -> re.Pattern | None:
    translated = _translate(pattern)
    if translated is None:
        return None
    try:
        return re.compile(translated)
    except (re.error, OverflowError, RecursionError):
        return None


@builtin("validation", "IsValidEmail(s: string) -> boolean", "Matches name@domain.tld")
def _is_valid_email(s):
    return _EMAIL.match(as_string(s, "IsValidEmail", 1)) is not None


@builtin("validation", "IsValidUrl(s: string) -> boolean", "An http or https URL")
def _is_valid_url(s):
    return _URL.match(as_string(s, "IsValidUrl", 1)) is not None


@builtin(
    "validation",
    "IsValidPhoneNumber(s: string) -> boolean",
    "Up to 15 digits with an optional +, ignoring spaces, dashes and parentheses",
)
def _is_valid_phone_number(s):
    s = as_string(s, "IsValidPhoneNumber", 1)
    return _PHONE.match("".join(c for c in s if c not in "- ()")) is not None


@builtin(
    "validation",
    "IsAlphanumeric(s: string) -> boolean",
    "Non-empty, letters and digits only",
    aliases=("IsAlphaNumeric",),
)
def _is_alphanumeric(s):
    s = as_string(s, "IsAlphanumeric", 1)
    return bool(s) and all(is_alphanumeric(c) for c in s)


@builtin("validation", "IsAlphabetic(s: string) -> boolean", "Non-empty, letters only", aliases=("IsAlpha",))
def _is_alphabetic(s):
    s = as_string(s, "IsAlphabetic", 1)
    return bool(s) and all(is_alphabetic(c) for c in s)


@builtin("validation", "IsNumeric(s: string) -> boolean", 'Non-empty, numeric characters only ("1.5" and "-1" are not)')
def _is_numeric(s):
    s = as_string(s, "IsNumeric", 1)
    return bool(s) and all(is_numeric(c) for c in s)


@builtin("validation", "IsLowercase(s: string) -> boolean", "Non-empty and no upper-case letter")
def _is_lowercase(s):
    s = as_string(s, "IsLowercase", 1)
    return bool(s) and all(c.islower() for c in s if is_alphabetic(c))


@builtin("validation", "IsUppercase(s: string) -> boolean", "Non-empty and no lower-case letter")
def _is_uppercase(s):
    s = as_string(s, "IsUppercase", 1)
    return bool(s) and all(c.isupper() for c in s if is_alphabetic(c))


@builtin("validation", "IsInRange(value: number, min: number, max: number) -> boolean", "min <= value <= max")
def _is_in_range(v, lo, hi):
    v = as_number(v, "IsInRange", 1)
    return as_number(lo, "IsInRange", 2) <= v <= as_number(hi, "IsInRange", 3)


@builtin(
    "validation",
    "MatchesPattern(text: string, pattern: string) -> boolean",
    "Whether the regular expression matches anywhere in text (invalid patterns never match)",
)
def _matches_pattern(text, pattern):
    text = as_string(text, "MatchesPattern", 1)
    rx = compile_rust_regex(as_string(pattern, "MatchesPattern", 2))
    return rx is not None and rx.search(text) is not None

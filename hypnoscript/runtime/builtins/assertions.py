"""Assertion builtins for tests. A failed assertion is the error a failed `assert` statement
raises (HYP4005, "Assertion failed: ..."), at the position of the call, so `hyp test` reports it
as a failed test; the message shows the expected and the actual value as they would be written
in a program. Every assertion but AssertThrowsWithMessage takes an optional last argument, a
note that heads the message. (The documented `Assert(condition, message)` needs no builtin: it is
the `assert` statement, whose keyword is matched in any capitalisation.)

Values are compared with the language's own `==`; numeric comparisons convert their arguments as
the comparison operators do.
"""

from __future__ import annotations

from hypnoscript.runtime.builtins.args import as_array, as_function, as_number, as_string
from hypnoscript.runtime.builtins.registry import builtin
from hypnoscript.runtime.errors import HypArgumentError, HypAssertionError, HypTypeError
from hypnoscript.runtime.ops import caught_value
from hypnoscript.runtime.values import Record, debug_repr, display, format_number, show_value, value_eq

_SHOWN_CHARS = 200  # longer values are cut in messages: a failure must stay readable


def _shown(value: object) -> str:
    text = show_value(value)
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 3] + "..."


def _note(message: object, name: str, pos: int) -> str | None:
    return None if message is None else as_string(message, name, pos)


def _failure(detail: str, note: str | None) -> HypAssertionError:
    return HypAssertionError(f"Assertion failed: {detail}" if note is None else f"Assertion failed: {note} ({detail})")


@builtin(
    "testing", "AssertEqual(actual: any, expected: any, message?: string) -> null", "Fail unless actual == expected"
)
def _assert_equal(actual, expected, message=None):
    note = _note(message, "AssertEqual", 3)
    if not value_eq(actual, expected):
        raise _failure(f"expected {_shown(expected)}, got {_shown(actual)}", note)


@builtin(
    "testing", "AssertNotEqual(actual: any, expected: any, message?: string) -> null", "Fail when actual == expected"
)
def _assert_not_equal(actual, expected, message=None):
    note = _note(message, "AssertNotEqual", 3)
    if value_eq(actual, expected):
        raise _failure(f"expected a value other than {_shown(expected)}", note)


@builtin("testing", "AssertTrue(value: any, message?: string) -> null", "Fail unless the value is the boolean true")
def _assert_true(value, message=None):
    note = _note(message, "AssertTrue", 2)
    if value is not True:
        raise _failure(f"expected true, got {_shown(value)}", note)


@builtin("testing", "AssertFalse(value: any, message?: string) -> null", "Fail unless the value is the boolean false")
def _assert_false(value, message=None):
    note = _note(message, "AssertFalse", 2)
    if value is not False:
        raise _failure(f"expected false, got {_shown(value)}", note)


@builtin("testing", "AssertNull(value: any, message?: string) -> null", "Fail unless the value is null")
def _assert_null(value, message=None):
    note = _note(message, "AssertNull", 2)
    if value is not None:
        raise _failure(f"expected null, got {_shown(value)}", note)


@builtin("testing", "AssertNotNull(value: any, message?: string) -> null", "Fail when the value is null")
def _assert_not_null(value, message=None):
    note = _note(message, "AssertNotNull", 2)
    if value is None:
        raise _failure("expected a value other than null", note)


def _size(value: object, name: str) -> int:
    """The length of a string, array, object or record (null counts as empty)."""
    t = type(value)
    if value is None:
        return 0
    if t is str or t is list or t is dict:
        return len(value)  # type: ignore[arg-type]
    if t is Record:
        return len(value.fields)  # type: ignore[union-attr]
    raise HypTypeError(
        f"Builtin '{name}' expected a string, array or object at position 1, got {debug_repr(value)}"
    )


@builtin(
    "testing",
    "AssertEmpty(value: any, message?: string) -> null",
    'Fail unless the value is "", [], {} or null',
)
def _assert_empty(value, message=None):
    note = _note(message, "AssertEmpty", 2)
    if _size(value, "AssertEmpty"):
        raise _failure(f"expected an empty value, got {_shown(value)}", note)


@builtin(
    "testing",
    "AssertNotEmpty(value: any, message?: string) -> null",
    "Fail unless the value is a string, array or object with something in it",
)
def _assert_not_empty(value, message=None):
    note = _note(message, "AssertNotEmpty", 2)
    if not _size(value, "AssertNotEmpty"):
        raise _failure(f"expected a non-empty value, got {_shown(value)}", note)


@builtin(
    "testing",
    "AssertArrayContains(array: array, value: any, message?: string) -> null",
    "Fail unless an element of the array == value",
)
def _assert_array_contains(array, value, message=None):
    items = as_array(array, "AssertArrayContains", 1)
    note = _note(message, "AssertArrayContains", 3)
    if not any(value_eq(e, value) for e in items):
        raise _failure(f"expected {_shown(items)} to contain {_shown(value)}", note)


@builtin(
    "testing",
    "AssertArrayNotContains(array: array, value: any, message?: string) -> null",
    "Fail when an element of the array == value",
)
def _assert_array_not_contains(array, value, message=None):
    items = as_array(array, "AssertArrayNotContains", 1)
    note = _note(message, "AssertArrayNotContains", 3)
    if any(value_eq(e, value) for e in items):
        raise _failure(f"expected {_shown(items)} not to contain {_shown(value)}", note)


@builtin(
    "testing",
    "AssertArrayLength(array: array, length: number, message?: string) -> null",
    "Fail unless the array has that many elements",
)
def _assert_array_length(array, length, message=None):
    items = as_array(array, "AssertArrayLength", 1)
    expected = as_number(length, "AssertArrayLength", 2)
    note = _note(message, "AssertArrayLength", 3)
    if len(items) != expected:
        raise _failure(f"expected {format_number(expected)} elements, got {len(items)}: {_shown(items)}", note)


def _strings(text: object, part: object, message: object, name: str) -> tuple[str, str, str | None]:
    return as_string(text, name, 1), as_string(part, name, 2), _note(message, name, 3)


@builtin(
    "testing",
    "AssertStringContains(text: string, part: string, message?: string) -> null",
    "Fail unless part occurs in text",
)
def _assert_string_contains(text, part, message=None):
    text, part, note = _strings(text, part, message, "AssertStringContains")
    if part not in text:
        raise _failure(f"expected {_shown(text)} to contain {_shown(part)}", note)


@builtin(
    "testing",
    "AssertStringStartsWith(text: string, prefix: string, message?: string) -> null",
    "Fail unless text starts with prefix",
)
def _assert_string_starts_with(text, prefix, message=None):
    text, prefix, note = _strings(text, prefix, message, "AssertStringStartsWith")
    if not text.startswith(prefix):
        raise _failure(f"expected {_shown(text)} to start with {_shown(prefix)}", note)


@builtin(
    "testing",
    "AssertStringEndsWith(text: string, suffix: string, message?: string) -> null",
    "Fail unless text ends with suffix",
)
def _assert_string_ends_with(text, suffix, message=None):
    text, suffix, note = _strings(text, suffix, message, "AssertStringEndsWith")
    if not text.endswith(suffix):
        raise _failure(f"expected {_shown(text)} to end with {_shown(suffix)}", note)


def _compare(name: str, actual, expected, message, holds, relation: str) -> None:
    a = as_number(actual, name, 1)
    b = as_number(expected, name, 2)
    note = _note(message, name, 3)
    if not holds(a, b):
        raise _failure(f"expected {format_number(a)} to be {relation} {format_number(b)}", note)


@builtin(
    "testing",
    "AssertGreaterThan(actual: number, expected: number, message?: string) -> null",
    "Fail unless actual > expected",
)
def _assert_greater_than(actual, expected, message=None):
    _compare("AssertGreaterThan", actual, expected, message, lambda a, b: a > b, "greater than")


@builtin(
    "testing",
    "AssertLessThan(actual: number, expected: number, message?: string) -> null",
    "Fail unless actual < expected",
)
def _assert_less_than(actual, expected, message=None):
    _compare("AssertLessThan", actual, expected, message, lambda a, b: a < b, "less than")


@builtin(
    "testing",
    "AssertGreaterThanOrEqual(actual: number, expected: number, message?: string) -> null",
    "Fail unless actual >= expected",
)
def _assert_greater_than_or_equal(actual, expected, message=None):
    _compare("AssertGreaterThanOrEqual", actual, expected, message, lambda a, b: a >= b, "greater than or equal to")


@builtin(
    "testing",
    "AssertLessThanOrEqual(actual: number, expected: number, message?: string) -> null",
    "Fail unless actual <= expected",
)
def _assert_less_than_or_equal(actual, expected, message=None):
    _compare("AssertLessThanOrEqual", actual, expected, message, lambda a, b: a <= b, "less than or equal to")


@builtin(
    "testing",
    "AssertFloatEqual(actual: number, expected: number, tolerance: number, message?: string) -> null",
    "Fail unless actual differs from expected by at most tolerance",
)
def _assert_float_equal(actual, expected, tolerance, message=None):
    a = as_number(actual, "AssertFloatEqual", 1)
    b = as_number(expected, "AssertFloatEqual", 2)
    tol = as_number(tolerance, "AssertFloatEqual", 3)
    note = _note(message, "AssertFloatEqual", 4)
    if not tol >= 0:
        raise HypArgumentError(
            f"Builtin 'AssertFloatEqual' expected a tolerance of at least 0 at position 3, got {format_number(tol)}"
        )
    if not (a == b or abs(a - b) <= tol):  # a == b: the same infinity
        raise _failure(f"expected {format_number(b)} within {format_number(tol)}, got {format_number(a)}", note)


_RETURNED = object()


def _outcome(action) -> tuple[object, object]:
    """(what `catch` would receive, the result): the first is _RETURNED when the call completed."""
    try:
        result = action()
    except Exception as exc:  # noqa: BLE001 - what `catch` catches; engine errors are re-raised
        return caught_value(exc), None
    return _RETURNED, result


@builtin(
    "testing",
    "AssertThrows(action: function, message?: string) -> any",
    "Call action with no arguments and fail unless it raises an error; returns what catch would receive",
    pure=False,
)
def _assert_throws(action, message=None):
    action = as_function(action, "AssertThrows", 1)
    note = _note(message, "AssertThrows", 2)
    caught, result = _outcome(action)
    if caught is _RETURNED:
        raise _failure(f"expected an error, but the call returned {_shown(result)}", note)
    return caught


@builtin(
    "testing",
    "AssertDoesNotThrow(action: function, message?: string) -> any",
    "Call action with no arguments and fail if it raises an error; returns its result",
    pure=False,
)
def _assert_does_not_throw(action, message=None):
    action = as_function(action, "AssertDoesNotThrow", 1)
    note = _note(message, "AssertDoesNotThrow", 2)
    caught, result = _outcome(action)
    if caught is not _RETURNED:
        raise _failure(f"expected no error, but the call raised {_shown(caught)}", note)
    return result


@builtin(
    "testing",
    "AssertThrowsWithMessage(action: function, message: string) -> null",
    "Call action with no arguments and fail unless it raises an error whose message (the text of a thrown "
    "value) is exactly message",
    pure=False,
)
def _assert_throws_with_message(action, message):
    action = as_function(action, "AssertThrowsWithMessage", 1)
    expected = as_string(message, "AssertThrowsWithMessage", 2)
    caught, result = _outcome(action)
    if caught is _RETURNED:
        raise _failure(
            f"expected an error with the message {_shown(expected)}, but the call returned {_shown(result)}", None
        )
    if display(caught) != expected:
        raise _failure(f"expected the error message {_shown(expected)}, got {_shown(display(caught))}", None)

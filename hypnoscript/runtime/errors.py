"""Errors raised while a HypnoScript program runs.

Every error a program can cause is a `HypError` (or subclass) carrying a stable code and a plain
message; the engine adds the source position and call stack when it reports one.
"""

from __future__ import annotations


class HypError(Exception):
    """A runtime error caused by the program (never by the engine itself)."""

    code = "HYP4000"
    kind = "runtime error"

    def __init__(self, message: str, *, code: str | None = None, help: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.help = help

    def __str__(self) -> str:
        return self.message


class HypTypeError(HypError):
    """A value of the wrong kind for an operation (e.g. a string that is not a number)."""

    code = "HYP4001"
    kind = "type error"


class HypNameError(HypError):
    """A variable or function that does not exist."""

    code = "HYP4002"
    kind = "name error"


class HypIndexError(HypError):
    code = "HYP4003"
    kind = "index error"


class HypArgumentError(HypError):
    """A builtin called with a missing or unusable argument."""

    code = "HYP4004"
    kind = "argument error"


class HypAssertionError(HypError):
    code = "HYP4005"
    kind = "assertion failed"


class HypIOError(HypError):
    """A builtin's file, network or process operation failed."""

    code = "HYP4006"
    kind = "i/o error"


class HypPermissionError(HypError):
    """A capability (files, network, environment, processes) was denied to the program."""

    code = "HYP4007"
    kind = "permission denied"


class HypDatabaseError(HypError):
    """A database statement failed: SQL error, lost connection, pool timeout, bad parameters."""

    code = "HYP4030"
    kind = "database error"

    def __init__(self, message: str, *, retryable: bool = False, help: str | None = None) -> None:
        super().__init__(message, help=help)
        self.retryable = retryable  # a serialization failure or deadlock: DbTransaction runs again


class HypCacheError(HypError):
    """A cache operation failed: the server does not answer, or the stored value does not fit."""

    code = "HYP4031"
    kind = "cache error"


class HypThrow(HypError):
    """A value thrown with `throw`; `catch` receives `value`."""

    code = "HYP4010"
    kind = "uncaught throw"

    def __init__(self, value: object) -> None:
        from hypnoscript.runtime.values import display

        super().__init__(display(value))
        self.value = value


class HypExit(BaseException):
    """`Exit(code)`: ends the program with an exit status. Not an error, so `catch` never sees it."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status

"""Mapping Python exceptions raised by generated code onto HypnoScript errors.

Generated code raises `HypError`s itself, but some errors surface as Python exceptions at the
call site: calling null, a wrong number of arguments, a variable read before it is assigned,
runaway recursion. `translate_exception` gives the HypnoScript error each stands for.
"""

from __future__ import annotations

import re

from hypnoscript.engine.names import demangle
from hypnoscript.runtime.errors import HypError, HypNameError, HypTypeError

_ARG_COUNT = re.compile(r"^(?P<fn>[\w.<>:]+)\(\) takes (?P<p>\d+) positional arguments? but (?P<a>\d+) (?:were|was) given")
_MISSING = re.compile(r"^(?P<fn>[\w.<>:]+)\(\) missing (?P<n>\d+) required positional arguments?: (?P<names>.*)$")
_UNBOUND = re.compile(r"(?:local|free) variable '(?P<name>\w+)'|name '(?P<name2>\w+)' is not defined")


def translate_exception(exc: BaseException, functions: dict[str, str] | None = None) -> HypError:
    """The HypnoScript error a Python exception raised by generated code stands for."""
    if isinstance(exc, HypError):
        return exc
    functions = functions or {}
    msg = str(exc)
    if isinstance(exc, RecursionError):
        return HypError("recursion too deep (the call stack grew past its limit)", code="HYP4008",
                        help="check that every recursive suggestion reaches a case that does not recurse")
    if isinstance(exc, (UnboundLocalError, NameError)):
        m = _UNBOUND.search(msg)
        name = demangle(m.group("name") or m.group("name2")) if m else "?"
        return HypNameError(f"Variable '{name}' not found",
                            help="a variable can be read only after its declaration has run")
    if isinstance(exc, TypeError):
        if msg.startswith("'NoneType' object is not callable"):
            return HypError("Cannot call null value")
        if "object is not callable" in msg:
            return HypError("Value is not callable")
        m = _ARG_COUNT.match(msg)
        if m:
            fn = functions.get(m.group("fn"), demangle(m.group("fn")))
            p, a = int(m.group("p")), int(m.group("a"))
            if "::" in fn:  # methods take the instance first
                p, a = p - 1, a - 1
            return HypError(f"Expected {p} arguments, received {a} (calling '{fn}')")
        m = _MISSING.match(msg)
        if m:
            fn = functions.get(m.group("fn"), demangle(m.group("fn")))
            names = ", ".join(demangle(n.strip(" '")) for n in re.split(r",| and ", m.group("names")) if n.strip(" '"))
            return HypError(f"Missing arguments when calling '{fn}': {names}")
    if isinstance(exc, ZeroDivisionError):
        return HypError("division by zero")
    if isinstance(exc, OverflowError):
        return HypError(f"number too large: {msg}")
    if isinstance(exc, MemoryError):
        return HypError("out of memory", code="HYP4009")
    if isinstance(exc, RecursionError):
        return HypError("recursion too deep")
    if isinstance(exc, (ValueError, KeyError, IndexError, AttributeError)) and _raised_in_generated(exc):
        return HypTypeError(f"invalid operation: {msg}")
    raise exc


def _raised_in_generated(exc: BaseException) -> bool:
    tb = exc.__traceback__
    last = None
    while tb is not None:
        last = tb
        tb = tb.tb_next
    return last is not None and last.tb_frame.f_globals.get("__hyp_generated__", False)

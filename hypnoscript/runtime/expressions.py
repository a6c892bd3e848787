"""Expressions written as text for builtins that take a callback (`FilterArray(xs, "x > 25")`,
`MapArray(xs, "x * 2")`): the text is an expression of the element `x`.

The engine compiles them; it registers its compiler here when it loads, because the runtime
layer does not import the engine.
"""

from __future__ import annotations

from hypnoscript.runtime.errors import HypError

_compiler = None


def register(compiler) -> None:
    """`compiler(text)` returns a one-parameter function, or raises HypError."""
    global _compiler
    _compiler = compiler


def element_function(text: str, builtin: str):
    if _compiler is None:
        raise HypError(f"Builtin '{builtin}' cannot compile the expression \"{text}\" here")
    return _compiler(text, builtin)

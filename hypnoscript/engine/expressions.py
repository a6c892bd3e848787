"""Compiling the expression texts that callback builtins accept (`FilterArray(xs, "x > 25")`).

The text becomes the body of a one-parameter suggestion `suggestion(x) { awaken (TEXT); }` in a
module of its own, compiled like any program: it sees `x` and the builtins, not the variables
of the program that passed it. Each distinct text is compiled once per process.
"""

from __future__ import annotations

from functools import lru_cache

from hypnoscript.runtime.errors import HypError, HypThrow
from hypnoscript.syntax.diagnostics import DiagnosticError
from hypnoscript.syntax.source import Source

_NAME = "__expression__"


@lru_cache(maxsize=256)
def _compiled(text: str):
    from hypnoscript.engine.runner import Program, compile_source

    source = Source(f"Focus {{\n    induce {_NAME} = suggestion(x) {{ awaken ({text}); }};\n}} Relax\n",
                    f"<expression {text!r}>")
    return Program(compile_source(source, use_cache=False, module=True), source)


def element_function(text: str, builtin: str):
    from hypnoscript.runtime.context import current

    if "\n" in text or "}" in text or ";" in text:  # one expression, never statements of its own
        raise HypError(f"Builtin '{builtin}': \"{text}\" is not an expression of the element x")
    try:
        program = _compiled(text)
    except DiagnosticError as exc:
        raise HypError(f"Builtin '{builtin}': \"{text}\" is not an expression of the element x "
                       f"({exc.diagnostics[0].message})") from None
    fn = program.main_function(current())()[_NAME]

    def element(x):
        try:
            return fn(x)
        except HypError as exc:
            # reported at the builtin's call: positions inside the made-up module mean nothing
            if type(exc) is not HypThrow:
                exc.message = f"{exc.message} (in the expression \"{text}\")"
            raise exc.with_traceback(None) from None

    return element

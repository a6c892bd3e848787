"""Compiling the expression texts that callback builtins accept (`FilterArray(xs, "x > 25")`).

The text must be one expression; it becomes the body of a one-parameter suggestion
`suggestion(x) { awaken (TEXT); }` in a module of its own, compiled like any program: it sees `x`
and the builtins, not the variables of the program that passed it. Each distinct text is compiled
once per process and its function made once per running program.
"""

from __future__ import annotations

from functools import lru_cache

from hypnoscript.runtime.errors import HypError, HypThrow
from hypnoscript.syntax.source import Source

_NAME = "__expression__"


@lru_cache(maxsize=256)
def _compiled(text: str):
    """The compiled module of `text`, or the first syntax error's message (a str)."""
    from hypnoscript.engine.runner import Program, compile_source
    from hypnoscript.syntax.parser import parse_expression

    _, diagnostics = parse_expression(Source(text, "<expression>"))
    errors = [d for d in diagnostics if d.severity == "error"]
    if errors:
        return errors[0].message
    source = Source(f"Focus {{\n    induce {_NAME} = suggestion(x) {{ awaken ({text}); }};\n}} Relax\n",
                    f"<expression {text!r}>")
    return Program(compile_source(source, use_cache=False, module=True), source)


def element_function(text: str, builtin: str):
    from hypnoscript.runtime.builtins.support import program_state

    made = program_state("expressions", dict)
    element = made.get(text)
    if element is None:
        element = made[text] = _element(text, builtin)
    return element


def _element(text: str, builtin: str):
    from hypnoscript.runtime.context import current

    program = _compiled(text)
    if type(program) is str:
        raise HypError(f"Builtin '{builtin}': \"{text}\" is not an expression of the element x ({program})")
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

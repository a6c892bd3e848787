"""The REPL's `:` commands."""

from __future__ import annotations

from hypnoscript.syntax import ast as A
from hypnoscript.syntax.source import Source

HELP = """\
Type HypnoScript statements or expressions. The value of an expression at the end of an
entry is shown unless a `;` follows it. An entry runs when it is complete (brackets closed, nothing missing at its end); finish an
unfinished one with an empty line. Names defined in one entry stay defined in the next.

  :help          this text
  :type EXPR     the static type of an expression, in the context of the entries so far
  :ast EXPR      the syntax tree of an expression (or of statements)
  :load FILE     run a file in this session (its definitions stay available)
  :reset         forget every definition
  :quit          leave (also Ctrl-D)

Tab completes keywords, builtins (with their signatures) and the names defined so far."""


class CommandResult:
    """What a command printed, and whether the REPL should end."""

    def __init__(self, text: str = "", outcome=None, quit: bool = False) -> None:
        self.text = text
        self.outcome = outcome  # an Outcome whose diagnostics the REPL shows
        self.quit = quit


def run_command(repl, line: str) -> CommandResult:
    name, _, arg = line.strip()[1:].partition(" ")
    arg = arg.strip()
    handler = COMMANDS.get(name.lower())
    if handler is None:
        known = ", ".join(":" + c for c in COMMANDS)
        return CommandResult(f"unknown command ':{name}' (commands: {known})")
    return handler(repl, arg)


def _help(repl, arg: str) -> CommandResult:
    return CommandResult(HELP)


def _quit(repl, arg: str) -> CommandResult:
    return CommandResult(quit=True)


def _reset(repl, arg: str) -> CommandResult:
    repl.state.reset()
    return CommandResult("session reset: every definition is forgotten")


def _load(repl, arg: str) -> CommandResult:
    if not arg:
        return CommandResult("usage: :load FILE")
    try:
        with open(arg, "rb") as fh:
            text = fh.read().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return CommandResult(f"cannot load {arg}: {reason}")
    outcome = repl.state.execute(text.removeprefix("\ufeff"), path=arg, echo=False)
    return CommandResult("" if outcome.failed else f"loaded {arg}", outcome)


def _ast(repl, arg: str) -> CommandResult:
    from hypnoscript.syntax import dump
    from hypnoscript.syntax.parser import parse_expression, parse_statements

    if not arg:
        return CommandResult("usage: :ast EXPR")
    source = Source(arg, "<ast>")
    expr, diagnostics = parse_expression(source)
    if expr is not None:
        return CommandResult(dump.to_tree(expr, show_spans=False))
    body, statement_diagnostics = parse_statements(source)
    if any(d.severity == "error" for d in statement_diagnostics):
        return CommandResult(outcome=_diagnostics_only(source, diagnostics))
    return CommandResult("\n".join(dump.to_tree(s, show_spans=False) for s in body))


def _type(repl, arg: str) -> CommandResult:
    from hypnoscript.syntax.parser import parse_expression

    if not arg:
        return CommandResult("usage: :type EXPR")
    try:
        from hypnoscript.analysis.checker import check
    except ImportError:
        return CommandResult("types are not available: the type checker is not installed")
    source = Source(arg, "<type>")
    expr, diagnostics = parse_expression(source)
    if expr is None:
        return CommandResult(outcome=_diagnostics_only(source, diagnostics))
    state = repl.state
    program = A.Program(state.history() + [A.ExprStmt(expr, span=expr.span)])
    result = check(program, None, import_names=state.import_names_or_none)
    return CommandResult(f"{arg} : {result.type_of(expr)}")


def _diagnostics_only(source: Source, diagnostics):
    from hypnoscript.interfaces.repl.state import Outcome

    return Outcome(source, [d for d in diagnostics if d.severity == "error"])


COMMANDS = {
    "help": _help,
    "type": _type,
    "ast": _ast,
    "load": _load,
    "reset": _reset,
    "quit": _quit,
    "exit": _quit,
}

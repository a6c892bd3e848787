"""The `hyp` / `hypnoscript` command line.

Each subcommand lives in `hypnoscript.cli.commands.<module>` and defines `add_arguments(parser)`
and `run(args) -> int`. Only the chosen command's module is imported, which keeps start-up fast.
"""

from __future__ import annotations

import importlib
import os
import sys

# name -> (module, one-line help, aliases)
COMMANDS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "exec": ("exec_cmd", "Run a HypnoScript program", ("execute",)),
    "lex": ("lex_cmd", "Show the tokens of a file", ()),
    "parse": ("parse_cmd", "Show the syntax tree of a file", ()),
    "version": ("version_cmd", "Show the version", ()),
}


class UsageError(Exception):
    pass


def _parser_class():
    import argparse

    class _Parser(argparse.ArgumentParser):
        """argparse that reports bad usage as one line and exit status 2."""

        def error(self, message: str) -> None:  # type: ignore[override]
            sys.stderr.write(f"{self.prog}: error: {message}\n")
            raise SystemExit(2)

    return _Parser


def register(name: str, module: str, help_text: str, aliases: tuple[str, ...] = ()) -> None:
    COMMANDS[name] = (module, help_text, aliases)


def _resolve(name: str) -> str | None:
    if name in COMMANDS:
        return name
    for cmd, (_, _, aliases) in COMMANDS.items():
        if name in aliases:
            return cmd
    return None


def _build_parser(selected: str | None):
    """The whole command table (for help and usage errors), with arguments only for `selected`."""
    parser_class = _parser_class()
    parser = parser_class(prog="hyp", description="HypnoScript: the hypnotic programming language")
    parser.add_argument("--version", action="store_true", help="show the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=parser_class)
    for name, (module, help_text, aliases) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, aliases=list(aliases), description=help_text)
        if name == selected:
            _attach(p, module)
    return parser


def _command_parser(name: str):
    """A parser for one command alone: building every subparser costs more than most runs."""
    module, help_text, _ = COMMANDS[name]
    parser = _parser_class()(prog=f"hyp {name}", description=help_text)
    _attach(parser, module)
    return parser


def _attach(parser, module: str) -> None:
    mod = importlib.import_module(f"hypnoscript.cli.commands.{module}")
    mod.add_arguments(parser)
    parser.set_defaults(_run=mod.run)


def _resolve_infrastructure(ctx):
    from hypnoscript.services.infrastructure import resolve

    return resolve(ctx)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    from hypnoscript.runtime import infrastructure

    # programs run by `hyp` get their project's database and cache (built on first use)
    infrastructure.register(_resolve_infrastructure)
    if len(argv) == 2 and argv[0] == "exec" and not argv[1].startswith("-"):
        # `hyp exec FILE`, the most common run, skips argparse (and `re`) entirely
        from hypnoscript.cli.commands import exec_cmd

        return _guarded(lambda: exec_cmd.run_file(argv[1]))
    _load_plugins()
    selected = None
    for arg in argv:
        if not arg.startswith("-"):
            selected = _resolve(arg)
            break
    if not argv:
        if sys.stdin.isatty() and "repl" in COMMANDS:
            argv = ["repl"]
            selected = "repl"
        else:
            _build_parser(None).print_help()
            return 2
    if selected is not None and argv and not argv[0].startswith("-"):
        parser = _command_parser(selected)
        argv = argv[1:]
    else:
        parser = _build_parser(selected)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    if getattr(args, "_run", None) is None and getattr(args, "version", False):
        from hypnoscript import __version__

        print(f"HypnoScript v{__version__}")
        return 0
    run = getattr(args, "_run", None)
    if run is None:
        parser.print_help()
        return 2
    return _guarded(lambda: run(args))


def _guarded(run) -> int:
    """Run a command: exit statuses for interrupts and bad usage; engine bugs reported as such."""
    try:
        return int(run() or 0)
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130
    except BrokenPipeError:
        return 0
    except UsageError as exc:
        sys.stderr.write(f"hyp: error: {exc}\n")
        return 2
    except Exception as exc:  # an engine bug, not the user's fault
        if os.environ.get("HYP_DEBUG"):
            raise
        sys.stderr.write(
            f"error[HYP9000]: internal error: {type(exc).__name__}: {exc}\n"
            "   = note: this is a bug in HypnoScript; please report it (HYP_DEBUG=1 shows the Python traceback)\n"
        )
        return 70


def _load_plugins() -> None:
    """Commands added by later layers register themselves in `hypnoscript.cli.commands.__init__`."""
    importlib.import_module("hypnoscript.cli.commands")


if __name__ == "__main__":
    raise SystemExit(main())

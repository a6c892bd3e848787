"""`hyp exec FILE [-- ARGS...]`, `hyp exec -e CODE`, `hyp exec -` (program on stdin)."""

from __future__ import annotations

import sys

from hypnoscript.cli.main import UsageError


def add_arguments(parser) -> None:
    import argparse

    parser.add_argument("file", nargs="?", help="the .hyp program to run (`-` reads it from stdin)")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="arguments for the program (after `--`)")
    parser.add_argument("-e", "--eval", metavar="CODE", help="run CODE instead of a file")
    parser.add_argument("-d", "--debug", action="store_true", help="show the source and phases before running")
    parser.add_argument("-v", "--verbose", action="store_true", help="announce the file and report success")
    parser.add_argument("--emit-python", action="store_true", help="print the generated Python instead of running")
    parser.add_argument("--no-cache", action="store_true", help="do not read or write the compiled-code cache")
    parser.add_argument("--seed", type=int, help="seed for the random builtins (reproducible runs)")
    parser.add_argument("--format", choices=("human", "json"), default="human", help="diagnostic format")


def run_file(path: str) -> int:
    """`hyp exec FILE` with no options."""
    from types import SimpleNamespace

    return run(SimpleNamespace(file=path, args=[], eval=None, debug=False, verbose=False, emit_python=False,
                               no_cache=False, seed=None, format="human"))


def run(args) -> int:
    from hypnoscript.cli.util import read_source_or_report
    from hypnoscript.syntax.source import Source

    program_args = [a for a in (args.args or []) if a != "--"] if args.args else []
    if args.eval is not None:
        text = args.eval
        if not text.lstrip().lower().startswith("focus"):
            text = "Focus {\n" + text + "\n} Relax\n"
        source = Source(text, "<eval>")
        if args.file is not None:
            program_args = [args.file] + program_args
    elif args.file is None:
        raise UsageError("missing FILE (or -e CODE, or - for stdin)")
    else:
        source = read_source_or_report(args.file, args.format)
        if source is None:
            return 1
    if args.verbose:
        print(f"Running file: {source.path}")
    if args.emit_python:
        return _emit_python(source, args.format)
    if args.debug:
        sys.stdout.write(f"Source code:\n{source.text}\n\n--- Executing ---\n")
    from hypnoscript.project.execute import run_program

    try:
        status = run_program(source, program_args, seed=args.seed, use_cache=not args.no_cache, fmt=args.format)
    except KeyboardInterrupt:
        sys.stdout.flush()
        sys.stderr.write("interrupted\n")
        return 130
    if args.verbose and status == 0:
        print("\n✅ Program executed successfully!")
    return status


def _emit_python(source, fmt: str) -> int:
    import ast as py

    from hypnoscript.cli.util import print_diagnostics
    from hypnoscript.engine.runner import build
    from hypnoscript.project.modules import ModuleLoader
    from hypnoscript.syntax.diagnostics import DiagnosticError

    try:
        compiler = build(source, resolver=ModuleLoader())
    except DiagnosticError as exc:
        print_diagnostics(exc.diagnostics, source, fmt)
        return 1
    print(py.unparse(compiler.last_module))
    return 0

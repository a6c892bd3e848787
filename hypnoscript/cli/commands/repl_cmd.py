"""`hyp repl`: the interactive HypnoScript prompt (also `hyp` alone on a terminal)."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--history", metavar="FILE",
                        help="where to keep the input history (default: $XDG_STATE_HOME/hypnoscript/repl_history)")
    parser.add_argument("--no-history", action="store_true", help="keep no history between sessions")
    parser.add_argument("--no-cache", action="store_true", help="do not read or write the compiled-code cache")
    parser.add_argument("-l", "--load", metavar="FILE", action="append", default=[],
                        help="run FILE in the session before the first prompt (repeatable)")


def run(args: argparse.Namespace) -> int:
    import sys

    from hypnoscript.interfaces.repl.app import Repl

    repl = Repl(history_path="" if args.no_history else args.history, use_cache=not args.no_cache)
    for path in args.load:
        status = repl.handle(f":load {path}")
        if status is not None:
            return status
    if not sys.stdin.isatty():
        return repl.run_lines(sys.stdin)  # entries from a pipe or file: no prompt, no line editing
    return repl.run()

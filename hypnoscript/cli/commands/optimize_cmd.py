"""`hyp optimize FILE [--stats] [-o OUT]`: the program after constant folding and propagation,
inlining and dead code elimination, printed back as HypnoScript."""

from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="the .hyp program (`-` reads stdin)")
    parser.add_argument("-o", "--output", metavar="OUT", help="write the optimized program to OUT instead of stdout")
    parser.add_argument("-s", "--stats", action="store_true", help="report what was optimized")
    parser.add_argument("--format", choices=("human", "json"), default="human", help="diagnostic format")


def run(args: argparse.Namespace) -> int:
    from hypnoscript.analysis.files import ImportNames, load
    from hypnoscript.analysis.optimizer import optimize
    from hypnoscript.analysis.printer import format_program
    from hypnoscript.syntax.diagnostics import emit

    loaded = load(args.file)
    if not loaded.ok:
        emit([d for d in loaded.diagnostics if d.severity == "error"], loaded.source, args.format, sys.stderr)
        return 1
    program, stats = optimize(loaded.program, import_names=ImportNames(loaded.source))
    text = format_program(program)
    report = sys.stdout if args.output else sys.stderr
    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as exc:
            from hypnoscript.cli.main import UsageError

            raise UsageError(f"cannot write {args.output}: {exc.strerror}") from None
        print(f"optimized program written to {args.output}")
    else:
        sys.stdout.write(text)
    if args.stats:
        report.write("optimization statistics:\n")
        for line in stats.lines():
            report.write(f"  {line}\n")
    return 0

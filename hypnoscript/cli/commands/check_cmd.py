"""`hyp check FILE...`: type-check programs without running them."""

from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE",
                        help=".hyp programs or folders (searched for .hyp files); `-` reads stdin")
    parser.add_argument("--format", choices=("human", "json"), default="human",
                        help="print diagnostics readably or as one JSON array")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only errors, not warnings")


def run(args: argparse.Namespace) -> int:
    from hypnoscript.analysis.checker import check
    from hypnoscript.analysis.files import ImportNames, expand_paths, load, summary
    from hypnoscript.syntax.diagnostics import emit

    everything = []
    paths = expand_paths(args.files)
    for path in paths:
        loaded = load(path)
        diagnostics = list(loaded.diagnostics)
        if loaded.ok:
            imports = ImportNames(loaded.source)
            result = check(loaded.program, loaded.source, import_names=imports)
            diagnostics += imports.diagnostics + result.diagnostics
        if args.quiet:
            diagnostics = [d for d in diagnostics if d.severity == "error"]
        everything += diagnostics
        if diagnostics and args.format == "human":
            emit(diagnostics, loaded.source, "human", sys.stdout)
            sys.stdout.write("\n")
    line = summary(len(paths), everything)
    if args.format == "json":
        emit(everything, None, "json", sys.stdout)
        sys.stderr.write(line + "\n")
    else:
        sys.stdout.write(line + "\n")
    return 1 if any(d.severity == "error" for d in everything) else 0

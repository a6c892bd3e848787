"""`hyp check FILE...`: type-check programs without running them; inside a project with a
`migrations/` folder, also check the SQL of database calls against the schema it builds."""

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
    schemas: dict[str, object] = {}
    paths = expand_paths(args.files)
    for path in paths:
        loaded = load(path)
        diagnostics = list(loaded.diagnostics)
        if loaded.ok:
            imports = ImportNames(loaded.source)
            result = check(loaded.program, loaded.source, import_names=imports)
            diagnostics += imports.diagnostics + result.diagnostics
            diagnostics += _sql_diagnostics(loaded, path, schemas)
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


def _sql_diagnostics(loaded, path: str, schemas: dict) -> list:
    """SQL problems, when the file belongs to a project with migrations (one schema per project)."""
    import os

    from hypnoscript.project.manifest import find_root

    root = find_root(os.getcwd() if path == "-" else os.path.dirname(os.path.abspath(path)))
    if root is None:
        return []
    if root not in schemas:
        from hypnoscript.project.schema import for_project

        schemas[root] = for_project(root)
    if schemas[root] is None:
        return []
    from hypnoscript.analysis.sql_check import check_program

    return check_program(loaded.program, loaded.source, schemas[root])

"""`hyp parse FILE`: the syntax tree of a file, as an indented tree or as JSON."""

from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="the .hyp file (`-` reads stdin)")
    parser.add_argument("--json", action="store_true", help="print the tree as JSON (node type, fields, span)")
    parser.add_argument("--no-spans", action="store_true", help="leave positions out of the tree")
    parser.add_argument("--format", choices=("human", "json"), default="human", help="diagnostic format")


def run(args: argparse.Namespace) -> int:
    from hypnoscript.cli.util import print_diagnostics, read_source_or_report
    from hypnoscript.syntax import dump
    from hypnoscript.syntax.parser import parse

    source = read_source_or_report(args.file, args.format)
    if source is None:
        return 1
    program, diagnostics = parse(source)
    if diagnostics:
        print_diagnostics(diagnostics, source, args.format)
    if any(d.severity == "error" for d in diagnostics):
        return 1
    if args.json:
        sys.stdout.write(dump.to_json(program, indent=None if args.no_spans else 2) + "\n")
    else:
        sys.stdout.write("=== AST ===\n" + dump.to_tree(program, show_spans=not args.no_spans) + "\n")
    return 0

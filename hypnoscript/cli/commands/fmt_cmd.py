"""`hyp fmt FILE...`: format programs in the canonical layout (in place, or check / show a diff)."""

from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE",
                        help=".hyp files or folders (searched for .hyp files); `-` formats stdin to stdout")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="change nothing; exit 1 if a file is not formatted")
    mode.add_argument("--diff", action="store_true", help="change nothing; show what would change as a diff")
    parser.add_argument("--format", choices=("human", "json"), default="human", help="diagnostic format")


def run(args: argparse.Namespace) -> int:
    from hypnoscript.analysis.files import expand_paths, load
    from hypnoscript.analysis.formatter import format_source
    from hypnoscript.syntax.diagnostics import emit

    status = 0
    changed: list[str] = []
    unchanged = 0
    for path in expand_paths(args.files):
        loaded = load(path)
        if loaded.source is None:
            emit(loaded.diagnostics, None, args.format, sys.stderr)
            status = 1
            continue
        result = format_source(loaded.source)
        if result.text is None:
            emit(result.diagnostics, loaded.source, args.format, sys.stderr)
            status = 1
            if path == "-":
                sys.stdout.write(loaded.source.text)
            continue
        if path == "-":
            if args.check and result.changed:
                status = 1
            elif args.diff:
                _diff(loaded.source.text, result.text, "<stdin>")
            elif not args.check:
                sys.stdout.write(result.text)
            continue
        if not result.changed:
            unchanged += 1
            continue
        changed.append(path)
        if args.check:
            print(f"would reformat {path}")
            status = 1
        elif args.diff:
            _diff(loaded.source.text, result.text, path)
        else:
            with open(path, "w", encoding="utf-8", newline="") as fh:
                fh.write(result.text)
    if args.files != ["-"]:
        verb = "would be reformatted" if args.check or args.diff else "reformatted"
        parts = []
        if changed:
            parts.append(f"{len(changed)} file{'s' if len(changed) != 1 else ''} {verb}")
        if unchanged:
            parts.append(f"{unchanged} file{'s' if unchanged != 1 else ''} already formatted")
        if parts:
            sys.stdout.flush()
            sys.stderr.write(", ".join(parts) + "\n")
    return status


def _diff(before: str, after: str, name: str) -> None:
    import difflib

    sys.stdout.writelines(difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True), f"{name} (original)", f"{name} (formatted)"))

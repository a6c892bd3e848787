"""`hyp lint FILE...`: report code that runs but is probably not what was meant."""

from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="*", metavar="FILE",
                        help=".hyp files or folders (searched for .hyp files); `-` reads stdin")
    parser.add_argument("--format", choices=("human", "json"), default="human",
                        help="print diagnostics readably or as one JSON array")
    parser.add_argument("--max-warnings", type=int, default=0, metavar="N",
                        help="exit with status 1 only when there are more than N warnings (default 0)")
    parser.add_argument("--disable", action="append", default=[], metavar="RULE",
                        help="switch a rule off (name or code; repeatable), in addition to the configuration")
    parser.add_argument("--list-rules", action="store_true", help="list the rules and exit")


def run(args: argparse.Namespace) -> int:
    from hypnoscript.analysis.files import ImportNames, expand_paths, load, summary
    from hypnoscript.analysis.lint_config import find_config, load_disabled
    from hypnoscript.analysis.linter import RULES, lint, rule_code
    from hypnoscript.cli.main import UsageError
    from hypnoscript.syntax.diagnostics import emit

    if args.list_rules:
        for code, (name, description) in RULES.items():
            print(f"{code}  {name:<22} {description}")
        return 0
    if not args.files:
        raise UsageError("missing FILE")
    for rule in args.disable:
        if rule_code(rule) is None:
            raise UsageError(f"unknown lint rule: {rule} (see `hyp lint --list-rules`)")
    everything = []
    paths = expand_paths(args.files)
    for path in paths:
        loaded = load(path)
        diagnostics = list(loaded.diagnostics)
        if loaded.ok:
            disabled = set(args.disable)
            config = find_config(path) if path != "-" else find_config("./-")
            if config is not None:
                from_config, problem = load_disabled(config)
                disabled |= from_config
                if problem is not None:
                    diagnostics.append(problem)
            imports = ImportNames(loaded.source)
            diagnostics += lint(loaded.program, loaded.source, disabled, import_names=imports)
        everything += diagnostics
        if diagnostics and args.format == "human":
            emit(diagnostics, loaded.source, "human", sys.stdout)
            sys.stdout.write("\n")
    line = summary(len(paths), everything, "linted")
    if args.format == "json":
        emit(everything, None, "json", sys.stdout)
        sys.stderr.write(line + "\n")
    else:
        sys.stdout.write(line + "\n")
    errors = sum(1 for d in everything if d.severity == "error")
    warnings = sum(1 for d in everything if d.severity == "warning")
    return 1 if errors or warnings > args.max_warnings else 0

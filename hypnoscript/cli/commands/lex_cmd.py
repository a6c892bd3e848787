"""`hyp lex FILE`: the tokens of a file, in the reference's layout or as JSON."""

from __future__ import annotations

import argparse
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="the .hyp file (`-` reads stdin)")
    parser.add_argument("--json", action="store_true", help="print the tokens as a JSON list")
    parser.add_argument("--format", choices=("human", "json"), default="human", help="diagnostic format")


def run(args: argparse.Namespace) -> int:
    from hypnoscript.cli.util import print_diagnostics, read_source_or_report
    from hypnoscript.syntax.lexer import tokenize

    source = read_source_or_report(args.file, args.format)
    if source is None:
        return 1
    tokens, diagnostics = tokenize(source)
    if diagnostics:
        print_diagnostics(diagnostics, source, args.format)
        return 1
    out = sys.stdout
    if args.json:
        import json

        out.write(json.dumps([t.to_json() for t in tokens], ensure_ascii=False, indent=2) + "\n")
        return 0
    lines = ["=== Tokens ==="]
    # Like the reference, a token's line is the line where it ends (it differs for strings
    # that span lines).
    lines.extend(f"{index:4}: {tok.debug(line=tok.end_line)}" for index, tok in enumerate(tokens))
    lines.append("")
    lines.append(f"Total tokens: {len(tokens)}")
    out.write("\n".join(lines) + "\n")
    return 0

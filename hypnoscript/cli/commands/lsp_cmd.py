"""`hyp lsp`: the HypnoScript language server, speaking LSP over stdin/stdout."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stdio", action="store_true", help="talk over stdin/stdout (the default and only transport)")


def run(args: argparse.Namespace) -> int:
    from hypnoscript.interfaces.lsp.server import main

    return main()

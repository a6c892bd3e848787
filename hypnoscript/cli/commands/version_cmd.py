"""`hyp version`."""

from __future__ import annotations

import argparse
import platform


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print as JSON")


def run(args: argparse.Namespace) -> int:
    from hypnoscript import __version__

    if args.json:
        import json

        print(json.dumps({"version": __version__, "python": platform.python_version()}))
    else:
        print(f"HypnoScript v{__version__}")
        print(f"Python {platform.python_version()} ({platform.python_implementation()})")
    return 0

"""`hyp authz matrix [--json] [--profile P]`: who can reach each route, from the configuration alone
(see docs/security.md)."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    matrix = sub.add_parser("matrix", help="per route: methods, roles, API keys that reach it, rate limit")
    matrix.add_argument("--json", action="store_true", help="print JSON")
    matrix.add_argument("--profile", help="configuration profile (default: $HYP_PROFILE)")


def run(args: argparse.Namespace) -> int:
    import os

    from hypnoscript.project import manifest
    from hypnoscript.project.report import guarded

    def action() -> int:
        import json

        from hypnoscript.project.config import load_config
        from hypnoscript.services.security.matrix import access_matrix, render

        root = manifest.require_root(os.getcwd())
        matrix = access_matrix(load_config(root, args.profile))
        print(json.dumps(matrix, indent=2, ensure_ascii=False) if args.json else render(matrix))
        return 0

    return guarded(action)

"""`hyp remove NAME`: drop a dependency from the manifest (`hyp install` then uninstalls it)."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("package", metavar="NAME", help="the package name")


def run(args: argparse.Namespace) -> int:
    import os

    from hypnoscript.project import manifest
    from hypnoscript.project.report import guarded
    from hypnoscript.syntax.diagnostics import Diagnostic, DiagnosticError

    def action() -> int:
        project = manifest.load(manifest.require_root(os.getcwd()))
        if not project.remove_dependency(args.package):
            raise DiagnosticError([Diagnostic(manifest.CODE_UNKNOWN_DEPENDENCY,
                                              f"Dependency '{args.package}' not found in manifest",
                                              path=project.path)])
        project.save()
        print(f"✅ Removed {args.package} from manifest")
        return 0

    return guarded(action)

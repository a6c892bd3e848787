"""`hyp run NAME [-- ARGS...]`: run a command from the manifest's `suggestions`.

`hyp ...` and `hypnoscript ...` commands run inside this process (no second start-up); anything
else runs through the shell, in the project root, with ARGS appended (shell-quoted)."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("suggestion", metavar="NAME", nargs="?", help="the suggestion to run (omit to list them)")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="extra arguments for the command (after `--`)")
    parser.add_argument("--profile", help="configuration profile (default: $HYP_PROFILE)")


def run(args: argparse.Namespace) -> int:
    import os

    from hypnoscript.project import config, manifest
    from hypnoscript.project.report import guarded
    from hypnoscript.project.scripts import run_suggestion
    from hypnoscript.syntax.diagnostics import Diagnostic, DiagnosticError

    def action() -> int:
        project = manifest.load(manifest.require_root(os.getcwd()))
        config.load_config(project.root, args.profile)
        if args.suggestion is None:
            for name, command in sorted(project.suggestions.items()):
                print(f"  {name}: {command}")
            return 0
        command = project.suggestions.get(args.suggestion)
        if command is None:
            known = ", ".join(sorted(project.suggestions)) or "none"
            raise DiagnosticError([Diagnostic(manifest.CODE_REFERENCE,
                                              f"Suggestion '{args.suggestion}' not found in manifest",
                                              project.doc.span(("suggestions",)), path=project.path,
                                              help=f"suggestions: {known}")])
        extra = list(args.args or [])
        if extra[:1] == ["--"]:
            extra = extra[1:]
        print(f"📜 Running suggestion '{args.suggestion}': {command}", flush=True)
        return run_suggestion(project, args.suggestion, command, extra, args.profile)

    return guarded(action)

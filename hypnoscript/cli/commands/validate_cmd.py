"""`hyp validate`: check trance.json, the lock file and config/hypnoscript.config.json."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("human", "json"), default="human", help="diagnostic format")


def run(args: argparse.Namespace) -> int:
    import os

    from hypnoscript.project import config, lockfile, manifest
    from hypnoscript.project.report import emit
    from hypnoscript.syntax.diagnostics import DiagnosticError

    try:
        project = manifest.load(manifest.require_root(os.getcwd()))
        problems = manifest.check(project)
        lockfile.load(project.root)
    except DiagnosticError as exc:
        emit(exc.diagnostics, args.format)
        return 1
    config_problems, profiles = config.validate_all(project.root)
    problems += config_problems
    if not problems:
        from hypnoscript.services.checks import start_problems

        try:
            problems += start_problems(project.root)
        except DiagnosticError as exc:
            problems += exc.diagnostics
    if problems:
        emit(problems, args.format)
        return 1
    print("✅ Manifest is valid")
    if os.path.isfile(os.path.join(project.root, config.CONFIG_FILE)):
        checked = f" (profiles: {', '.join(profiles)})" if profiles else ""
        print(f"✅ Configuration is valid{checked}")
    return 0

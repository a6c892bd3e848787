"""`hyp install`: fetch every dependency into trance_modules/ and pin it in trance-lock.json."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    import os
    import sys

    from hypnoscript.project import manifest
    from hypnoscript.project.lockfile import LOCK
    from hypnoscript.project.packages import Installer
    from hypnoscript.project.report import guarded

    def action() -> int:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn

        project = manifest.load(manifest.require_root(os.getcwd()))
        print(f"📦 Installing dependencies for {project.name} v{project.version}")
        sys.stdout.flush()
        console = Console(stderr=True)
        columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
        with Progress(*columns, console=console, transient=True,
                      disable=args.quiet or not console.is_terminal) as progress:
            task = progress.add_task("resolving", total=None)

            def report(text: str, done: int, total: int | None) -> None:
                progress.update(task, description=text, completed=done, total=total)

            with Installer(project, report) as installer:
                plan = installer.plan()
                if plan.changed:
                    installer.apply(plan)
        count = len(plan.entries)
        if not plan.changed:
            print(f"✅ Dependencies are up to date ({count} total)")
            return 0
        print(f"✅ Dependencies installed ({count} total)")
        print(f"📝 Lock file written to {LOCK}")
        return 0

    return guarded(action)

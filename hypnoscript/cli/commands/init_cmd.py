"""`hyp init [--name NAME] [--template cli|library|enterprise]`: create a project in this folder."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-n", "--name", help="the project name (default: the folder's name)")
    parser.add_argument("-t", "--template", choices=("cli", "library", "enterprise"),
                        help="also write a starter project (default: only trance.json)")


def run(args: argparse.Namespace) -> int:
    import os

    from hypnoscript.project import templates
    from hypnoscript.project.report import guarded

    def action() -> int:
        folder = os.getcwd()
        name = args.name or os.path.basename(folder) or "my-hypno-package"
        written = templates.create(folder, name, args.template)
        print(f"✅ Created trance.json in {folder}")
        for path in written:
            if path != "trance.json":
                print(f"   {path}")
        if args.template:
            program = templates.first_suggestion(folder)
            also = f", `hyp run {program}` the program" if program else ""
            print(f"\nNext: `hyp test` runs the tests{also}.")
        return 0

    return guarded(action)

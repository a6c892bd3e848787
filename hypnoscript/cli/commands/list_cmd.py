"""`hyp list`: the project's dependencies and what is installed for them."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the installed packages as JSON")


def run(args: argparse.Namespace) -> int:
    import json
    import os

    from hypnoscript.project import lockfile, manifest
    from hypnoscript.project.report import guarded

    def action() -> int:
        project = manifest.load(manifest.require_root(os.getcwd()))
        locked = lockfile.load(project.root)
        if args.json:
            print(json.dumps(lockfile.to_json(locked)["lockedAnchors"], indent=2, ensure_ascii=False))
            return 0
        print(f"📦 {project.name} v{project.version}")
        direct = set()
        for dev, title in ((False, "Anchors (dependencies):"), (True, "Deep Anchors (devDependencies):")):
            deps = project.dependencies(dev=dev)
            if deps:
                print(f"\n{title}")
            for dep in deps:
                direct.add(dep.name)
                entry = locked.get(dep.name)
                state = f"installed {entry.version or '(unversioned)'}" if entry else "not installed"
                print(f"  {dep.name} @ {dep.describe()}  [{state}]")
        indirect = sorted(set(locked) - direct)
        if indirect:
            print("\nInstalled for other packages:")
            for name in indirect:
                print(f"  {name} {locked[name].version or '(unversioned)'}")
        if not direct:
            print("\nNo dependencies installed.")
        return 0

    return guarded(action)

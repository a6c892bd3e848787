"""`hyp add NAME [--version RANGE] [--dev] [--path DIR | --git URL [--rev REV]]`: add a dependency."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("package", metavar="NAME", help="the package name")
    parser.add_argument("-v", "--version", dest="range", metavar="RANGE",
                        help="version range such as ^1.2.0, ~1.2, 1.2.3, >=1.0 <2, * "
                             "(default: ^1.0.0 from the registry, * for --path and --git)")
    parser.add_argument("-D", "--dev", action="store_true", help="a development dependency (deepAnchors)")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--path", metavar="DIR", help="take the package from a local folder")
    source.add_argument("--git", metavar="URL", help="take the package from a git repository")
    parser.add_argument("--rev", metavar="REV", help="with --git: the branch, tag or commit to use")


def run(args: argparse.Namespace) -> int:
    import os
    import re

    from hypnoscript.cli.main import UsageError
    from hypnoscript.project import manifest, versions
    from hypnoscript.project.report import guarded

    if args.rev and not args.git:
        raise UsageError("--rev needs --git URL")
    if not re.match(manifest.NAME_PATTERN, args.package):
        raise UsageError(f"invalid package name {args.package!r}: use letters, digits, `.`, `_`, `-` "
                         "(optionally @scope/name)")

    def action() -> int:
        project = manifest.load(manifest.require_root(os.getcwd()))
        kind = "path" if args.path else "git" if args.git else "registry"
        range_text = args.range or (manifest.DEFAULT_RANGE if kind == "registry" else "*")
        try:
            versions.parse_range(range_text)
        except versions.VersionError as exc:
            raise UsageError(str(exc)) from None
        location = args.git
        if args.path:
            folder = os.path.abspath(args.path)
            if not os.path.isdir(folder):
                raise UsageError(f"no such folder: {args.path}")
            location = os.path.relpath(folder, project.root).replace(os.sep, "/")
        dep = manifest.Dependency(args.package, range_text, kind, location, args.rev, args.dev)
        project.set_dependency(dep)
        project.save()
        target = "deepAnchors" if args.dev else "anchors"
        print(f"✅ Added {args.package} @ {dep.describe()} to {target}")
        return 0

    return guarded(action)

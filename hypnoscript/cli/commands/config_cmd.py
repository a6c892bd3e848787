"""`hyp config validate` and `hyp config show [--profile P] [--json]`."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    check = sub.add_parser("validate", help="check the configuration file and every profile")
    check.add_argument("--profile", help="the profile that must be complete here (default: $HYP_PROFILE)")
    check.add_argument("--format", choices=("human", "json"), default="human", help="diagnostic format")
    show = sub.add_parser("show", help="print the effective configuration, secrets masked")
    show.add_argument("--profile", help="configuration profile (default: $HYP_PROFILE)")
    show.add_argument("--json", action="store_true", help="print JSON")


def run(args: argparse.Namespace) -> int:
    import os

    from hypnoscript.project import config
    from hypnoscript.project.modules import project_root
    from hypnoscript.project.report import emit, guarded

    root = project_root(os.getcwd()) or os.getcwd()
    relative = os.path.relpath(os.path.join(root, config.CONFIG_FILE))
    if args.action == "validate":
        problems, profiles = config.validate_all(root, profile=args.profile)
        if problems:
            emit(problems, args.format)
            return 1
        if not os.path.isfile(os.path.join(root, config.CONFIG_FILE)):
            print(f"✅ No {relative}: the defaults apply")
            return 0
        checked = f" (profiles: {', '.join(profiles)})" if profiles else ""
        print(f"✅ {relative} is valid{checked}")
        return 0

    def show() -> int:
        import json

        effective = config.load_config(root, args.profile)
        data = effective.masked()
        if args.json:
            print(json.dumps(data, indent=2, ensure_ascii=False))
            return 0
        origin = relative if effective.exists else f"defaults (no {relative})"
        profile = f", profile {effective.profile}" if effective.profile else ""
        print(f"# {origin}{profile}")
        for key, value in _flatten(data, ""):
            print(f"{key} = {json.dumps(value, ensure_ascii=False)}")
        return 0

    return guarded(show)


def _flatten(value, prefix: str):
    """(dotted.key, scalar or empty container) pairs, in order."""
    if isinstance(value, dict) and value:
        for key, sub in value.items():
            yield from _flatten(sub, f"{prefix}.{key}" if prefix else key)
    elif isinstance(value, list) and value and any(isinstance(v, (dict, list)) for v in value):
        for i, sub in enumerate(value):
            yield from _flatten(sub, f"{prefix}[{i}]")
    else:
        yield prefix, value

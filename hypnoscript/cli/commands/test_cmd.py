"""`hyp test [PATH...] [-k PATTERN] [--junit FILE]`: run the project's HypnoScript tests, on a
scratch database (migrated) and cache of the configured kinds (services.scratch)."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", metavar="PATH", help="test files or folders (default: tests/)")
    parser.add_argument("-k", dest="keyword", metavar="PATTERN", help="only tests whose name contains PATTERN")
    parser.add_argument("--junit", metavar="FILE", help="also write the results as JUnit XML")
    parser.add_argument("-v", "--verbose", action="store_true", help="a line for every test, not only failures")
    parser.add_argument("--profile", help="configuration profile (default: $HYP_PROFILE)")
    parser.add_argument("--no-cache", action="store_true", help="do not read or write the compiled-code cache")


def run(args: argparse.Namespace) -> int:
    import os

    from hypnoscript.project import config
    from hypnoscript.project.modules import project_root
    from hypnoscript.project.report import guarded
    from hypnoscript.project.testing import run_tests

    root = project_root(os.getcwd()) or os.getcwd()

    def action() -> int:
        from hypnoscript.runtime import infrastructure
        from hypnoscript.services.scratch import scratch_infrastructure

        settings = config.load_config(root, args.profile)
        # the tests get a scratch database and cache of the configured kinds, never the project's own
        from hypnoscript.services.events.publisher import consumer_groups

        with scratch_infrastructure(root, settings.get("infrastructure", {}),
                                    topics=consumer_groups(settings.get("services", {})),
                                    security=settings.get("security", {})) as scratch:
            infrastructure.register(lambda ctx: scratch)
            return run_tests(root, args.paths, args.keyword, args.junit, args.verbose, not args.no_cache)

    return guarded(action)

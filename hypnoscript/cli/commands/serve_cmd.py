"""`hyp serve [SERVICE...] [--host H] [--port P] [--workers N] [--reload] [--profile P]`: serve the
project's configured routes over HTTP (see docs/serve.md)."""

from __future__ import annotations

import argparse


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _port(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError("must be between 0 and 65535")
    return value


def _seconds(text: str) -> float:
    value = float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError("must be a number of seconds, 0 or more")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("services", nargs="*", metavar="SERVICE",
                        help="services to serve (default: every configured service, in one process)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=_port, default=8000, help="port to listen on (default: 8000)")
    parser.add_argument("--workers", type=_positive, default=1, metavar="N", help="worker processes (default: 1)")
    parser.add_argument("--reload", action="store_true", help="restart when a .hyp file or the configuration changes")
    parser.add_argument("--profile", help="configuration profile (default: $HYP_PROFILE)")
    parser.add_argument("--project", metavar="DIR", help="the project folder (default: the one holding trance.json "
                                                         "at or above the current folder)")
    parser.add_argument("--threads", type=_positive, metavar="N",
                        help="handler threads per process (default: CPUs + 4, at most 32)")
    parser.add_argument("--grace-period", type=_seconds, default=30.0, metavar="SECONDS",
                        help="on SIGTERM, how long in-flight requests may still run (default: 30)")


def run(args: argparse.Namespace) -> int:
    import os

    from hypnoscript.cli.main import UsageError
    from hypnoscript.project.modules import project_root

    if args.reload and args.workers > 1:
        raise UsageError("--reload runs one process: leave out --workers")
    start = args.project or os.getcwd()
    if args.project and not os.path.isdir(args.project):
        raise UsageError(f"not a folder: {args.project}")
    root = project_root(start)
    if root is None:
        raise UsageError(f"no trance.json found in {os.path.abspath(start)} or above (create a project with `hyp init`)")
    from hypnoscript.services.server import ServeOptions, serve

    return serve(ServeOptions(root, args.profile, args.services, args.host, args.port, args.workers, args.reload,
                              args.grace_period, args.threads))

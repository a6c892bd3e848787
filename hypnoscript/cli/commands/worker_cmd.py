"""`hyp worker [SERVICE...] [--concurrency N] [--port P] [--profile P]`: run the event consumers
and schedules of the project's services (see docs/events.md)."""

from __future__ import annotations

import argparse

from hypnoscript.cli.commands.serve_cmd import _port, _positive, _seconds


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("services", nargs="*", metavar="SERVICE",
                        help="services whose events and schedules to run (default: every configured service)")
    parser.add_argument("--concurrency", type=_positive, metavar="N",
                        help="events handled at once per consumer (default: each consumer's `concurrency`)")
    parser.add_argument("--host", default="127.0.0.1", help="address of /healthz, /readyz, /metrics (default: 127.0.0.1)")
    parser.add_argument("--port", type=_port, default=8081, help="port of /healthz, /readyz, /metrics (default: 8081)")
    parser.add_argument("--profile", help="configuration profile (default: $HYP_PROFILE)")
    parser.add_argument("--project", metavar="DIR", help="the project folder (default: the one holding trance.json "
                                                         "at or above the current folder)")
    parser.add_argument("--threads", type=_positive, metavar="N", help="handler threads (default: enough for every "
                                                                       "consumer's concurrency and schedule)")
    parser.add_argument("--grace-period", type=_seconds, default=30.0, metavar="SECONDS",
                        help="on SIGTERM, how long handlers in flight may still run (default: 30)")


def run(args: argparse.Namespace) -> int:
    import os

    from hypnoscript.cli.main import UsageError
    from hypnoscript.project.modules import project_root

    start = args.project or os.getcwd()
    root = project_root(start)
    if root is None:
        raise UsageError(f"no trance.json found in {os.path.abspath(start)} or above (create a project with `hyp init`)")
    from hypnoscript.services.worker import work

    return work(root, args.profile, args.services, args.host, args.port, threads=args.threads,
                concurrency=args.concurrency, grace=args.grace_period)

"""`hyp cert dev [--days N] [--out DIR] [--force]`: a self-signed certificate and key for serving
the project over HTTPS during development (see docs/security.md)."""

from __future__ import annotations

import argparse


def _days(text: str) -> int:
    value = int(text)
    if not 1 <= value <= 3650:
        raise argparse.ArgumentTypeError("must be between 1 and 3650")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    dev = sub.add_parser("dev", help="write a self-signed certificate for localhost, 127.0.0.1 and ::1")
    dev.add_argument("--days", type=_days, default=365, metavar="N", help="days of validity (default: 365)")
    dev.add_argument("--out", metavar="DIR", default="config/tls",
                     help="folder for dev.crt and dev.key, relative to the project (default: config/tls)")
    dev.add_argument("--force", action="store_true", help="replace a certificate or key already there")
    dev.add_argument("--project", metavar="DIR", help="the project folder (default: the one holding trance.json "
                                                      "at or above the current folder)")


def run(args: argparse.Namespace) -> int:
    import json
    import os

    from hypnoscript.cli.main import UsageError
    from hypnoscript.project.modules import project_root

    start = args.project or os.getcwd()
    root = project_root(start)
    if root is None:
        raise UsageError(f"no trance.json found in {os.path.abspath(start)} or above (create a project with `hyp init`)")
    folder = os.path.normpath(os.path.join(root, args.out))
    cert = os.path.join(folder, "dev.crt")
    key = os.path.join(folder, "dev.key")
    existing = [p for p in (cert, key) if os.path.exists(p)]
    if existing and not args.force:
        raise UsageError(f"{os.path.relpath(existing[0], root)} already exists (--force replaces it)")
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise UsageError(f"{os.path.relpath(folder, root)} is not a folder")
    from hypnoscript.services.security.tls import write_dev_certificate

    try:
        until = write_dev_certificate(cert, key, args.days)
    except OSError as error:
        raise UsageError(f"cannot write the certificate into {os.path.relpath(folder, root)}: "
                         f"{error.strerror or error}") from None

    def shown(path: str) -> str:
        relative = os.path.relpath(path, root)
        return path if relative.startswith("..") else relative.replace(os.sep, "/")

    snippet = json.dumps({"security": {"tls": {"cert": shown(cert), "key": shown(key)}}}, indent=2)
    print(f"Wrote {shown(cert)} and {shown(key)} (self-signed for localhost, 127.0.0.1 and ::1; "
          f"valid until {until:%Y-%m-%d}).")
    print("Serve over HTTPS with this in config/hypnoscript.config.json:")
    print(snippet)
    print(f"Clients trust it with e.g. `curl --cacert {shown(cert)} https://localhost:8000/healthz`. "
          "Keep the key out of version control.")
    return 0

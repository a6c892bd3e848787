"""`hyp backup create [--output PATH]`, `hyp backup verify ARCHIVE` and
`hyp backup restore ARCHIVE [--yes] [--with-config]`, all with `[--profile P]`."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = sub.add_parser("create", help="write the database, data/ and config/ into one archive")
    create.add_argument("--output", metavar="PATH",
                        help="the archive to write (default: backups/<project>-<UTC time>.tar.gz)")
    verify = sub.add_parser("verify", help="check an archive's members and restore its dump into a scratch database")
    verify.add_argument("archive", metavar="ARCHIVE")
    restore = sub.add_parser("restore", help="verify an archive, then put the database and data/ back")
    restore.add_argument("archive", metavar="ARCHIVE")
    restore.add_argument("--yes", action="store_true", help="replace the database without asking")
    restore.add_argument("--with-config", action="store_true", help="put config/ back as well")
    for p in (create, verify, restore):
        p.add_argument("--profile", help="configuration profile (default: $HYP_PROFILE)")


def run(args: argparse.Namespace) -> int:
    import os

    from hypnoscript.project.manifest import require_root
    from hypnoscript.project.report import guarded

    def action() -> int:
        from hypnoscript.services.data import backup

        root = require_root(os.getcwd())
        if args.action == "create":
            made = backup.create(root, args.profile, args.output)
            db = made.manifest["database"]
            files = len(made.manifest["members"]) - 1
            print(f"✅ Backed up {made.manifest['project']} ({db['backend']}: {len(db['tables'])} tables, "
                  f"{sum(db['tables'].values())} rows; {files} files) to {os.path.relpath(made.path)} "
                  f"({_size(made.size)})")
            return 0
        if args.action == "verify":
            print("✅ " + backup.verify(root, args.archive, args.profile).summary())
            return 0
        return _restore(backup, root, args)

    return guarded(action)


def _restore(backup, root: str, args: argparse.Namespace) -> int:
    import os
    import shutil
    import sys

    if not args.yes and not sys.stdin.isatty():
        raise backup.backup_error(backup.CODE_REFUSED, "restore replaces the project's database: pass --yes "
                                  "to confirm when not running in a terminal", path=args.archive)
    checked = backup.verify(root, args.archive, args.profile, keep=True)
    try:
        print("✅ " + checked.summary())
        if not args.yes:
            extra = " and config/" if args.with_config else ""
            try:
                answer = input(f"Replace the contents of {checked.target.masked} and data/{extra} with this backup? [y/N] ")
            except EOFError:
                answer = ""
            if answer.strip().lower() not in ("y", "yes"):
                raise backup.backup_error(backup.CODE_REFUSED, "restore cancelled: nothing was changed",
                                          path=args.archive)
        written = backup.restore(root, checked, with_config=args.with_config)
    finally:
        shutil.rmtree(checked.staging, ignore_errors=True)
    db = checked.manifest["database"]
    print(f"✅ Restored {db['backend']} database ({len(db['tables'])} tables, {checked.rows} rows) "
          f"and {len(written)} files from {os.path.relpath(checked.archive)}")
    return 0


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    size = n / 1024
    for unit in ("KB", "MB"):
        if size < 1024:
            return f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"

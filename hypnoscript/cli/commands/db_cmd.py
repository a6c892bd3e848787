"""`hyp db migrate [--to VERSION]`, `hyp db status [--json]` and `hyp db new NAME`: the migrations in
the project's `migrations/` folder against its configured database."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    migrate = sub.add_parser("migrate", help="apply the pending migrations in version order")
    migrate.add_argument("--to", type=int, metavar="VERSION", help="apply only up to this version")
    migrate.add_argument("--profile", help="configuration profile (default: $HYP_PROFILE)")
    status = sub.add_parser("status", help="list every migration and whether it is applied")
    status.add_argument("--profile", help="configuration profile (default: $HYP_PROFILE)")
    status.add_argument("--json", action="store_true", help="print JSON")
    new = sub.add_parser("new", help="create the next numbered migration file")
    new.add_argument("name", help="lowercase letters, digits and _ (e.g. create_users)")


def run(args: argparse.Namespace) -> int:
    import os

    from hypnoscript.project.manifest import require_root
    from hypnoscript.project.report import guarded

    def action() -> int:
        from hypnoscript.services.data import migrations

        root = require_root(os.getcwd())
        if args.action == "new":
            path = migrations.new(root, args.name)
            print(f"Created {os.path.relpath(path)}")
            return 0
        engine = _engine(root, args.profile)
        try:
            if args.action == "migrate":
                done = migrations.migrate(engine, root, args.to,
                                          on_applied=lambda m: print(f"Applied {m.filename}", flush=True))
                if not done:
                    print("Nothing to apply: the database is up to date")
                return 0
            return _status(migrations.status(engine, root), args.json)
        finally:
            engine.dispose()

    return guarded(action)


def _engine(root: str, profile: str | None):
    from hypnoscript.project.config import load_config
    from hypnoscript.runtime.errors import HypError
    from hypnoscript.services.data.database import create_engine
    from hypnoscript.services.data.migrations import CODE_DATABASE
    from hypnoscript.syntax.diagnostics import Diagnostic, DiagnosticError

    database = load_config(root, profile).lookup("infrastructure.database", {})
    try:
        return create_engine(database.get("url", "sqlite:///data/app.db"), root, pool_size=1,
                             timeout=database.get("timeout", 10))
    except HypError as error:
        raise DiagnosticError([Diagnostic(CODE_DATABASE, error.message, help=error.help)]) from None


def _status(rows, as_json: bool) -> int:
    if as_json:
        import json

        print(json.dumps([{"version": m.version, "name": m.name, "file": m.filename, "state": state,
                           "checksum": m.checksum, "appliedAt": m.applied_at} for m, state in rows], indent=2))
        return 0
    if not rows:
        print("No migrations (add one with `hyp db new NAME`)")
        return 0
    width = max(len(m.filename) for m, _ in rows)
    for migration, state in rows:
        when = f"  {migration.applied_at}" if migration.applied_at else ""
        print(f"{migration.filename:<{width}}  {state:<7}{when}".rstrip())
    return 0

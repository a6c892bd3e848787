"""`hyp keys create NAME --roles a,b`, `hyp keys list` and `hyp keys revoke NAME`: the API keys
route auth "apikey" accepts. Only a key's Argon2 hash goes into the configuration; the key is
printed once, as the last line of `create`'s output."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = sub.add_parser("create", help="make a key, store its hash and print it once")
    create.add_argument("name", help="the key's name (the caller's name in request.user)")
    create.add_argument("--roles", default="", help="comma-separated roles the key carries")
    listing = sub.add_parser("list", help="the configured keys: names, roles, when created")
    revoke = sub.add_parser("revoke", help="remove a key from the configuration")
    revoke.add_argument("name", help="the key's name")
    for p in (create, listing, revoke):
        p.add_argument("--profile", help="configuration profile (default: $HYP_PROFILE)")


def run(args: argparse.Namespace) -> int:
    import os

    from hypnoscript.project.manifest import require_root
    from hypnoscript.project.report import guarded
    from hypnoscript.services.security import apikeys

    profile = args.profile or os.environ.get("HYP_PROFILE") or None

    def create() -> int:
        root = require_root(os.getcwd())
        roles = [r.strip() for r in args.roles.split(",") if r.strip()]
        key, where = apikeys.create_key(root, args.name, roles, profile)
        shown = ", ".join(roles) if roles else "none"
        print(f"✅ API key \"{args.name}\" (roles: {shown}) added to {where}")
        print("It is shown only now; only its hash is stored. Send it in the "
              f"{_header(root, profile)} header:")
        print(key)
        # recorded after the key is shown: a failing audit sink must not lose a key already stored
        _audit({"event": "key created", "name": args.name, "roles": roles}, root, profile)
        return 0

    def listing() -> int:
        keys = apikeys.list_keys(require_root(os.getcwd()), profile)
        if not keys:
            print("No API keys configured")
            return 0
        width = max(len(k["name"]) for k in keys)
        for k in keys:
            roles = ", ".join(k["roles"]) or "-"
            print(f"{k['name']:<{width}}  {k['created'] or '-':<20}  {roles}")
        return 0

    def revoke() -> int:
        root = require_root(os.getcwd())
        where = apikeys.revoke_key(root, args.name, profile)
        print(f"✅ API key \"{args.name}\" removed from {where}; running servers accept it until they restart")
        _audit({"event": "key revoked", "name": args.name}, root, profile)
        return 0

    return guarded({"create": create, "list": listing, "revoke": revoke}[args.action])


def _audit(event: dict, root: str, profile: str | None) -> None:
    """Record `event` in the project's audit log; a sink that cannot be written is a diagnostic."""
    from hypnoscript.project.config import CONFIG_FILE
    from hypnoscript.services.security import audit
    from hypnoscript.syntax.diagnostics import Diagnostic, DiagnosticError

    try:
        audit.record(event, root, profile)
    except audit.AuditError as error:
        raise DiagnosticError([Diagnostic(audit.CODE_AUDIT, f"the change is made but not in the audit log: {error}",
                                          path=CONFIG_FILE, help="check security.audit.sink")]) from None


def _header(root: str, profile: str | None) -> str:
    from hypnoscript.project.config import load_config

    found = load_config(root, profile, require_env=False).lookup("security.auth.apikeys.header")
    return str(found or "X-API-Key")
